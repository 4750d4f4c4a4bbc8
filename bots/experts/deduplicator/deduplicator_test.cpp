// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "bots/common/cache.hpp"
#include "bots/common/conformance_case.hpp"
#include "bots/common/redis_test_server.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::BatchEmitter;
using intelflow::api::ConfigError;
using intelflow::api::ExpertBot;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {

/// A unique bot id (TestBot keeps state in /tmp/intelflow-test-<id>) and
/// removal of that directory at the end.
struct BotId {
  BotId() {
    static std::atomic<int> n{0};
    id = "dedup-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
  }
  ~BotId() {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("intelflow-test-" + id),
                                ec);
  }
  std::string id;
};

/// Records what process_batch did with each event.
struct CaptureBatch : BatchEmitter {
  enum class What { Sent, Dropped, Failed };
  std::vector<std::pair<std::size_t, What>> log;
  std::vector<Message> sent;
  std::size_t current = 0;
  void select(std::size_t i) override { current = i; }
  void fail(std::size_t i, const std::exception&) override { log.emplace_back(i, What::Failed); }
  void send(Message&& m, std::string_view, bool) override {
    log.emplace_back(current, What::Sent);
    sent.push_back(std::move(m));
  }
  void dump(Message&&, std::string_view) override {}
  void drop(std::string_view) override { log.emplace_back(current, What::Dropped); }
  bool has_path(std::string_view p) const override { return p == "_default"; }
};

Message event(TestBot& t, const char* ip, const char* raw = "x") {
  auto ev = t.event();
  ev.add("source.ip", Value::string(ip));
  ev.add("raw", Value::string(raw));
  return ev;
}

/// Processes one event; true if it was forwarded.
bool forwarded(TestBot& t, Message ev) {
  CaptureEmitter out;
  t.process(ev, out);
  return out.sent["_default"].size() == 1;
}

std::vector<std::pair<std::string, Value>> blacklist_raw() {
  return {{"filter_keys", Value::string("raw, time.observation")},
          {"filter_type", Value::string("blacklist")}};
}

}  // namespace

TEST_CASE("deduplicator: the second identical event is dropped", "[experts][deduplicator]") {
  BotId id;
  TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
  CHECK(forwarded(t, event(t, "192.0.2.1", "a")));
  CHECK_FALSE(forwarded(t, event(t, "192.0.2.1", "b")));  // raw is not hashed
  CHECK(forwarded(t, event(t, "192.0.2.2", "a")));
}

TEST_CASE("deduplicator: whitelist hashes only the listed keys", "[experts][deduplicator]") {
  BotId id;
  TestBot t("experts.deduplicator.expert",
            {{"filter_keys", Value::list({Value::string("source.ip")})},
             {"filter_type", Value::string("whitelist")}},
            id.id);
  auto a = event(t, "192.0.2.1");
  a.add("comment", Value::string("one"));
  auto b = event(t, "192.0.2.1");
  b.add("comment", Value::string("two"));
  CHECK(forwarded(t, std::move(a)));
  CHECK_FALSE(forwarded(t, std::move(b)));
  // No listed key present: the hash of nothing, shared by all such events.
  auto c = t.event();
  c.add("destination.ip", Value::string("192.0.2.7"));
  auto d = t.event();
  d.add("destination.ip", Value::string("192.0.2.8"));
  CHECK(forwarded(t, std::move(c)));
  CHECK_FALSE(forwarded(t, std::move(d)));
}

TEST_CASE("deduplicator: bypass forwards everything", "[experts][deduplicator]") {
  BotId id;
  auto params = blacklist_raw();
  params.emplace_back("bypass", Value::boolean(true));
  TestBot t("experts.deduplicator.expert", params, id.id);
  CHECK(forwarded(t, event(t, "192.0.2.1")));
  CHECK(forwarded(t, event(t, "192.0.2.1")));
}

TEST_CASE("deduplicator: bad configuration refuses to start", "[experts][deduplicator]") {
  BotId id;
  CHECK_THROWS_AS(
      TestBot("experts.deduplicator.expert",
              {{"filter_keys", Value::string("raw")}, {"filter_type", Value::string("greylist")}},
              id.id),
      ConfigError);
  CHECK_THROWS_AS(TestBot("experts.deduplicator.expert", {}, id.id), ConfigError);
}

TEST_CASE("deduplicator: the embedded cache remembers hashes across restarts",
          "[experts][deduplicator]") {
  BotId id;
  {
    TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
    CHECK(forwarded(t, event(t, "192.0.2.1")));
  }
  TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
  CHECK_FALSE(forwarded(t, event(t, "192.0.2.1")));
  CHECK(forwarded(t, event(t, "192.0.2.3")));
}

TEST_CASE("deduplicator: a batch with repeated hashes acts like sequential processing",
          "[experts][deduplicator]") {
  BotId id_batch, id_seq;
  TestBot tb("experts.deduplicator.expert", blacklist_raw(), id_batch.id);
  TestBot ts("experts.deduplicator.expert", blacklist_raw(), id_seq.id);
  const char* ips[] = {"192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3",
                       "192.0.2.2", "192.0.2.1", "192.0.2.4"};
  // Pre-seed both with one known hash.
  CHECK(forwarded(tb, event(tb, "192.0.2.3")));
  CHECK(forwarded(ts, event(ts, "192.0.2.3")));

  std::vector<Message> batch;
  for (const char* ip : ips) batch.push_back(event(tb, ip));
  CaptureBatch out;
  dynamic_cast<ExpertBot&>(*tb.bot).process_batch(batch, out);

  std::vector<bool> seq;
  for (const char* ip : ips) seq.push_back(forwarded(ts, event(ts, ip)));
  REQUIRE(out.log.size() == std::size(ips));
  for (std::size_t i = 0; i < std::size(ips); ++i) {
    INFO("event " << i);
    CHECK(out.log[i].first == i);
    CHECK((out.log[i].second == CaptureBatch::What::Sent) == seq[i]);
  }
  CHECK(seq == std::vector<bool>{true, true, false, false, false, false, true});
  // A second batch sees what the first one stored.
  std::vector<Message> again;
  again.push_back(event(tb, "192.0.2.4"));
  CaptureBatch out2;
  dynamic_cast<ExpertBot&>(*tb.bot).process_batch(again, out2);
  REQUIRE(out2.log.size() == 1);
  CHECK(out2.log[0].second == CaptureBatch::What::Dropped);
}

TEST_CASE("deduplicator: Redis backend with pipelined batches", "[experts][deduplicator][redis]") {
  intelflow::bots::testing::RedisTestServer srv;
  if (!srv.available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  BotId id;
  auto params = blacklist_raw();
  params.emplace_back("redis_cache_host", Value::string(srv.socket_path()));
  params.emplace_back("redis_cache_db", Value::integer(6));
  TestBot t("experts.deduplicator.expert", params, id.id);
  std::vector<Message> batch;
  for (const char* ip : {"192.0.2.1", "192.0.2.2", "192.0.2.1"}) batch.push_back(event(t, ip));
  CaptureBatch out;
  dynamic_cast<ExpertBot&>(*t.bot).process_batch(batch, out);
  REQUIRE(out.log.size() == 3);
  CHECK(out.log[0].second == CaptureBatch::What::Sent);
  CHECK(out.log[1].second == CaptureBatch::What::Sent);
  CHECK(out.log[2].second == CaptureBatch::What::Dropped);
  // The stored key is the message hash with value "hash" and the bot TTL.
  intelflow::bots::CacheOptions o;
  o.host = srv.socket_path();
  o.db = 6;
  intelflow::bots::RedisCache c(o);
  std::string h = out.sent[0].hash({"raw", "time.observation"}, "blacklist");
  CHECK(c.get(h) == std::optional<std::string>("hash"));
  CHECK(c.ttl(h) == 86400);
  CHECK_FALSE(forwarded(t, event(t, "192.0.2.2")));
}

TEST_CASE("deduplicator: recorded IntelMQ cases (cache in Redis)",
          "[experts][deduplicator][redis][conformance]") {
  intelflow::bots::testing::RedisTestServer srv;
  if (!srv.available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  for (const char* name : {"test_bypass", "test_suppress", "test_whitelist_pass"}) {
    std::string cid = std::string("experts/deduplicator/test_expert__") + name;
    auto c = intelflow::bots::testing::ConformanceCase::load(cid, "/tmp");
    if (!c) {
      WARN("case not found: " + cid);
      continue;
    }
    INFO(cid);
    // Harness defaults: cache db 4, TTL 10; the case parameters win.
    std::vector<std::pair<std::string, Value>> params = {
        {"redis_cache_host", Value::string(srv.socket_path())},
        {"redis_cache_db", Value::integer(4)},
        {"redis_cache_ttl", Value::integer(10)}};
    for (auto& p : c->parameters()) params.push_back(p);
    intelflow::bots::CacheOptions o;
    o.host = srv.socket_path();
    o.db = 4;
    intelflow::bots::RedisCache cache(o);
    cache.clear();
    for (const auto& [k, e] : c->cache("cache_before")) cache.set(k, e.first, e.second);

    BotId id;
    TestBot t("experts.deduplicator.expert", params, id.id);
    auto inputs = c->input();
    auto expected = c->output("_default");
    std::vector<Message> got;
    for (auto& in : inputs) {
      CaptureEmitter out;
      t.process(in, out);
      for (auto& m : out.sent["_default"]) got.push_back(std::move(m));
    }
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      CHECK(intelflow::bots::testing::ConformanceCase::same(got[i], expected[i]));
    for (const auto& [k, e] : c->cache("cache_after")) {
      INFO("key " << k);
      CHECK(cache.get(k) == std::optional<std::string>(e.first));
      CHECK(cache.ttl(k) == e.second);
    }
  }
}

namespace {

/// A batch emitter whose events carry WAL origins (seq, id = index + 1).
struct OriginBatch : CaptureBatch {
  std::uint64_t seq = 0;
  bool replay = false;
  Origin origin() const override { return {seq, current + 1, replay}; }
};

std::vector<CaptureBatch::What> run_batch(TestBot& t, const std::vector<const char*>& ips,
                                          std::uint64_t seq, bool replay) {
  std::vector<Message> batch;
  for (const char* ip : ips) batch.push_back(event(t, ip));
  OriginBatch out;
  out.seq = seq;
  out.replay = replay;
  dynamic_cast<ExpertBot&>(*t.bot).process_batch(batch, out);
  std::vector<CaptureBatch::What> r;
  for (auto& [i, w] : out.log) r.push_back(w);
  return r;
}

}  // namespace

TEST_CASE("deduplicator: a replayed event is not dropped as a duplicate of itself",
          "[experts][deduplicator]") {
  using W = CaptureBatch::What;
  BotId id;
  {
    TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
    CHECK(run_batch(t, {"192.0.2.1", "192.0.2.2", "192.0.2.1"}, 7, false) ==
          std::vector<W>{W::Sent, W::Sent, W::Dropped});
  }
  // After a restart (the embedded cache reloads its log) the report is replayed.
  TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
  CHECK(run_batch(t, {"192.0.2.1", "192.0.2.2", "192.0.2.1"}, 7, true) ==
        std::vector<W>{W::Sent, W::Sent, W::Dropped});
  // Another report with the same events: true duplicates, replay or not.
  CHECK(run_batch(t, {"192.0.2.1", "192.0.2.2"}, 8, true) ==
        std::vector<W>{W::Dropped, W::Dropped});
  CHECK(run_batch(t, {"192.0.2.2", "192.0.2.1"}, 7, false) ==
        std::vector<W>{W::Dropped, W::Dropped});
}

TEST_CASE("deduplicator: replay markers of the earlier format are recognised",
          "[experts][deduplicator]") {
  using W = CaptureBatch::What;
  BotId id;
  std::string h;
  {
    TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
    h = event(t, "192.0.2.9").hash({"raw", "time.observation"}, "blacklist");
  }
  {
    intelflow::bots::EmbeddedCache c(
        (std::filesystem::temp_directory_path() / ("intelflow-test-" + id.id)).string(), 86400);
    c.set(h, "intelflow:7:1");  // seq 7, id 1 (hex)
  }
  TestBot t("experts.deduplicator.expert", blacklist_raw(), id.id);
  CHECK(run_batch(t, {"192.0.2.9"}, 7, true) == std::vector<W>{W::Sent});
  CHECK(run_batch(t, {"192.0.2.9"}, 9, true) == std::vector<W>{W::Dropped});
}
