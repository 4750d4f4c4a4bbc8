// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Value run(testing::TestBot& bot, const char* key, const char* value) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add(key, Value::string(value));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0].get(key);
}
}  // namespace

TEST_CASE("truncate_by_delimiter: drops leading labels until short enough",
          "[experts][truncate_by_delimiter]") {
  testing::TestBot bot("experts.truncate_by_delimiter.expert",
                       {{"max_length", Value::integer(12)}});
  CHECK(run(bot, "source.fqdn", "a.bb.ccc.example.com") == Value::string("example.com"));
  CHECK(run(bot, "source.fqdn", "short.com") == Value::string("short.com"));
  // No delimiter left: stays too long.
  CHECK(run(bot, "source.fqdn", "a.verylongsinglelabel") == Value::string("verylongsinglelabel"));
}

TEST_CASE("truncate_by_delimiter: other delimiter and field, length in characters",
          "[experts][truncate_by_delimiter]") {
  testing::TestBot bot("experts.truncate_by_delimiter.expert",
                       {{"max_length", Value::integer(4)},
                        {"delimiter", Value::string("/")},
                        {"field", Value::string("extra.p")}});
  CHECK(run(bot, "extra.p", "x/y/\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f") ==
        Value::string("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f"));
}

TEST_CASE("truncate_by_delimiter: an empty delimiter fails only values that need cutting",
          "[experts][truncate_by_delimiter]") {
  // Python: `"" in value` is true, value.split("", 1) raises "empty separator";
  // a value within max_length never reaches the split.
  testing::TestBot bot("experts.truncate_by_delimiter.expert",
                       {{"delimiter", Value::string("")}, {"max_length", Value::integer(10)}});
  testing::CaptureEmitter out;
  auto short_ev = bot.event();
  short_ev.add("source.fqdn", Value::string("a.example"));
  bot.process(short_ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(out.sent["_default"][0].get("source.fqdn") == Value::string("a.example"));
  auto long_ev = bot.event();
  long_ev.add("source.fqdn", Value::string("very.long.name.example"));
  CHECK_THROWS_WITH(bot.process(long_ev, out), Catch::Contains("empty separator"));
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("truncate_by_delimiter: events without the field pass unchanged",
          "[experts][truncate_by_delimiter]") {
  testing::TestBot bot("experts.truncate_by_delimiter.expert", {{"max_length", Value::integer(3)}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.ip", Value::string("192.0.2.1"));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK_FALSE(out.sent["_default"][0].contains("source.fqdn"));
}
