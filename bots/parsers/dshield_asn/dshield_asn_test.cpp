// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.dshield.parser_asn";
const std::vector<std::pair<std::string, std::string>> kReport = {
    {"feed.name", "DShield AS"}, {"feed.url", "https://dshield.org/asdetailsascii.html?as=64496"}};
}  // namespace

TEST_CASE("dshield asn: zero-padded IP, AS from the URL, counters in extra",
          "[dshield_asn][unit]") {
  ParserRun run(kModule, kReport,
                "# header\n"
                "short\tline\n"
                "109.230.155.061\t1\t2\t\t2015-12-10\t2015-12-14 12:40:59\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "source.ip") == "109.230.155.61");
  CHECK(run.str(0, "source.asn") == "64496");
  CHECK(run.str(0, "time.source") == "2015-12-14T12:40:59+00:00");
  CHECK(run.str(0, "extra.reports") == "1");
  CHECK(run.str(0, "extra.targets") == "2");
  CHECK(run.str(0, "extra.last_seen") == "2015-12-10");
  CHECK(run.str(0, "classification.type") == "brute-force");
}

TEST_CASE("dshield asn: a bad number fails the report", "[dshield_asn][unit]") {
  CHECK_THROWS(
      ParserRun(kModule, kReport, "1.2.3.4\tmany\t2\t\t2015-12-10\t2015-12-14 12:40:59\n"));
  CHECK_THROWS(ParserRun(kModule, {{"feed.url", "https://dshield.org/x"}},
                         "1.2.3.4\t1\t2\t\t2015-12-10\t2015-12-14 12:40:59\n"));
}
