// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;
using intelflow::harm::Value;

namespace {
const char* kModule = "parsers.alienvault.parser_otx";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "OTX"}};

std::string pulse(const std::string& indicators, const std::string& more = "") {
  return R"({"author_name": "AV", "name": "Pulse 1", "id": "p1", "description": "desc",)"
         R"( "modified": "2016-11-03T20:15:43.263000", "tags": ["a"],)"
         R"( "targeted_countries": [], "industries": [], "adversary": "")" +
         more + R"(, "indicators": [)" + indicators + "]}";
}
std::string ind(const char* type, const char* value) {
  return std::string(R"({"type": ")") + type + R"(", "indicator": ")" + value +
         R"(", "created": "2016-11-03T20:15:44"})";
}
}  // namespace

TEST_CASE("otx: indicator types map to fields, pulse data into extra", "[alienvault_otx][unit]") {
  ParserRun run(
      kModule, kReport,
      "[" +
          pulse(ind("FileHash-MD5", "0123456789abcdef0123456789abcdef") + ", " +
                    ind("domain", "example.com") + ", " + ind("hostname", "example.com/path") +
                    ", " + ind("IPv4", "10.0.0.1") + ", " + ind("Mutex", "xyz") + ", " +
                    ind("CVE", "CVE-2017-0144") + ", " + ind("URI", "/only/a/path with space"),
                R"(, "TLP": "green")") +
          "]");
  REQUIRE(run.count() == 6);
  CHECK(run.str(0, "malware.hash.md5") == "0123456789abcdef0123456789abcdef");
  CHECK(run.str(1, "source.fqdn") == "example.com");
  CHECK(run.str(2, "source.url") == "http://example.com/path");
  CHECK(run.str(3, "source.ip") == "10.0.0.1");
  CHECK(run.str(4, "extra.cve") == "CVE-2017-0144");
  CHECK(run.str(5, "source.urlpath") == "/only/a/path with space");
  CHECK(run.str(0, "extra.author") == "AV");
  CHECK(run.str(0, "extra.pulse") == "Pulse 1");
  CHECK(run.str(0, "extra.pulse_key") == "p1");
  CHECK(run.str(0, "extra.time_updated") == "2016-11-03T20:15:43.26+00:00");
  CHECK(run.str(0, "extra.adversary").empty());
  CHECK(run.get(0, "extra.industries").is_list());
  CHECK_FALSE(run.has(0, "extra.targeted_countries"));
  CHECK(run.str(0, "tlp") == "GREEN");
  CHECK(run.str(0, "comment") == "desc");
  CHECK(run.str(0, "classification.type") == "blacklist");
  // created "2016-11-03T20:15:44" loses its last 4 characters (reference behaviour)
  CHECK(run.str(0, "time.source") == "2016-11-03T20:01:00+00:00");
  CHECK(run.raw(1) ==
        R"({"created": "2016-11-03T20:15:44", "indicator": "example.com", "type": "domain"})");
}

TEST_CASE("otx: an invalid URL fails its pulse only", "[alienvault_otx][unit]") {
  ParserRun run(kModule, kReport,
                "[" + pulse(ind("IPv4", "10.0.0.1") + ", " + ind("URL", "http://")) + ", " +
                    pulse(ind("IPv4", "10.0.0.2")) + "]");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "source.ip") == "10.0.0.2");
  REQUIRE(run.dumps() == 1);
  CHECK(run.dumped_raw(0).starts_with(R"([{"author_name": "AV", )"));
}

TEST_CASE("otx: default_fields apply, invalid JSON fails the report", "[alienvault_otx][unit]") {
  ParserRun run(kModule, kReport, "[" + pulse(ind("IPv6", "::1")) + "]",
                {{"default_fields",
                  Value::dict({{"comment", Value::string("x")}, {"tlp", Value::string("RED")}})}});
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "comment") == "desc");
  CHECK(run.str(0, "tlp") == "RED");
  CHECK_THROWS(ParserRun(kModule, kReport, "[{"));
}
