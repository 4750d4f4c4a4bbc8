// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.key_value.parser";
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

namespace {
Value keys() {
  return Value::dict({{"srcip", Value::string("source.ip")},
                      {"ts", Value::string("time.source")},
                      {"msg", Value::string("comment")}});
}
}  // namespace

TEST_CASE("key_value: maps keys, strips quotes, reads epoch and fuzzy times", "[parsers][unit]") {
  Run r({{"keys", keys()}},
        "date=x srcip=192.0.2.1 ts=1234567890 msg=\"hi\"\n"
        "srcip=192.0.2.2 ts=\"2020-09-11T10:40:18\" other=1\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK(r.str(0, "time.source") == "2009-02-13T23:31:30+00:00");
  CHECK(r.str(0, "comment") == "hi");
  CHECK(r.raw(0) == "date=x srcip=192.0.2.1 ts=1234567890 msg=\"hi\"");
  CHECK(r.str(1, "time.source") == "2020-09-11T10:40:18+00:00");
}

TEST_CASE("key_value: separators, kept quotes, invalid values skipped", "[parsers][unit]") {
  Run r({{"keys", keys()},
         {"pair_separator", Value::string(";")},
         {"kv_separator", Value::string(":")},
         {"strip_quotes", Value::boolean(false)}},
        "srcip:not-an-ip;msg:\"q\";ts:not a time\n");
  REQUIRE(r.events().size() == 1);
  CHECK_FALSE(r.events()[0].contains("source.ip"));
  CHECK_FALSE(r.events()[0].contains("time.source"));
  CHECK(r.str(0, "comment") == "\"q\"");
}

TEST_CASE("key_value: a repeated key fails its line only", "[parsers][unit]") {
  Run r({{"keys", keys()}}, "msg=a msg=b\nmsg=c\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "comment") == "c");
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "msg=a msg=b");
}

TEST_CASE("key_value: keys are required", "[parsers][unit]") {
  CHECK_THROWS_AS(testing::TestBot(kModule, {}), ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"keys", Value::dict({})}}), ConfigError);
}
