// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Message sample(testing::TestBot& bot) {
  auto ev = bot.event();
  ev.add("classification.type", Value::string("scanner"));
  ev.add("feed.name", Value::string("test-feed"));
  ev.add("source.ip", Value::string("192.0.2.1"));
  ev.add("extra.a", Value::integer(1));
  ev.add("extra.b", Value::string("x"));
  return ev;
}
}  // namespace

TEST_CASE("field_reducer: blacklist deletes the listed fields (comma string, trimmed)",
          "[experts][field_reducer]") {
  testing::TestBot bot("experts.field_reducer.expert",
                       {{"type", Value::string("blacklist")},
                        {"keys", Value::string("source.ip, extra ,time.source")}});
  testing::CaptureEmitter out;
  auto ev = sample(bot);
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  const auto& r = out.sent["_default"][0];
  CHECK(r.keys() == std::vector<std::string>{"classification.type", "feed.name"});
}

TEST_CASE("field_reducer: whitelist keeps only the listed fields (list form)",
          "[experts][field_reducer]") {
  testing::TestBot bot("experts.field_reducer.expert",
                       {{"type", Value::string("whitelist")},
                        {"keys", Value::list({Value::string("feed.name"), Value::string("extra"),
                                              Value::string("time.source")})}});
  testing::CaptureEmitter out;
  auto ev = sample(bot);
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  const auto& r = out.sent["_default"][0];
  CHECK(r.size() == 3);
  CHECK(r.get("feed.name") == Value::string("test-feed"));
  CHECK(r.get("extra.a") == Value::integer(1));
  CHECK(r.get("extra.b") == Value::string("x"));
  CHECK(r.kind() == intelflow::harm::MessageKind::Event);
}

TEST_CASE("field_reducer: a key listed twice in a whitelist fails the event (KeyExists)",
          "[experts][field_reducer]") {
  testing::TestBot bot(
      "experts.field_reducer.expert",
      {{"type", Value::string("whitelist")}, {"keys", Value::string("feed.name,feed.name")}});
  testing::CaptureEmitter out;
  auto ev = sample(bot);
  CHECK_THROWS(bot.process(ev, out));
}

TEST_CASE("field_reducer: an unknown type refuses the start", "[experts][field_reducer]") {
  CHECK_THROWS_AS(
      testing::TestBot("experts.field_reducer.expert",
                       {{"type", Value::string("greylist")}, {"keys", Value::string("a")}}),
      ConfigError);
}
