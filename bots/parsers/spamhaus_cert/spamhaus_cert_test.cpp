// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.spamhaus.parser_cert";
const std::vector<std::pair<std::string, std::string>> kReport = {
    {"feed.name", "Spamhaus CERT"},
    {"feed.url", "https://portal.spamhaus.org/cert/api.php?key=secret"}};
const std::string kHeader = "; Bots filtered by last 24 hours\n";
}  // namespace

TEST_CASE("spamhaus cert: infected host with C&C data", "[spamhaus_cert][unit]") {
  ParserRun run(kModule, kReport,
                kHeader +
                    "109.90.233.19,AS6830,AT,1441008351,patcher,dxxt.sinkhole.dk,212.227.20.19,"
                    "80,1036,tcp\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "feed.url") == "https://portal.spamhaus.org/cert/api.php?");
  CHECK(run.str(0, "source.ip") == "109.90.233.19");
  CHECK(run.str(0, "source.asn") == "6830");
  CHECK(run.str(0, "source.geolocation.cc") == "AT");
  CHECK(run.str(0, "time.source") == "2015-08-31T08:05:51+00:00");
  CHECK(run.str(0, "malware.name") == "patcher");
  CHECK(run.str(0, "classification.type") == "infected-system");
  CHECK(run.str(0, "destination.fqdn") == "dxxt.sinkhole.dk");
  CHECK(run.str(0, "destination.ip") == "212.227.20.19");
  CHECK(run.str(0, "destination.port") == "80");
  CHECK(run.str(0, "extra.source.local_port") == "1036");
  CHECK(run.str(0, "protocol.transport") == "tcp");
  CHECK(run.raw(0) == kHeader +
                          "109.90.233.19,AS6830,AT,1441008351,patcher,dxxt.sinkhole.dk,"
                          "212.227.20.19,80,1036,tcp");
}

TEST_CASE("spamhaus cert: bot names with fixed classifications", "[spamhaus_cert][unit]") {
  ParserRun run(kModule, kReport,
                "10.0.0.1,AS?,AT,1441008351,sshauth,,,,,\n"
                "10.0.0.2,AS1,AT,1441008351,iotscan,10.0.0.9:23,,2323,-,tcp\n"
                "10.0.0.3,AS1,AT,1441008351,l_spamlink,,http://spam.example/x,,"
                "10.0.0.4:v1:Bad,\n"
                "10.0.0.5,AS1,AT,1441008351,iotrdp,,,,?,\n"
                "10.0.0.6,AS1,AT,1441008351,auto,not a url,,,,\n");
  REQUIRE(run.count() == 5);
  CHECK_FALSE(run.has(0, "source.asn"));
  CHECK(run.str(0, "classification.type") == "brute-force");
  CHECK(run.str(0, "classification.identifier") == "ssh");
  CHECK(run.str(1, "classification.type") == "scanner");
  CHECK(run.str(1, "classification.identifier") == "telnet");
  CHECK_FALSE(run.has(1, "destination.fqdn"));
  CHECK(run.str(2, "source.url") == "http://spam.example/x");
  CHECK(run.str(2, "malware.name") == "bad");
  CHECK(run.str(2, "malware.version") == "v1");
  CHECK(run.str(2, "extra.spam_ip") == "10.0.0.4");
  CHECK(run.str(3, "classification.identifier") == "rdp");
  CHECK(run.str(4, "malware.name") == "s_other");
  CHECK_FALSE(run.has(4, "source.url"));
}

TEST_CASE("spamhaus cert: short rows and bad timestamps fail the line", "[spamhaus_cert][unit]") {
  ParserRun run(kModule, kReport,
                "10.0.0.1,AS1,AT,1441008351,sshauth\n"
                "10.0.0.1,AS1,AT,yesterday,sshauth,,,,,\n"
                "10.0.0.1,AS1,AT,1441008351,sshauth,,,,,\n");
  CHECK(run.count() == 1);
  CHECK(run.dumps() == 2);
}
