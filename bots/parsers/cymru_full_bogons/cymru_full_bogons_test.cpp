// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.cymru.parser_full_bogons";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "bogons"}};
const char* kHeader = "# last updated 1450193702 (Tue Dec 15 15:35:02 2015 GMT)";
}  // namespace

TEST_CASE("full bogons: networks and addresses with the list date", "[cymru_full_bogons][unit]") {
  ParserRun run(kModule, kReport,
                std::string(kHeader) + "\n0.0.0.0/8\n// comment\n2001:db8::1\n\n2.56.0.0/14\n");
  REQUIRE(run.count() == 3);
  CHECK(run.str(0, "source.network") == "0.0.0.0/8");
  CHECK(run.str(1, "source.ip") == "2001:db8::1");
  CHECK(run.str(2, "time.source") == "2015-12-15T15:35:02+00:00");
  CHECK(run.str(2, "classification.type") == "blacklist");
  CHECK(run.raw(0) == std::string(kHeader) + "\n0.0.0.0/8");
}

TEST_CASE("full bogons: bad lines fail alone, a bad date fails the report",
          "[cymru_full_bogons][unit]") {
  ParserRun run(kModule, kReport, std::string(kHeader) + "\nnot a network\n10.0.0.0/8\n");
  CHECK(run.count() == 1);
  CHECK(run.dumps() == 1);
  CHECK_THROWS(ParserRun(kModule, kReport, "# no date here ()\n10.0.0.0/8\n"));
  ParserRun empty(kModule, kReport, "  \n");
  CHECK(empty.count() == 0);
}
