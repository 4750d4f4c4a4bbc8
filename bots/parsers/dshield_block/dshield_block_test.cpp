// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.dshield.parser_block";
const std::vector<std::pair<std::string, std::string>> kReport = {
    {"feed.name", "DShield Block"}, {"feed.url", "https://www.dshield.org/block.txt"}};
}  // namespace

TEST_CASE("dshield block: networks with the updated time", "[dshield_block][unit]") {
  ParserRun run(kModule, kReport,
                "#    updated: Tue Dec 15 15:33:38 2015 UTC\n"
                "Start\tEnd\tNetblock\tAttacks\tName\tCountry\temail\n"
                "43.229.53.0\t43.229.53.255\t24\t788\tJapan Inet\tJP\tadmin@v6nic.net\n"
                "194.63.140.0\t194.63.140.255\t24\t585\t\t\t\n"
                "1.2.3.0\t1.2.3.255\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "source.network") == "43.229.53.0/24");
  CHECK(run.str(0, "time.source") == "2015-12-15T15:33:38+00:00");
  CHECK(run.str(0, "extra.attacks") == "788");
  CHECK(run.str(0, "extra.network_name") == "Japan Inet");
  CHECK(run.str(0, "source.geolocation.cc") == "JP");
  CHECK(run.str(0, "source.abuse_contact") == "admin@v6nic.net");
  CHECK(run.str(0, "classification.type") == "blacklist");
  CHECK(run.raw(1) == "194.63.140.0\t194.63.140.255\t24\t585");
  CHECK_FALSE(run.has(1, "extra.network_name"));
}

TEST_CASE("dshield block: data before any time line fails the report", "[dshield_block][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, "43.229.53.0\t43.229.53.255\t24\t788\n"));
}
