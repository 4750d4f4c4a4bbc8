// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Message run(testing::TestBot& bot, const char* key, const char* value) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("feed.name", Value::string("f"));
  ev.add(key, Value::string(value));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}
}  // namespace

TEST_CASE("remove_affix: prefix by default, only at the start", "[experts][remove_affix]") {
  testing::TestBot bot("experts.remove_affix.expert", {});
  CHECK(run(bot, "source.fqdn", "www.example.com").get("source.fqdn") ==
        Value::string("example.com"));
  CHECK(run(bot, "source.fqdn", "a.www.example.com").get("source.fqdn") ==
        Value::string("a.www.example.com"));
}

TEST_CASE("remove_affix: suffix of another field", "[experts][remove_affix]") {
  testing::TestBot bot("experts.remove_affix.expert",
                       {{"remove_prefix", Value::boolean(false)},
                        {"affix", Value::string(".lt")},
                        {"field", Value::string("destination.fqdn")}});
  CHECK(run(bot, "destination.fqdn", "www.google.lt").get("destination.fqdn") ==
        Value::string("www.google"));
  CHECK(run(bot, "destination.fqdn", "lt.example.com").get("destination.fqdn") ==
        Value::string("lt.example.com"));
}

TEST_CASE("remove_affix: removing everything deletes the field", "[experts][remove_affix]") {
  testing::TestBot bot("experts.remove_affix.expert",
                       {{"affix", Value::string("www.example.com")}});
  CHECK_FALSE(run(bot, "source.fqdn", "www.example.com").contains("source.fqdn"));
}

TEST_CASE("remove_affix: an event without the field passes unchanged", "[experts][remove_affix]") {
  testing::TestBot bot("experts.remove_affix.expert", {});
  auto r = run(bot, "source.url", "http://www.example.com/");
  CHECK_FALSE(r.contains("source.fqdn"));
  CHECK(r.get("source.url") == Value::string("http://www.example.com/"));
}

TEST_CASE("remove_affix: a field that is not text fails the event", "[experts][remove_affix]") {
  // IntelMQ calls str.startswith on the value: an int raises AttributeError.
  testing::TestBot bot("experts.remove_affix.expert", {{"field", Value::string("source.port")}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.port", Value::integer(80));
  CHECK_THROWS(bot.process(ev, out));
  CHECK(out.sent["_default"].empty());
}
