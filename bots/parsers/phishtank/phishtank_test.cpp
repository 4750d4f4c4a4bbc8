// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.phishtank.parser";
}  // namespace

namespace {

std::string b64decode(const std::string& in) {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    auto p = kAlpha.find(c);
    if (p == std::string::npos) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

/// One run of the parser on one report with `raw` = text.
struct Run {
  testing::TestBot bot;
  testing::CaptureEmitter out{{"_default", "_on_error"}};

  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text,
      std::vector<std::pair<std::string, std::string>> fields = {})
      : bot(kModule, std::move(params)) {
    Message report = bot.report();
    report.add("feed.name", Value::string("Test Feed"));
    for (const auto& [k, v] : fields) report.add(k, Value::string(v));
    report.add("raw", Value::string(text));
    bot.process(report, out);
  }
  const std::vector<Message>& events() { return out.sent["_default"]; }
  Value get(std::size_t i, const char* key) { return events().at(i).get(key); }
  std::string str(std::size_t i, const char* key) {
    const Value v = get(i, key);
    return v.is_string() ? v.as_string() : "<" + std::string(key) + " missing>";
  }
  std::string raw(std::size_t i) { return b64decode(events().at(i).get("raw").as_string()); }
  std::string dumped_raw(std::size_t i) {
    return b64decode(out.dumped.at(i).first.get("raw").as_string());
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
