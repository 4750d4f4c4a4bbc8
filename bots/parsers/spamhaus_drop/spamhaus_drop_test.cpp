// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.spamhaus.parser_drop";
std::vector<std::pair<std::string, std::string>> feed(const std::string& url) {
  return {{"feed.name", "Spamhaus"}, {"feed.url", url}};
}
}  // namespace

TEST_CASE("spamhaus drop: network list with Last-Modified header", "[spamhaus_drop][unit]") {
  ParserRun run(kModule, feed("https://www.spamhaus.org/drop/drop.txt"),
                "; Spamhaus DROP List\n"
                "; Last-Modified: Mon, 14 Sep 2015 04:39:22 GMT\n"
                "1.10.16.0/20 ; SBL256894\n"
                "2.56.192.0/22 ;\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "source.network") == "1.10.16.0/20");
  CHECK(run.str(0, "extra.blocklist") == "SBL256894");
  CHECK(run.str(0, "time.source") == "2015-09-14T04:39:22+00:00");
  CHECK(run.str(0, "classification.type") == "spam");
  CHECK(run.raw(0) == "1.10.16.0/20 ; SBL256894");
  // an empty list name is still stored (extra members are never ignored)
  CHECK(run.str(1, "extra.blocklist").empty());
}

TEST_CASE("spamhaus drop: ASN list, cc only when present", "[spamhaus_drop][unit]") {
  ParserRun run(kModule, feed("https://www.spamhaus.org/drop/asndrop.txt"),
                "AS260 ; AE | XCONNECT24 - Xconnect24 Inc., US\n"
                "AS10516 ; | Orb-bit Design Group\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "source.asn") == "260");
  CHECK(run.str(0, "source.geolocation.cc") == "AE");
  CHECK(run.str(0, "source.as_name") == "XCONNECT24 - Xconnect24 Inc., US");
  CHECK_FALSE(run.has(0, "time.source"));
  CHECK_FALSE(run.has(1, "source.geolocation.cc"));
}

TEST_CASE("spamhaus drop: the header time does not leak into the next report",
          "[spamhaus_drop][unit]") {
  intelflow::api::testing::TestBot bot(kModule, {});
  intelflow::api::testing::CaptureEmitter out;
  auto report = [&](const char* text) {
    auto r = bot.report();
    r.add("feed.url", intelflow::harm::Value::string("https://www.spamhaus.org/drop/edrop.txt"));
    r.add("raw", intelflow::harm::Value::string(text));
    return r;
  };
  auto first = report("; Last-Modified: Mon, 14 Sep 2015 04:39:22 GMT\n1.10.16.0/20 ; SBL1\n");
  auto second = report("1.10.32.0/20 ; SBL2\n");
  bot.process(first, out);
  bot.process(second, out);
  REQUIRE(out.sent["_default"].size() == 2);
  CHECK(out.sent["_default"][0].contains("time.source"));
  CHECK_FALSE(out.sent["_default"][1].contains("time.source"));
}

TEST_CASE("spamhaus drop: unknown feed URL and bad header date fail their line",
          "[spamhaus_drop][unit]") {
  ParserRun unknown(kModule, feed("https://example.com/drop.txt"), "1.10.16.0/20 ; SBL1\n");
  CHECK(unknown.count() == 0);
  CHECK(unknown.dumps() == 1);
  ParserRun bad_date(kModule, feed("https://www.spamhaus.org/drop/drop.txt"),
                     "; Last-Modified: never\n1.10.16.0/20 ; SBL1\n");
  CHECK(bad_date.count() == 1);
  CHECK(bad_date.dumps() == 1);
}
