// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;
using intelflow::harm::Value;

namespace {
const char* kModule = "parsers.microsoft.parser_ctip";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "ctip"}};

std::string interflow(const std::string& fields) {
  return R"({"indicatorthreattype": "Botnet", "version": 1.5, "confidence": 50,)"
         R"( "firstreporteddatetime": "2018-02-06T09:37:02", "networksourceipv4": "224.0.5.8")" +
         fields + "}";
}
}  // namespace

TEST_CASE("ctip interflow: mapping, accuracy scaled by confidence", "[microsoft_ctip][unit]") {
  ParserRun run(kModule, kReport,
                "[" +
                    interflow(R"(, "networkdestinationipv4": "198.18.18.18", "hostname": )"
                              R"("198.18.18.18", "externalid": "B85-R2S", "tlplevel": "Green",)"
                              R"( "additionalmetadata": ["null"], "useragent": "")") +
                    ", " +
                    interflow(R"(, "networkdestinationipv4": "192.88.99.1, 192.88.99.1",)"
                              R"( "hostname": "c2.example.com", "additionalmetadata": ["x"])") +
                    ", " + interflow(R"(, "networkdestinationipv4": "0.0.0.0")") + "]");
  REQUIRE(run.count() == 3);
  CHECK(run.get(0, "feed.accuracy").as_float() == 50.0);
  CHECK(run.str(0, "malware.name") == "b85-r2s");
  CHECK(run.str(0, "tlp") == "GREEN");
  CHECK(run.str(0, "time.source") == "2018-02-06T09:37:02+00:00");
  CHECK_FALSE(run.has(0, "destination.fqdn"));
  CHECK_FALSE(run.has(0, "extra.additionalmetadata"));
  CHECK(run.str(0, "classification.type") == "infected-system");
  CHECK(run.raw(0).starts_with(R"([{"indicatorthreattype": "Botnet", "version": 1.5, )"));
  CHECK(run.str(1, "destination.ip") == "192.88.99.1");
  CHECK(run.str(1, "destination.fqdn") == "c2.example.com");
  CHECK(run.get(1, "extra.additionalmetadata").is_list());
  CHECK_FALSE(run.has(2, "destination.ip"));
}

TEST_CASE("ctip interflow: other threat types and unknown keys fail the item",
          "[microsoft_ctip][unit]") {
  ParserRun run(kModule, kReport,
                "[" + interflow(R"(, "indicatorthreattype": "Phishing")") + ", " +
                    interflow(R"(, "newkey": 1)") + ", " + interflow("") + "]");
  CHECK(run.count() == 1);
  CHECK(run.dumps() == 2);
}

TEST_CASE("ctip azure: flattening, payload decoding, overwrite", "[microsoft_ctip][unit]") {
  const std::string line1 =
      R"({"DataFeed": "CTIP-Infected", "ThreatConfidence": "Medium", "TLP": "Unknown",)"
      R"( "SourceIp": "224.0.5.8", "DateTimeReceivedUtc": 132348339284870000,)"
      R"( "SourceIpInfo": {"SourceIpAsnNumber": "64496", "SourceIpRegion": "",)"
      R"( "SourceIpConnectionType": "Cellular"}, "CustomInfo": {"CustomField1": "tinba"},)"
      R"( "Payload": "eyJ0cyI6MTU5MDM2MDMyOC40ODc0MiwiZG9tYWluIjoiZXhhbXBsZS5jb20iLCJQcm90b2NvbCI6IkhUVFAvMS4xIn0="})";
  const std::string line2 =
      R"({"DataFeed": "CTIP-Infected", "SourceIp": "224.0.5.9", "Payload": "dGV4dA=="})";
  const std::string line3 = R"({"DataFeed": "X", "Payload": "AA==", "Payload2": 1})";
  ParserRun run(kModule, kReport, line1 + "\n" + line2 + "\n" + line3 + "\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "feed.name") == "CTIP-Infected");
  CHECK(run.get(0, "feed.accuracy").as_float() == 50.0);
  CHECK_FALSE(run.has(0, "tlp"));
  CHECK(run.str(0, "time.source") == "2020-05-24T22:45:28.487000+00:00");
  CHECK(run.str(0, "source.asn") == "64496");
  CHECK_FALSE(run.has(0, "source.geolocation.region"));
  CHECK(run.str(0, "extra.source.connection_type") == "Cellular");
  CHECK(run.str(0, "extra.custom_field1") == "tinba");
  CHECK(run.str(0, "extra.payload.timestamp") == "2020-05-24T22:45:28.487420+00:00");
  CHECK(run.str(0, "destination.fqdn") == "example.com");
  CHECK(run.str(0, "protocol.application") == "http");
  CHECK(run.str(0, "extra.payload.protocol") == "HTTP/1.1");
  CHECK(run.raw(0) == line1);
  CHECK(run.str(1, "extra.payload.text") == "text");
  REQUIRE(run.dumps() == 1);  // unknown key Payload2
  CHECK(run.dumped_raw(0) == line3);

  ParserRun keep(kModule, kReport, line2 + "\n", {{"overwrite", Value::boolean(false)}});
  REQUIRE(keep.count() == 1);
  CHECK(keep.str(0, "feed.name") == "ctip");
}

TEST_CASE("ctip: a report that is neither a list nor objects fails", "[microsoft_ctip][unit]") {
  CHECK_THROWS(ParserRun(kModule, kReport, "hello"));
  CHECK_THROWS(ParserRun(kModule, kReport, "{\"a\": 1}\n{broken\n"));
}
