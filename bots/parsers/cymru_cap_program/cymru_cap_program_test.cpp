// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.cymru.parser_cap_program";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "CAP"}};
const std::string kNewHeader = "# Report generated on 2019-09-05 for example\n";
}  // namespace

TEST_CASE("cymru cap new format: notes, one event per destination port",
          "[cymru_cap_program][unit]") {
  ParserRun run(kModule, kReport,
                kNewHeader +
                    "bot|10.0.0.1|64496|2019-09-05 08:44:58|family: Mirai; dest_addr: 10.0.0.2;"
                    " dest_port: 23, 2323 (total_count:5); protocol: 6|Example AS, Name, AT\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "destination.port") == "23");
  CHECK(run.str(1, "destination.port") == "2323");
  CHECK(run.str(0, "malware.name") == "mirai");
  CHECK(run.str(0, "classification.identifier") == "mirai");
  CHECK(run.str(0, "classification.type") == "infected-system");
  CHECK(run.str(0, "destination.ip") == "10.0.0.2");
  CHECK(run.str(0, "protocol.transport") == "tcp");
  CHECK(run.str(0, "source.as_name") == "Example AS, Name");
  CHECK(run.str(0, "source.geolocation.cc") == "AT");
  CHECK(run.str(0, "time.source") == "2019-09-05T08:44:58+00:00");
  CHECK(run.raw(1) == kNewHeader +
                          "bot|10.0.0.1|64496|2019-09-05 08:44:58|family: Mirai; dest_addr: "
                          "10.0.0.2; dest_port: 23, 2323 (total_count:5); protocol: 6|Example "
                          "AS, Name, AT");
}

TEST_CASE("cymru cap new format: proxy, bogus hostname, bruteforce, asn 0",
          "[cymru_cap_program][unit]") {
  ParserRun run(kModule, kReport,
                kNewHeader + "proxy|10.0.0.1|64496|2019-09-05 08:44:58|http-8080|AS, AT\n" +
                    "scanner|10.0.0.1|64496|2019-09-05 08:44:58|hostname: a.example.comport: "
                    "22|AS, AT\n" +
                    "bruteforce|10.0.0.1|0|2019-09-05 08:44:58|ssh|AS, AT\n" +
                    "darknet|10.0.0.1|64496|2019-09-05 08:44:58|protocol: 200|AS, AT\n");
  REQUIRE(run.count() == 4);
  CHECK(run.str(0, "protocol.application") == "http");
  CHECK(run.str(0, "source.port") == "8080");
  CHECK(run.str(0, "classification.identifier") == "openproxy");
  CHECK(run.str(1, "source.fqdn") == "a.example.com");
  CHECK(run.str(1, "source.port") == "22");
  CHECK(run.str(2, "classification.identifier") == "ssh");
  CHECK(run.str(2, "protocol.application") == "ssh");
  CHECK_FALSE(run.has(2, "source.asn"));
  CHECK(run.str(3, "extra.protocol.transport") == "200");
}

TEST_CASE("cymru cap: unknown categories, keys and missing header fail the line",
          "[cymru_cap_program][unit]") {
  ParserRun run(kModule, kReport,
                kNewHeader + "nonsense|10.0.0.1|64496|2019-09-05 08:44:58||AS, AT\n" +
                    "scanner|10.0.0.1|64496|2019-09-05 08:44:58|color: red|AS, AT\n" +
                    "scanner|10.0.0.1|64496|2019-09-05 08:44:58|protocol: 99|AS, AT\n" +
                    "spam|10.0.0.1|64496|2019-09-05 08:44:58||AS, AT\n");
  CHECK(run.count() == 1);
  CHECK(run.dumps() == 3);
  ParserRun no_header(kModule, kReport, "spam|10.0.0.1|64496|2019-09-05 08:44:58||AS, AT\n");
  CHECK(no_header.count() == 0);
  CHECK(no_header.dumps() == 1);
}

TEST_CASE("cymru cap old format: bots comment and per-type rules", "[cymru_cap_program][unit]") {
  ParserRun run(kModule, kReport,
                "# Data file written at Fri Oct 31 13:37:42 2017 GMT\n"
                "bots|172.16.0.21|0|2017-10-31 10:00:05|srcport 1337 mwtype Some Bot destaddr "
                "172.16.0.22 Avalanche Botnet|AS Name\n"
                "scanners|172.16.0.21|64496|2017-10-31 10:00:05|445|AS Name\n"
                "toxbot|172.16.0.21|64496|2017-10-31 10:00:05|srcport 4444|AS Name\n"
                "spreaders|172.16.0.21|64496|2017-10-31 10:00:05|http://x.example/ abc|AS Name\n"
                "unknown|172.16.0.21|64496|2017-10-31 10:00:05||AS Name\n");
  REQUIRE(run.count() == 3);
  CHECK(run.str(0, "extra.source_port") == "1337");
  CHECK(run.str(0, "malware.name") == "some bot");
  CHECK(run.str(0, "destination.ip") == "172.16.0.22");
  CHECK(run.str(0, "event_description.text") == "Avalanche Botnet");
  CHECK(run.str(1, "source.port") == "445");
  CHECK(run.str(2, "malware.name") == "toxbot");
  CHECK(run.str(2, "extra.source_port") == "4444");
  CHECK(run.dumps() == 2);
}
