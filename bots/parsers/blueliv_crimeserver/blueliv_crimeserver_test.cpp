// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.blueliv.parser_crimeserver";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "Blueliv"}};
}  // namespace

TEST_CASE("blueliv: items mapped, raw is the item with sorted keys", "[blueliv][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"url": "http://example.com/x.pdf", "type": "MALWARE", "ip": "198.51.100.1",)"
                R"( "country": "US", "lastSeenAt": "2015-12-09T04:43:29+0000", "status": "ONLINE",)"
                R"( "confidence": 4, "updatedAt": "u", "firstSeenAt": "f"}])");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "classification.type") == "malware-distribution");
  CHECK(run.str(0, "source.url") == "http://example.com/x.pdf");
  CHECK(run.str(0, "source.geolocation.cc") == "US");
  CHECK(run.str(0, "time.source") == "2015-12-09T04:43:29+00:00");
  CHECK(run.str(0, "extra.confidence") == "4");
  CHECK(run.str(0, "extra.time_updated") == "u");
  CHECK(run.str(0, "extra.time_first_seen") == "f");
  CHECK(run.raw(0) ==
        R"({"confidence": 4, "country": "US", "firstSeenAt": "f", "ip": "198.51.100.1", )"
        R"("lastSeenAt": "2015-12-09T04:43:29+0000", "status": "ONLINE", "type": "MALWARE", )"
        R"("updatedAt": "u", "url": "http://example.com/x.pdf"})");
}

TEST_CASE("blueliv: TOR_IP marks a tor node and tolerates a bad url", "[blueliv][unit]") {
  ParserRun run(kModule, kReport,
                R"([{"ip": "10.0.0.1", "type": "TOR_IP", "url": "10.0.0.1", "status": "ONLINE"}])");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "classification.type") == "proxy");
  CHECK(run.get(0, "source.tor_node").as_bool());
  CHECK_FALSE(run.has(0, "source.url"));
}

TEST_CASE("blueliv: an unknown type or bad url fails the whole report", "[blueliv][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, R"([{"type": "NEW_KIND", "ip": "10.0.0.1"}])"));
  CHECK_THROWS(ParserRun(kModule, kReport, R"([{"type": "PHISHING", "url": "no url"}])"));
  CHECK_THROWS(ParserRun(kModule, kReport, R"({"not": "a list"})"));
}
