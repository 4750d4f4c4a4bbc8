// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {

/// A fresh bot id per test, so each test gets its own embedded cache directory.
std::string fresh_id() {
  static std::atomic<int> n{0};
  std::string id = "threshold-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("intelflow-test-" + id));
  return id;
}

Message event(testing::TestBot& bot, const char* src, const char* dst) {
  auto ev = bot.event();
  ev.add("feed.name", Value::string("t"));
  ev.add("source.ip", Value::string(src));
  ev.add("destination.ip", Value::string(dst));
  return ev;
}

}  // namespace

TEST_CASE("threshold: exactly the event reaching the threshold is forwarded",
          "[experts][threshold]") {
  testing::TestBot bot("experts.threshold.expert",
                       {{"filter_keys", Value::list({Value::string("source.ip")})},
                        {"filter_type", Value::string("whitelist")},
                        {"threshold", Value::integer(3)}},
                       fresh_id());
  testing::CaptureEmitter out;
  for (int i = 0; i < 6; ++i) {
    auto ev = event(bot, "192.0.2.1", ("198.51.100." + std::to_string(i)).c_str());
    bot.process(ev, out);
  }
  REQUIRE(out.sent["_default"].size() == 1);
  const auto& r = out.sent["_default"][0];
  CHECK(r.get("destination.ip") == Value::string("198.51.100.2"));
  CHECK(r.get("extra.count") == Value::integer(3));
  CHECK(r.get("comment") == Value::string("Threshold reached"));
  CHECK(out.dropped.size() == 5);
}

TEST_CASE("threshold: different groups count separately, add_keys, bypass",
          "[experts][threshold]") {
  testing::TestBot bot("experts.threshold.expert",
                       {{"filter_keys", Value::list({Value::string("destination.ip")})},
                        {"threshold", Value::integer(2)},
                        {"add_keys", Value::dict({{"extra.flag", Value::boolean(true)}})}},
                       fresh_id());
  testing::CaptureEmitter out;
  for (const char* s : {"192.0.2.1", "192.0.2.2", "192.0.2.1"}) {
    auto ev = event(bot, s, "198.51.100.1");
    bot.process(ev, out);
  }
  // blacklist of destination.ip: grouped by source.ip (+ feed.name).
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(out.sent["_default"][0].get("source.ip") == Value::string("192.0.2.1"));
  CHECK(out.sent["_default"][0].get("extra.flag") == Value::boolean(true));
  CHECK_FALSE(out.sent["_default"][0].contains("comment"));

  testing::TestBot pass("experts.threshold.expert", {{"bypass", Value::boolean(true)}}, fresh_id());
  testing::CaptureEmitter out2;
  auto ev = event(pass, "192.0.2.1", "198.51.100.1");
  pass.process(ev, out2);
  CHECK(out2.sent["_default"].size() == 1);
}

TEST_CASE("threshold: a string filter_keys has substring semantics", "[experts][threshold]") {
  // "source.ip,x" contains "source.ip" but not "destination.ip": whitelist of source.ip only.
  testing::TestBot bot("experts.threshold.expert",
                       {{"filter_keys", Value::string("source.ip,x")},
                        {"filter_type", Value::string("whitelist")},
                        {"threshold", Value::integer(2)}},
                       fresh_id());
  testing::CaptureEmitter out;
  for (const char* d : {"198.51.100.1", "198.51.100.2"}) {
    auto ev = event(bot, "192.0.2.1", d);
    bot.process(ev, out);
  }
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("threshold: invalid threshold or TTL refuses the start", "[experts][threshold]") {
  CHECK_THROWS_AS(
      testing::TestBot("experts.threshold.expert", {{"threshold", Value::integer(0)}}, fresh_id()),
      ConfigError);
  CHECK_THROWS_AS(testing::TestBot("experts.threshold.expert",
                                   {{"redis_cache_ttl", Value::integer(0)}}, fresh_id()),
                  ConfigError);
}
