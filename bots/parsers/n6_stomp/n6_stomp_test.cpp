// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.n6.parser_n6stomp";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "n6"}};
}  // namespace

TEST_CASE("n6: one event per address, then the address-less event", "[n6_stomp][unit]") {
  const std::string text =
      R"({"category": "bots", "name": "Mirai", "type": "event", "time": "2019-01-12T23:12:02Z",)"
      R"( "id": "x", "proto": "tcp", "dport": 23, "fqdn": "unknown",)"
      R"( "address": [{"ip": "10.0.0.1", "asn": 65536, "cc": "AT", "rdns": "a.example.com"},)"
      R"( {"ip": "10.0.0.2"}]})";
  ParserRun run(kModule, kReport, text);
  REQUIRE(run.count() == 3);
  CHECK(run.str(0, "source.ip") == "10.0.0.1");
  CHECK(run.str(0, "source.asn") == "65536");
  CHECK(run.str(0, "source.reverse_dns") == "a.example.com");
  CHECK(run.str(1, "source.ip") == "10.0.0.2");
  CHECK_FALSE(run.has(2, "source.ip"));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(run.str(i, "classification.type") == "infected-system");
    CHECK(run.str(i, "classification.identifier") == "Mirai");
    CHECK(run.str(i, "malware.name") == "mirai");
    CHECK(run.str(i, "protocol.transport") == "tcp");
    CHECK(run.str(i, "destination.port") == "23");
    CHECK(run.raw(i) == text);
  }
  CHECK_FALSE(run.has(2, "source.fqdn"));
}

TEST_CASE("n6: bl-update is a blacklist, non-ASCII names are cleaned", "[n6_stomp][unit]") {
  ParserRun bl(kModule, kReport,
               R"({"category": "other", "type": "bl-update", "expires": "2019-02-03T20:12:03Z"})");
  REQUIRE(bl.count() == 1);
  CHECK(bl.str(0, "classification.taxonomy") == "other");
  CHECK(bl.str(0, "classification.type") == "blacklist");
  CHECK(bl.str(0, "extra.expires") == "2019-02-03T20:12:03+00:00");

  ParserRun name(
      kModule, kReport,
      "{\"category\": \"cnc\", \"type\": \"event\", \"name\": \"bad \xe2\x80\x99 name\"}");
  REQUIRE(name.count() == 1);
  CHECK(name.str(0, "malware.name") == "bad  name");
  CHECK(name.str(0, "event_description.text") == "bad \xe2\x80\x99 name");
  CHECK(name.str(0, "classification.identifier") == "c&c server");
}

TEST_CASE("n6: test messages are dropped silently", "[n6_stomp][unit]") {
  ParserRun run(kModule, kReport, R"({"type": "TEST MESSAGE"})");
  CHECK(run.count() == 0);
  CHECK(run.dumps() == 0);
}

TEST_CASE("n6: invalid JSON or unknown category fails the whole report", "[n6_stomp][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, "{not json"));
  CHECK_THROWS(ParserRun(kModule, kReport, R"({"category": "nonsense", "type": "event"})"));
  CHECK_THROWS(ParserRun(kModule, kReport, R"({"category": "fraud", "type": "event"})"));
}
