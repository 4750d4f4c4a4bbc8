// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.bambenek.parser";
std::vector<std::pair<std::string, std::string>> feed(const std::string& url) {
  return {{"feed.name", "Bambenek"}, {"feed.url", url}};
}
}  // namespace

TEST_CASE("bambenek: C2 domain list", "[bambenek][unit]") {
  ParserRun run(kModule, feed("https://faf.bambenekconsulting.com/feeds/dga/c2-dommasterlist.txt"),
                "## header\n"
                "example.com,Domain used by pt goz,2016-11-12 18:02,"
                "http://osint.bambenekconsulting.com/manual/ptgoz.txt\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "source.fqdn") == "example.com");
  CHECK(run.str(0, "malware.name") == "pt goz");
  CHECK(run.str(0, "classification.type") == "c2-server");
  CHECK(run.str(0, "status") == "online");
  CHECK(run.str(0, "time.source") == "2016-11-12T18:02:00+00:00");
  CHECK(run.str(0, "event_description.url") ==
        "http://osint.bambenekconsulting.com/manual/ptgoz.txt");
}

TEST_CASE("bambenek: DGA list gets midnight UTC and dga-domain", "[bambenek][unit]") {
  ParserRun run(kModule, feed("https://osint.bambenekconsulting.com/feeds/dga-feed.txt"),
                "xq.com,Domain used by Cryptolocker,2016-11-10,"
                "http://osint.bambenekconsulting.com/manual/cl.txt\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "malware.name") == "cryptolocker");
  CHECK(run.str(0, "time.source") == "2016-11-10T00:00:00+00:00");
  CHECK(run.str(0, "classification.type") == "dga-domain");
  CHECK_FALSE(run.has(0, "status"));
}

TEST_CASE("bambenek: unknown feed URL and short lines fail their line", "[bambenek][unit]") {
  ParserRun unknown(kModule, feed("https://example.com/list.txt"),
                    "1.2.3.4,x,2016-11-12 18:02,http://x/y/bebloh.txt\n");
  CHECK(unknown.count() == 0);
  CHECK(unknown.dumps() == 1);
  ParserRun short_line(kModule,
                       feed("http://osint.bambenekconsulting.com/feeds/c2-ipmasterlist.txt"),
                       "1.2.3.4,x\n1.2.3.5,x,2016-11-12 18:02,http://x/y/bebloh.txt\n");
  REQUIRE(short_line.count() == 1);
  CHECK(short_line.str(0, "source.ip") == "1.2.3.5");
  CHECK(short_line.str(0, "malware.name") == "bebloh");
  CHECK(short_line.dumps() == 1);
}
