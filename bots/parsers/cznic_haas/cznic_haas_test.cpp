// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.cznic.parser_haas";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "HaaS"}};
}  // namespace

TEST_CASE("haas: successful logins are compromises, failed ones brute force",
          "[cznic_haas][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"time": "2020-06-29T00:00:00.901916+00:00", "ip": "52.233.227.83",)"
                R"( "country": "NL", "login_successful": true, "commands": ["id"],)"
                R"( "time_closed": "2020-06-29T00:00:01+00:00"},)"
                R"( {"time": "2020-06-29T00:00:01Z", "ip": "211.159.218.251", "country": null,)"
                R"( "login_successful": false, "commands": []}])");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "classification.type") == "system-compromise");
  CHECK(run.str(0, "time.source") == "2020-06-29T00:00:00.901916+00:00");
  CHECK(run.str(0, "source.geolocation.cc") == "NL");
  CHECK(run.str(0, "destination.port") == "22");
  CHECK(run.str(0, "protocol.application") == "ssh");
  CHECK(run.get(0, "extra.commands").is_list());
  CHECK(run.str(1, "classification.type") == "brute-force");
  CHECK(run.str(1, "extra.count") == "1");
  CHECK_FALSE(run.has(1, "source.geolocation.cc"));
}

TEST_CASE("haas: an item without required keys fails alone", "[cznic_haas][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"ip": "10.0.0.1"}, {"time": "2020-06-29T00:00:01Z", "ip": "10.0.0.2",)"
                R"( "country": "", "login_successful": false, "commands": []}])");
  CHECK(run.count() == 1);
  CHECK(run.dumps() == 1);
}
