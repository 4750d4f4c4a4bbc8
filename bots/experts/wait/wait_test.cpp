// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <hiredis/hiredis.h>

#include <chrono>
#include <thread>

#include "bots/common/redis_test_server.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

TEST_CASE("wait: without settings events pass through", "[experts][wait]") {
  testing::TestBot bot("experts.wait.expert", {});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("feed.name", Value::string("x"));
  bot.process(ev, out);
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("wait: sleep_time delays each event", "[experts][wait]") {
  testing::TestBot bot("experts.wait.expert", {{"sleep_time", Value::floating(0.05)}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  auto t0 = std::chrono::steady_clock::now();
  bot.process(ev, out);
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(45));
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("wait: an unreachable queue server refuses the start", "[experts][wait]") {
  CHECK_THROWS(testing::TestBot("experts.wait.expert", {{"queue_name", Value::string("q")},
                                                        {"queue_host", Value::string("127.0.0.1")},
                                                        {"queue_port", Value::integer(1)}}));
}

TEST_CASE("wait: queue mode waits until the list is short enough", "[experts][wait][redis]") {
  intelflow::bots::testing::RedisTestServer srv;
  if (!srv.available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  redisContext* c = redisConnectUnix(srv.socket_path().c_str());
  REQUIRE((c != nullptr && c->err == 0));
  auto cmd = [&](const char* text) { freeReplyObject(redisCommand(c, text)); };
  cmd("SELECT 2");
  cmd("RPUSH q a b");
  testing::TestBot bot("experts.wait.expert", {{"queue_name", Value::string("q")},
                                               {"queue_host", Value::string(srv.socket_path())},
                                               {"queue_size", Value::integer(1)},
                                               {"queue_polling_interval", Value::floating(0.01)}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  std::thread popper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cmd("LPOP q");
  });
  auto t0 = std::chrono::steady_clock::now();
  bot.process(ev, out);
  const auto waited = std::chrono::steady_clock::now() - t0;
  popper.join();
  CHECK(waited >= std::chrono::milliseconds(90));
  CHECK(out.sent["_default"].size() == 1);
  redisFree(c);
}

TEST_CASE("wait: a negative sleep_time refuses the start", "[experts][wait]") {
  try {
    testing::TestBot bot("experts.wait.expert", {{"sleep_time", Value::floating(-1.5)}});
    FAIL("a negative sleep_time was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.param() == "sleep_time");
  }
}
