// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.phishtank.parser";
}  // namespace

namespace {

using intelflow::bots::ptest::ParserRun;

/// One run of the parser on one report (feed.name "Test Feed", then `fields`)
/// with `raw` = text: the common ParserRun with this file's argument order.
struct Run : ParserRun {
  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text,
      std::vector<std::pair<std::string, std::string>> fields = {})
      : ParserRun(kModule, with_feed_name(std::move(fields)), text, std::move(params)) {}

  static std::vector<std::pair<std::string, std::string>> with_feed_name(
      std::vector<std::pair<std::string, std::string>> fields) {
    fields.insert(fields.begin(), {"feed.name", "Test Feed"});
    return fields;
  }
};

}  // namespace

TEST_CASE("phishtank: one event per JSON object", "[parsers][unit]") {
  Run r({},
        R"([{"phish_id": "1", "url": "https://a.example/", "phish_detail_url": "http://x/1",
             "submission_time": "2022-11-16T14:08:44+00:00", "verified": "yes",
             "verification_time": "2022-11-16T14:12:55+00:00", "online": "yes",
             "details": [{"ip_address": "192.0.2.1", "cidr_block": "192.0.2.0/24",
                          "announcing_network": "64512", "country": "US"}],
             "target": "Other"},
            {}, {"url": "https://b.example/", "submission_time": "garbage"}])");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "time.source") == "2022-11-16T14:08:44+00:00");
  CHECK(r.str(0, "source.network") == "192.0.2.0/24");
  CHECK(r.get(0, "source.asn").as_int() == 64512);
  CHECK(r.str(0, "extra.phishtank.phish_id") == "1");
  CHECK(r.str(0, "status") == "online");
  CHECK(r.raw(0).starts_with("[{\"phish_id\": \"1\", \"url\": \"https://a.example/\""));
  CHECK(r.str(1, "source.url") == "https://b.example/");
  CHECK_FALSE(r.events()[1].contains("time.source"));  // unparsable time: warning only
}

TEST_CASE("phishtank: an element without a valid url is dumped", "[parsers][unit]") {
  Run r({}, R"([{"url": "no url"}, "text", {"url": "https://c.example/"}])");
  REQUIRE(r.events().size() == 1);
  REQUIRE(r.out.dumped.size() == 2);
  CHECK(r.dumped_raw(0) == R"([{"url": "no url"}])");
  CHECK(r.dumped_raw(1) == R"(["text"])");
}

TEST_CASE("phishtank: a report that is not JSON fails as a whole", "[parsers][unit]") {
  testing::TestBot bot(kModule, {});
  testing::CaptureEmitter out;
  Message report = bot.report();
  report.add("raw", Value::string("[{"));
  CHECK_THROWS(bot.process(report, out));
}
