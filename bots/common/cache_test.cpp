// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bots/common/cache.hpp"
#include "bots/common/redis_test_server.hpp"
#include "engine/api/errors.hpp"
#include "engine/wal/crc32c.hpp"

using intelflow::bots::Cache;
using intelflow::bots::CacheOptions;
using intelflow::bots::EmbeddedCache;
using intelflow::bots::RedisCache;
using intelflow::harm::Value;
namespace fs = std::filesystem;

namespace {

/// A fresh directory per test, removed afterwards.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/intelflow-cache-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

/// A settable clock (ms since the epoch).
struct FakeClock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(1'700'000'000'000);
  EmbeddedCache::Clock fn() const {
    auto n = now;
    return [n] { return *n; };
  }
};

}  // namespace

TEST_CASE("embedded cache: set, exists, get, erase", "[cache]") {
  EmbeddedCache c("", 10);
  CHECK_FALSE(c.exists("k"));
  c.set("k", "hash");
  CHECK(c.exists("k"));
  CHECK(c.get("k") == std::optional<std::string>("hash"));
  CHECK(c.erase("k"));
  CHECK_FALSE(c.exists("k"));
  CHECK_FALSE(c.erase("k"));
  CHECK(c.backend() == "embedded");
}

TEST_CASE("embedded cache: entries expire by the clock after the bot-wide TTL", "[cache]") {
  FakeClock clk;
  EmbeddedCache c("", 10, clk.fn());
  c.set("k", "v");
  CHECK(c.ttl("k") == 10);
  *clk.now += 9'999;
  CHECK(c.exists("k"));
  *clk.now += 1;
  CHECK_FALSE(c.exists("k"));
  CHECK(c.ttl("k") == -2);
  c.set("forever", "v", 0);
  CHECK(c.ttl("forever") == -1);
}

TEST_CASE("embedded cache: batch calls equal single calls", "[cache]") {
  EmbeddedCache c("", 100);
  c.set("a", "1");
  std::array<std::string_view, 3> keys{"a", "b", "a"};
  std::vector<char> found;
  c.exists_many(keys, found);
  CHECK(found == std::vector<char>{1, 0, 1});
  std::array<std::string_view, 2> sk{"b", "c"};
  std::array<std::string_view, 2> sv{"x", "y"};
  c.set_many(sk, sv);
  CHECK(c.get("c") == std::optional<std::string>("y"));
  CHECK(c.ttl("b") == 100);
}

TEST_CASE("embedded cache: entries survive a restart, expired ones do not", "[cache]") {
  TempDir d;
  FakeClock clk;
  {
    EmbeddedCache c(d.path, 60, clk.fn());
    c.set("short", "1", 5);
    c.set("long", "2");
    c.set("gone", "3");
    c.erase("gone");
    c.flush();
  }
  *clk.now += 10'000;
  EmbeddedCache c(d.path, 60, clk.fn());
  CHECK_FALSE(c.exists("short"));
  CHECK(c.get("long") == std::optional<std::string>("2"));
  CHECK(c.ttl("long") == 50);
  CHECK_FALSE(c.exists("gone"));
}

TEST_CASE("embedded cache: unflushed writes are still saved by the destructor", "[cache]") {
  TempDir d;
  { EmbeddedCache(d.path, 60).set("k", "v"); }
  EmbeddedCache c(d.path, 60);
  CHECK(c.exists("k"));
}

TEST_CASE("embedded cache: a torn log tail is cut off at load", "[cache]") {
  TempDir d;
  std::string log;
  {
    EmbeddedCache c(d.path, 60);
    c.set("first", "1");
    c.set("second", "2");
    c.flush();
    log = c.log_path();
  }
  auto size = fs::file_size(log);
  fs::resize_file(log, size - 3);  // the last record loses its CRC
  {
    EmbeddedCache c(d.path, 60);
    CHECK(c.exists("first"));
    CHECK_FALSE(c.exists("second"));
    c.set("third", "3");
  }
  EmbeddedCache c(d.path, 60);
  CHECK(c.exists("first"));
  CHECK(c.exists("third"));
}

TEST_CASE("embedded cache: compaction keeps live entries and shrinks the log", "[cache]") {
  TempDir d;
  FakeClock clk;
  std::uintmax_t before = 0;
  {
    EmbeddedCache c(d.path, 60, clk.fn());
    for (int i = 0; i < 2000; ++i) c.set("k" + std::to_string(i % 10), std::to_string(i));
    c.set("old", "x", 1);
    c.flush();
    before = fs::file_size(c.log_path());
    *clk.now += 2'000;
    c.compact();
    CHECK(fs::file_size(c.log_path()) < before / 100);
    CHECK(c.size() == 10);
    CHECK(c.get("k9") == std::optional<std::string>("1999"));
    c.set("after", "y");
  }
  EmbeddedCache c(d.path, 60, clk.fn());
  CHECK(c.size() == 11);
  CHECK(c.get("k0") == std::optional<std::string>("1990"));
  CHECK(c.exists("after"));
  CHECK_FALSE(c.exists("old"));
}

TEST_CASE("embedded cache: a second instance on the same directory is refused", "[cache]") {
  TempDir d;
  EmbeddedCache c(d.path, 60);
  CHECK_THROWS_AS(EmbeddedCache(d.path, 60), std::system_error);
}

TEST_CASE("embedded cache: clear empties memory and log", "[cache]") {
  TempDir d;
  {
    EmbeddedCache c(d.path, 60);
    c.set("k", "v");
    c.clear();
    CHECK_FALSE(c.exists("k"));
  }
  EmbeddedCache c(d.path, 60);
  CHECK(c.size() == 0);
}

namespace {

/// A SHA-256-like key (64 lowercase hex digits) from a number.
std::string hkey(std::uint64_t n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%016llx%048x",
                static_cast<unsigned long long>(n * 0x9e3779b97f4a7c15ULL), 0);
  return buf;
}

}  // namespace

TEST_CASE("embedded cache: digest keys with short values or markers are kept compact",
          "[cache][digest]") {
  EmbeddedCache c("", 60);
  std::string m = intelflow::bots::replay_marker(5, 9);
  c.set(hkey(1), "hash");
  c.set(hkey(2), m);
  c.set(hkey(3), "a value longer than eight bytes");
  c.set("plain", "hash");
  CHECK(c.size() == 4);
  CHECK(c.compact_size() == 2);
  CHECK(c.get(hkey(1)) == std::optional<std::string>("hash"));
  CHECK(c.get(hkey(2)) == std::optional<std::string>(m));
  CHECK(c.get(hkey(3)) == std::optional<std::string>("a value longer than eight bytes"));
  CHECK(c.ttl(hkey(2)) == 60);
  // A key moves between the two stores when its value changes kind.
  c.set(hkey(1), "now a long value, not compact");
  CHECK(c.compact_size() == 1);
  CHECK(c.get(hkey(1)) == std::optional<std::string>("now a long value, not compact"));
  c.set(hkey(3), "7");
  CHECK(c.compact_size() == 2);
  CHECK(c.size() == 4);
  CHECK(c.get(hkey(3)) == std::optional<std::string>("7"));
  std::array<std::string_view, 1> upper{
      "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"};
  std::vector<char> found;
  c.exists_many(upper, found);
  CHECK(found == std::vector<char>{0});
  CHECK(c.erase(hkey(2)));
  CHECK_FALSE(c.exists(hkey(2)));
  CHECK_FALSE(c.erase(hkey(2)));
}

TEST_CASE("embedded cache: compact entries, store moves and erases survive a restart",
          "[cache][digest]") {
  TempDir d;
  FakeClock clk;
  const std::string m = intelflow::bots::replay_marker(11, 3);
  {
    EmbeddedCache c(d.path, 60, clk.fn());
    for (std::uint64_t i = 0; i < 5000; ++i) c.set(hkey(i), i % 2 ? "hash" : m);
    c.set(hkey(1), "long value, in the map");   // table → map
    c.set(hkey(2), "long value for a moment");  // table → map
    c.set(hkey(2), "back");                     // map → table
    c.erase(hkey(3));
    c.set(hkey(4), "h", 5);  // expires before the restart
    c.set("other", "json {}", 0);
    c.flush();
  }
  *clk.now += 10'000;
  EmbeddedCache c(d.path, 60, clk.fn());
  CHECK(c.get(hkey(1)) == std::optional<std::string>("long value, in the map"));
  CHECK(c.get(hkey(2)) == std::optional<std::string>("back"));
  CHECK_FALSE(c.exists(hkey(3)));
  CHECK_FALSE(c.exists(hkey(4)));
  CHECK(c.get(hkey(6)) == std::optional<std::string>(m));
  CHECK(c.get(hkey(7)) == std::optional<std::string>("hash"));
  CHECK(c.ttl(hkey(7)) == 50);
  CHECK(c.ttl("other") == -1);
  CHECK(c.size() == 4999);
  CHECK(c.compact_size() == 4997);
}

TEST_CASE("embedded cache: the log of compact entries is small and compaction drops expired ones",
          "[cache][digest]") {
  TempDir d;
  FakeClock clk;
  std::string log;
  {
    EmbeddedCache c(d.path, 60, clk.fn());
    for (std::uint64_t i = 0; i < 10'000; ++i)
      c.set(hkey(i), intelflow::bots::replay_marker(1, i), i < 9'000 ? 1 : 0);
    c.flush();
    log = c.log_path();
    // 8 bytes of magic, then 37 bytes per entry (a 64-hex key alone is 64).
    CHECK(fs::file_size(log) == 8 + 37 * 10'000);
    *clk.now += 2'000;
    c.compact();
    CHECK(fs::file_size(log) == 8 + 37 * 1'000);
    CHECK(c.log_records() == 1'000);
    c.set(hkey(20'000), "hash");
  }
  EmbeddedCache c(d.path, 60, clk.fn());
  CHECK(c.size() == 1'001);
  CHECK(c.get(hkey(9'500)) == std::optional<std::string>(intelflow::bots::replay_marker(1, 9'500)));
  CHECK(c.exists(hkey(20'000)));
  CHECK_FALSE(c.exists(hkey(5)));
}

TEST_CASE("embedded cache: a torn compact record at the tail is cut off", "[cache][digest]") {
  TempDir d;
  std::string log;
  {
    EmbeddedCache c(d.path, 60);
    c.set(hkey(1), "hash");
    c.set(hkey(2), "hash");
    c.flush();
    log = c.log_path();
  }
  fs::resize_file(log, fs::file_size(log) - 10);
  {
    EmbeddedCache c(d.path, 60);
    CHECK(c.exists(hkey(1)));
    CHECK_FALSE(c.exists(hkey(2)));
    CHECK(fs::file_size(log) == 8 + 37);
    c.set(hkey(3), "hash");
  }
  EmbeddedCache c(d.path, 60);
  CHECK(c.exists(hkey(1)));
  CHECK(c.exists(hkey(3)));
}

TEST_CASE("embedded cache: a log of the earlier format is read and rewritten", "[cache][digest]") {
  TempDir d;
  FakeClock clk;
  // Format 1: u32 key_len | u32 value_len | i64 expires_ms | u8 op | key | value | u32 crc32c.
  auto record = [](std::string_view k, std::string_view v, std::int64_t exp, std::uint8_t op) {
    std::string r;
    auto kl = static_cast<std::uint32_t>(k.size());
    auto vl = static_cast<std::uint32_t>(v.size());
    r.append(reinterpret_cast<const char*>(&kl), 4);
    r.append(reinterpret_cast<const char*>(&vl), 4);
    r.append(reinterpret_cast<const char*>(&exp), 8);
    r.push_back(static_cast<char>(op));
    r.append(k);
    r.append(v);
    std::uint32_t crc = intelflow::wal::crc32c(r.data(), r.size());
    r.append(reinterpret_cast<const char*>(&crc), 4);
    return r;
  };
  const std::int64_t later = *clk.now + 30'000;
  {
    std::ofstream f(d.path + "/cache.log", std::ios::binary);
    f << record(hkey(1), "intelflow:7:1", later, 1) << record(hkey(2), "hash", later, 1)
      << record("plain", "v", 0, 1) << record(hkey(2), "", 0, 2)
      << record(hkey(3), "hash", *clk.now - 1, 1);
  }
  {
    EmbeddedCache c(d.path, 60, clk.fn());
    CHECK(c.get(hkey(1)) == std::optional<std::string>("intelflow:7:1"));
    CHECK_FALSE(c.exists(hkey(2)));
    CHECK_FALSE(c.exists(hkey(3)));
    CHECK(c.get("plain") == std::optional<std::string>("v"));
    CHECK(c.ttl(hkey(1)) == 30);
  }
  std::ifstream f(d.path + "/cache.log", std::ios::binary);
  std::string magic(8, '\0');
  f.read(magic.data(), 8);
  CHECK(magic == "IFCACHE2");
  EmbeddedCache c(d.path, 60, clk.fn());
  CHECK(c.size() == 2);
  CHECK(c.get(hkey(1)) == std::optional<std::string>("intelflow:7:1"));
}

TEST_CASE("cache options: embedded unless redis_cache_host is set, numbers may be strings",
          "[cache]") {
  intelflow::api::Params p({{"redis_cache_ttl", Value::string("86400")},
                            {"redis_cache_db", Value::integer(6)},
                            {"redis_cache_port", Value::null()}});
  auto o = CacheOptions::from_params(p, "/tmp/x");
  CHECK_FALSE(o.host.has_value());
  CHECK(o.ttl == 86400);
  CHECK(o.db == 6);
  CHECK(o.port == 6379);
  intelflow::api::Params bad({{"redis_cache_ttl", Value::string("a day")}});
  CHECK_THROWS_AS(CacheOptions::from_params(bad, ""), intelflow::api::ConfigError);
  intelflow::api::Params host({{"redis_cache_host", Value::string("127.0.0.1")}});
  CHECK(CacheOptions::from_params(host, "").host == std::optional<std::string>("127.0.0.1"));
}

TEST_CASE("redis cache: set/get/exists/ttl/erase against a real server", "[cache][redis]") {
  intelflow::bots::testing::RedisTestServer srv;
  if (!srv.available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  CacheOptions o;
  o.host = "unix://" + srv.socket_path();
  o.db = 4;
  o.ttl = 100;
  RedisCache c(o);
  CHECK(c.backend() == "redis");
  CHECK_FALSE(c.exists("k"));
  c.set("k", "hash");
  CHECK(c.exists("k"));
  CHECK(c.get("k") == std::optional<std::string>("hash"));
  CHECK(c.ttl("k") == 100);
  c.set("p", "v", 0);
  CHECK(c.ttl("p") == -1);
  CHECK(c.erase("k"));
  CHECK(c.ttl("k") == -2);
  // Another connection on another db does not see the keys.
  CacheOptions o2 = o;
  o2.host = srv.socket_path();  // plain "/path" form
  o2.db = 5;
  RedisCache other(o2);
  CHECK_FALSE(other.exists("p"));
  c.clear();
  CHECK_FALSE(c.exists("p"));
}

TEST_CASE("redis cache: pipelined batch calls", "[cache][redis]") {
  intelflow::bots::testing::RedisTestServer srv;
  if (!srv.available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  CacheOptions o;
  o.host = srv.socket_path();
  o.ttl = 50;
  RedisCache c(o);
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("key" + std::to_string(i));
  std::vector<std::string_view> keys(names.begin(), names.end());
  std::vector<std::string_view> vals(keys.size(), "hash");
  c.set_many(std::span(keys).first(250), std::span(vals).first(250));
  std::vector<char> found;
  c.exists_many(keys, found);
  REQUIRE(found.size() == 500);
  CHECK(std::count(found.begin(), found.end(), 1) == 250);
  CHECK(found[249] == 1);
  CHECK(found[250] == 0);
  CHECK(c.ttl("key0") == 50);
}

TEST_CASE("redis cache: a dead server is an error, a restarted one is reconnected",
          "[cache][redis]") {
  auto srv = std::make_unique<intelflow::bots::testing::RedisTestServer>();
  if (!srv->available()) {
    WARN("redis-server not available: skipped");
    return;
  }
  CacheOptions o;
  o.host = srv->socket_path();
  RedisCache c(o);
  c.set("k", "v");
  srv.reset();  // server gone
  CHECK_THROWS_AS(c.exists("k"), std::runtime_error);
  CacheOptions none;
  none.host = "/nonexistent/redis.sock";
  CHECK_THROWS_AS(RedisCache(none), std::runtime_error);
}
