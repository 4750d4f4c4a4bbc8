// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.danger_rulez.parser";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "Danger Rulez"}};
}  // namespace

TEST_CASE("danger rulez: IP and time of each line", "[danger_rulez][unit]") {
  ParserRun run(kModule, kReport,
                "# IP\t\t\t# Last Reported\t\t\tCount\tID\n"
                "203.0.113.48\t\t# 2016-11-10 09:11:03\t\t56\t1101973\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "source.ip") == "203.0.113.48");
  CHECK(run.str(0, "time.source") == "2016-11-10T09:11:03+00:00");
  CHECK(run.str(0, "classification.type") == "brute-force");
  CHECK(run.raw(0) == "203.0.113.48\t\t# 2016-11-10 09:11:03\t\t56\t1101973");
}

TEST_CASE("danger rulez: a line without timestamp fails the report", "[danger_rulez][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, "203.0.113.48\t\t56\t1101973\n"));
}
