// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.abusech.parser_feodotracker";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "Feodo"}};
}  // namespace

TEST_CASE("feodotracker: first_seen wins, last_online at midnight otherwise",
          "[abusech_feodotracker][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"ip_address": "51.178.161.32", "port": 4643, "status": "online",)"
                R"( "hostname": "srv.example.com", "as_number": 16276, "as_name": "OVH",)"
                R"( "country": "FR", "first_seen": "2021-01-17 07:44:46",)"
                R"( "last_online": "2022-11-15", "malware": "Dridex"},)"
                R"( {"ip_address": "1.234.21.73", "port": 6601, "hostname": null,)"
                R"( "last_online": "2022-11-15", "malware": "Dridex"}])");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "time.source") == "2021-01-17T07:44:46+00:00");
  CHECK(run.str(0, "source.reverse_dns") == "srv.example.com");
  CHECK(run.str(0, "malware.name") == "dridex");
  CHECK(run.str(0, "status") == "online");
  CHECK(run.str(0, "extra.last_online") == "2022-11-15");
  CHECK(run.str(0, "classification.type") == "c2-server");
  CHECK(run.raw(0).starts_with(R"([{"ip_address": "51.178.161.32", "port": 4643, )"));
  CHECK(run.str(1, "time.source") == "2022-11-15T00:00:00+00:00");
  CHECK_FALSE(run.has(1, "source.reverse_dns"));
}

TEST_CASE("feodotracker: invalid optional values are left out, a bad IP fails the item",
          "[abusech_feodotracker][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"ip_address": "10.0.0.1", "port": 80, "country": "France",)"
                R"( "first_seen": "17.01.2021", "as_number": "none"},)"
                R"( {"ip_address": "nope", "port": 80}])");
  REQUIRE(run.count() == 1);
  CHECK_FALSE(run.has(0, "source.geolocation.cc"));
  CHECK_FALSE(run.has(0, "time.source"));
  CHECK_FALSE(run.has(0, "source.asn"));
  CHECK(run.dumps() == 1);
}
