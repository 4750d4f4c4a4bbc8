// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.json.parser";
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

TEST_CASE("json: the whole report is one message merged over the report's fields",
          "[parsers][unit]") {
  Run r({},
        R"({"feed.name": "Other", "source.ip": "192.0.2.1", "classification.type": "unknown"})");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "feed.name") == "Other");
  CHECK(r.str(0, "classification.type") == "undetermined");
  CHECK(r.raw(0) ==
        R"({"feed.name": "Other", "source.ip": "192.0.2.1", "classification.type": "unknown"})");
}

TEST_CASE("json: splitlines and a raw field kept", "[parsers][unit]") {
  Run r({{"splitlines", Value::boolean(true)}},
        "{\"__type\": \"Event\", \"source.ip\": \"192.0.2.1\"}\n"
        "{\"source.ip\": \"192.0.2.2\", \"raw\": \"Zm9v\"}\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.raw(0) == "{\"__type\": \"Event\", \"source.ip\": \"192.0.2.1\"}");
  CHECK(r.raw(1) == "foo");
  CHECK(r.str(1, "feed.name") == "Test Feed");
}

TEST_CASE("json: multiple_events reads a list of flat objects", "[parsers][unit]") {
  Run r(
      {{"multiple_events", Value::boolean(true)}},
      R"([{"source.ip": "192.0.2.1", "classification.type": "unknown"}, {"source.ip": "192.0.2.2"}])");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "classification.type") == "undetermined");
  CHECK(r.raw(0) == R"({"classification.type": "unknown", "source.ip": "192.0.2.1"})");
}

TEST_CASE("json: an invalid message fails the report", "[parsers][unit]") {
  testing::TestBot bot(kModule, {});
  testing::CaptureEmitter out;
  Message report = bot.report();
  report.add("raw", Value::string(R"({"source.ip": "not an ip"})"));
  CHECK_THROWS(bot.process(report, out));
  CHECK(out.sent["_default"].empty());
}
