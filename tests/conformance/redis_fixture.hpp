// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A private `redis-server` for the bot cases that use the Redis cache: started
/// on first use on a free localhost TCP port (no persistence), stopped with
/// the runner (also if the runner dies: parent-death signal). Through hiredis
/// it flushes, preloads `cache_before` and reads a database back for
/// `cache_after`.

#include <sys/types.h>

#include <map>
#include <string>

#include "harmonization/value.hpp"
#include "tests/conformance/bot_compare.hpp"

struct redisContext;

namespace intelflow::conformance {

/// The runner's Redis server (one per process).
class RedisFixture {
 public:
  RedisFixture() = default;
  ~RedisFixture();
  RedisFixture(const RedisFixture&) = delete;
  RedisFixture& operator=(const RedisFixture&) = delete;

  /// Starts the server if needed. False (with `error()` saying why) if it cannot run.
  bool ensure_started();
  const std::string& error() const noexcept { return error_; }
  std::string host() const { return "127.0.0.1"; }
  int port() const noexcept { return port_; }

  /// FLUSHALL. Throws std::runtime_error on a Redis error.
  void flush_all();
  /// FLUSHDB of `db`, then stores `cache` ({key: {type, value, ttl}}; strings only).
  void preload(int db, const harm::Value& cache);
  /// Every key of `db` with its type, value and TTL.
  std::map<std::string, CacheEntry> dump(int db);

 private:
  redisContext* connection();
  void select(int db);
  std::string error_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  redisContext* ctx_ = nullptr;
};

}  // namespace intelflow::conformance
