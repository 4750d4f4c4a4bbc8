// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.misp.parser";
const std::vector<std::pair<std::string, std::string>> kReport = {
    {"feed.name", "misp"}, {"feed.url", "https://misp.example.com/"}};

std::string attribute(const char* category, const char* type, const char* value,
                      const char* uuid = "575c8598-f1f0-4c16-a94a-0612c0a83866") {
  return std::string(R"({"category": ")") + category + R"(", "type": ")" + type +
         R"(", "value": ")" + value + R"(", "uuid": ")" + uuid +
         R"(", "comment": "note", "timestamp": "1465681304"})";
}
}  // namespace

TEST_CASE("misp: supported attributes become events, others are skipped", "[misp][unit]") {
  const std::string text =
      R"({"id": "2", "uuid": "5758ebf5-c898-48e6-9fe9-5665c0a83866",)"
      R"( "Tag": [{"name": "for_intelmq"}, {"name": "ecsirt:malicious-code=\"ransomware\""}],)"
      R"( "Attribute": [)" +
      attribute("Payload delivery", "url", "http://fake.example.com/x") + ", " +
      attribute("Payload type", "text", "Locky") + ", " +
      attribute("Other", "url", "http://other.example.com/") + R"(],)" +
      R"( "Object": [{"Attribute": [)" + attribute("Network activity", "ip-dst", "10.0.0.1") +
      R"(]}]})";
  ParserRun run(kModule, kReport, text);
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "source.url") == "http://fake.example.com/x");
  CHECK(run.str(0, "malware.name") == "locky");
  CHECK(run.str(0, "classification.type") == "infected-system");
  CHECK(run.str(0, "event_description.text") == "Payload delivery");
  CHECK(run.str(0, "event_description.url") == "https://misp.example.com/events/view/2");
  CHECK(run.str(0, "misp.event_uuid") == "5758ebf5-c898-48e6-9fe9-5665c0a83866");
  CHECK(run.str(0, "comment") == "note");
  CHECK(run.str(0, "time.source") == "2016-06-11T21:41:44+00:00");
  CHECK(run.raw(0).starts_with(R"({"category": "Payload delivery", "comment": "note", )"));
  CHECK(run.str(1, "source.ip") == "10.0.0.1");
}

TEST_CASE("misp: no tag means no classification, dropzone sets the identifier", "[misp][unit]") {
  const std::string base = R"({"id": "7", "uuid": "5758ebf5-c898-48e6-9fe9-5665c0a83866", )";
  ParserRun plain(kModule, kReport,
                  base + R"("Attribute": [)" + attribute("Artifacts dropped", "md5", "abc") + "]}");
  REQUIRE(plain.count() == 1);
  CHECK_FALSE(plain.has(0, "classification.type"));
  CHECK(plain.str(0, "malware.hash.md5") == "abc");

  ParserRun dropzone(
      kModule, kReport,
      base + R"("Tag": [{"name": "ecsirt:information-content-security=\"dropzone\""}],)" +
          R"( "Attribute": [)" + attribute("Network activity", "domain", "a.example") + "]}");
  REQUIRE(dropzone.count() == 1);
  CHECK(dropzone.str(0, "classification.type") == "other");
  CHECK(dropzone.str(0, "classification.identifier") == "dropzone");
  CHECK(dropzone.str(0, "source.fqdn") == "a.example");
}

TEST_CASE("misp: a broken event fails the whole report", "[misp][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, R"({"id": "1", "uuid": "x"})"));
  CHECK_THROWS(ParserRun(kModule, kReport, "[1, 2"));
}
