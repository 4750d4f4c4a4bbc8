// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <thread>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {

std::string fresh_id() {
  static std::atomic<int> n{0};
  std::string id = "aggregate-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("intelflow-test-" + id));
  return id;
}

Message event(testing::TestBot& bot, const char* type, const char* time_source) {
  auto ev = bot.event();
  ev.add("classification.type", Value::string(type));
  ev.add("classification.identifier", Value::string("x"));
  ev.add("time.source", Value::string(time_source));
  return ev;
}

}  // namespace

TEST_CASE("aggregate: groups are emitted after the time span when over the threshold",
          "[experts][aggregate]") {
  const std::string id = fresh_id();
  const std::vector<std::pair<std::string, Value>> params = {
      {"threshold", Value::integer(2)}, {"timespan", Value::string("1 second")}};
  testing::CaptureEmitter out;
  {
    testing::TestBot bot("experts.aggregate.expert", params, id);
    auto a1 = event(bot, "scanner", "2024-01-01T00:00:00+00:00");
    auto a2 = event(bot, "scanner", "2024-01-01T00:05:00+00:00");
    auto b1 = event(bot, "spam", "2024-01-01T00:01:00+00:00");
    bot.process(a1, out);
    bot.process(a2, out);
    bot.process(b1, out);
    CHECK(out.sent["_default"].empty());  // input is consumed
    CHECK(out.dropped.size() == 3);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  // A cleanup runs on the first event of a (re)started bot, then at most every 10 s.
  testing::TestBot again("experts.aggregate.expert", params, id);
  auto trigger = event(again, "phishing", "2024-01-01T01:00:00+00:00");
  again.process(trigger, out);
  REQUIRE(out.sent["_default"].size() == 1);  // spam (1 < 2) was discarded
  const auto& r = out.sent["_default"][0];
  CHECK(r.get("classification.type") == Value::string("scanner"));
  CHECK(r.get("extra.count") == Value::integer(2));
  CHECK(r.get("extra.time_end") == Value::string("2024-01-01T00:05:00+00:00"));
  CHECK(r.get("time.source") != Value::string("2024-01-01T00:00:00+00:00"));  // the group start
}

TEST_CASE("aggregate: extra.count is used as the increment", "[experts][aggregate]") {
  const std::string id = fresh_id();
  const std::vector<std::pair<std::string, Value>> params = {
      {"threshold", Value::integer(5)}, {"timespan", Value::string("1 second")}};
  testing::CaptureEmitter out;
  {
    testing::TestBot bot("experts.aggregate.expert", params, id);
    auto a1 = event(bot, "scanner", "2024-01-01T00:00:00+00:00");
    a1.add("extra.count", Value::integer(4));
    auto a2 = event(bot, "scanner", "2024-01-01T00:00:01+00:00");
    bot.process(a1, out);
    bot.process(a2, out);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  testing::TestBot again("experts.aggregate.expert", params, id);
  auto t = event(again, "spam", "2024-01-01T00:00:00+00:00");
  again.process(t, out);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(out.sent["_default"][0].get("extra.count") == Value::integer(5));
}

TEST_CASE("aggregate: a bad timespan refuses the start", "[experts][aggregate]") {
  CHECK_THROWS_AS(testing::TestBot("experts.aggregate.expert",
                                   {{"timespan", Value::string("soon")}}, fresh_id()),
                  ConfigError);
}
