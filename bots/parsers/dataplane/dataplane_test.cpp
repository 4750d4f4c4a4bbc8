// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.dataplane.parser";

const std::vector<std::pair<std::string, std::string>> feed(const char* file) {
  return {{"feed.name", "dataplane"}, {"feed.url", std::string("https://dataplane.org/") + file}};
}
}  // namespace

TEST_CASE("dataplane: data line mapped, NA ASN skipped, AS name cut to its first word",
          "[dataplane][unit]") {
  ParserRun run(kModule, feed("sshclient.txt"),
                "# header\n"
                "NA  |  NA  |  5.157.7.82  |  2016-12-01 20:41:09  |  sshclient\n"
                "394472  |  SWOI-ASN - SWOI, US  |  104.241.232.238  |  2016-12-05 01:49:19  |  "
                "sshclient\n");
  REQUIRE(run.count() == 2);
  CHECK_FALSE(run.has(0, "source.asn"));
  CHECK_FALSE(run.has(0, "source.as_name"));
  CHECK(run.str(0, "source.ip") == "5.157.7.82");
  CHECK(run.str(0, "time.source") == "2016-12-01T20:41:09+00:00");
  CHECK(run.str(0, "classification.type") == "scanner");
  CHECK(run.str(0, "protocol.application") == "ssh");
  CHECK(run.raw(0) == "NA  |  NA  |  5.157.7.82  |  2016-12-01 20:41:09  |  sshclient");
  CHECK(run.str(1, "source.asn") == "394472");
  CHECK(run.str(1, "source.as_name") == "SWOI-ASN");
}

TEST_CASE("dataplane: proto41 has a first-seen column", "[dataplane][unit]") {
  ParserRun run(kModule, feed("proto41.txt"),
                "3  |  MIT  |  128.31.0.13  |  2021-09-01 10:00:00  |  2021-09-03 10:03:03  |  "
                "proto41\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "extra.first_seen") == "2021-09-01T10:00:00+00:00");
  CHECK(run.str(0, "time.source") == "2021-09-03T10:03:03+00:00");
  CHECK(run.str(0, "classification.type") == "proxy");
  CHECK(run.str(0, "protocol.application") == "6to4");
}

TEST_CASE("dataplane: wrong column count and unknown category fail only their line",
          "[dataplane][unit]") {
  ParserRun run(kModule, feed("sshpwauth.txt"),
                "14080 | Telmex Colombia S.A., CO |\n"
                "1 | A | 10.0.0.1 | 2021-09-03 10:03:03 | nosuchfeed\n"
                "1 | A | 10.0.0.2 | 2021-09-03 10:03:03 | sshpwauth\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "source.ip") == "10.0.0.2");
  CHECK(run.str(0, "classification.type") == "brute-force");
  REQUIRE(run.dumps() == 2);
  CHECK(run.dumped_raw(0) == "14080 | Telmex Colombia S.A., CO |");
}

TEST_CASE("dataplane: a bad timestamp fails the line", "[dataplane][unit]") {
  ParserRun run(kModule, feed("vncrfb.txt"), "1 | A | 10.0.0.1 | 2021-13-45 25:61:00 | vncrfb\n");
  CHECK(run.count() == 0);
  CHECK(run.dumps() == 1);
}
