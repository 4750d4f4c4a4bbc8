// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's CacheMixin (core.md §6.5) behind one interface, with two backends:
///  - EmbeddedCache: an in-process hash map with expiry by the wall clock,
///    persisted across restarts as an append-only log (+ compaction) in the
///    bot's state directory. The default when `redis_cache_host` is not set.
///  - RedisCache: hiredis (TCP or unix socket, AUTH, SELECT db, SETEX),
///    with pipelined batch calls (one round trip per batch).
/// Every set applies the bot-wide TTL (the reference ignores per-call TTLs).
/// Both are thread-safe (a mutex serialises callers).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bots/common/digest_table.hpp"
#include "engine/api/params.hpp"

namespace intelflow::bots {

/// A key-value cache with a default TTL.
class Cache {
 public:
  virtual ~Cache() = default;

  virtual bool exists(std::string_view key) = 0;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  /// Stores with the bot-wide TTL (ttl ≤ 0: no expiry).
  void set(std::string_view key, std::string_view value) { set(key, value, ttl_); }
  /// Stores with an explicit TTL in seconds (≤ 0: no expiry). For tests and
  /// for preloading; bots use set(key, value).
  virtual void set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) = 0;
  virtual bool erase(std::string_view key) = 0;
  /// Remaining TTL in seconds as Redis reports it: -1 no expiry, -2 absent.
  virtual std::int64_t ttl(std::string_view key) = 0;

  /// out[i] = exists(keys[i]); one round trip for Redis.
  virtual void exists_many(std::span<const std::string_view> keys, std::vector<char>& out);
  /// set(keys[i], values[i]) with the bot-wide TTL; one round trip for Redis.
  virtual void set_many(std::span<const std::string_view> keys,
                        std::span<const std::string_view> values);

  /// Makes earlier writes survive a crash of the process (embedded: writes
  /// the log buffer). Redis: nothing to do.
  virtual void flush() {}
  /// Removes every entry (Redis: FLUSHDB of the selected db).
  virtual void clear() = 0;
  /// "embedded" or "redis".
  virtual std::string_view backend() const noexcept = 0;

  std::int64_t default_ttl() const noexcept { return ttl_; }

 protected:
  explicit Cache(std::int64_t ttl) : ttl_(ttl) {}
  std::int64_t ttl_;
};

/// Connection and TTL settings from the `redis_cache_*` parameters.
struct CacheOptions {
  std::optional<std::string> host;  ///< unset/empty → embedded cache
  int port = 6379;
  int db = 9;
  std::optional<std::string> password;
  std::int64_t ttl = 15;
  double timeout_seconds = 5;
  std::string state_dir;  ///< embedded: where the log lives

  /// Reads redis_cache_{host,port,db,password,ttl}; numbers may be given as
  /// numeric strings (IntelMQ configs often quote them). Throws ConfigError.
  static CacheOptions from_params(const api::Params& p, const std::string& state_dir);
};

/// Opens the backend the options select: Redis when `host` is set (a host
/// name, "/path" or "unix://path"), else the embedded cache in state_dir.
/// Throws ConfigError / std::runtime_error when it cannot be opened.
std::unique_ptr<Cache> open_cache(const CacheOptions& opts);

/// The parameter table entries of the cache group. `db_default` and
/// `ttl_default` are JSON text (string literals: the ParamSpec keeps views).
std::vector<api::ParamSpec> cache_param_specs(std::string_view db_default,
                                              std::string_view ttl_default);

/// The in-process cache. Entries whose key is a SHA-256 hex digest (64
/// lowercase hex digits) and whose value is at most 8 bytes or a replay marker
/// (see digest_table.hpp) live in a flat DigestTable, 32 bytes per slot and no
/// allocation per entry; any other entry lives in a hash map of strings.
/// Persistence in `dir`: `cache.log`, the magic "IFCACHE2" then records, each
/// ending in a CRC32C of its bytes:
///   1 set      `u8 1 | u32 key_len | u32 value_len | i64 expires_ms | key | value | crc`
///   2 erase    `u8 2 | u32 key_len | key | crc`
///   3 set      `u8 3 | u64 a | u64 b|tag | i64 expires_ms | u64 payload | crc` (compact)
///   4 erase    `u8 4 | u64 a | u64 b | crc` (compact)
/// A torn or corrupt tail is cut off at load; a log of the older format
/// (no magic) is read and rewritten. When more than half of the log is
/// garbage it is compacted into a snapshot (tmp → fdatasync → rename → dir
/// fsync). An exclusive flock on the log keeps a second process away.
class EmbeddedCache final : public Cache {
 public:
  using Clock = std::function<std::int64_t()>;  ///< wall clock, Unix epoch milliseconds

  /// `dir` empty → memory only. Throws std::system_error / std::runtime_error.
  EmbeddedCache(std::string dir, std::int64_t ttl, Clock clock = {});
  ~EmbeddedCache() override;

  bool exists(std::string_view key) override;
  std::optional<std::string> get(std::string_view key) override;
  using Cache::set;
  void set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) override;
  bool erase(std::string_view key) override;
  std::int64_t ttl(std::string_view key) override;
  void exists_many(std::span<const std::string_view> keys, std::vector<char>& out) override;
  void set_many(std::span<const std::string_view> keys,
                std::span<const std::string_view> values) override;
  /// Writes the log buffer (survives a process crash); fdatasyncs it at most
  /// once per `sync_interval_ms` (default 1000; 0 = every flush).
  void flush() override;
  void clear() override;
  std::string_view backend() const noexcept override { return "embedded"; }

  /// Entries (expired ones may still be counted until swept).
  std::size_t size() const;
  /// Of size(): entries in the compact table.
  std::size_t compact_size() const;
  /// Bytes held by the compact table's slot array.
  std::size_t compact_memory_bytes() const;
  /// Rewrites the log as a snapshot of the live entries now.
  void compact();
  void set_sync_interval_ms(std::int64_t ms) { sync_interval_ms_ = ms; }
  const std::string& log_path() const noexcept { return log_path_; }
  /// Records in the log (for tests of compaction).
  std::uint64_t log_records() const;

 private:
  struct Entry {
    std::string value;
    std::int64_t expires_ms;  ///< 0 = never
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  /// Where a key is: its expiry and value, or nothing.
  struct Found {
    bool present = false;
    std::int64_t expires_ms = 0;
    const DigestTable::Slot* slot = nullptr;  ///< compact entry
    const Entry* entry = nullptr;             ///< map entry
  };

  std::int64_t now() const { return clock_ ? clock_() : wall_ms(); }
  static std::int64_t wall_ms();
  static bool live(std::int64_t expires_ms, std::int64_t t) noexcept {
    return expires_ms == 0 || expires_ms > t;
  }
  Found find_locked(std::string_view key) const;
  void load();
  void load_legacy(int fd, std::uint64_t size, std::int64_t t);
  /// Applies a set to memory; `log` also appends the record(s).
  void apply_set(std::string_view key, std::string_view value, std::int64_t expires_ms,
                 std::int64_t t, bool log);
  bool apply_erase(std::string_view key, bool log, std::int64_t t);
  void append_generic_set(std::string_view key, std::string_view value, std::int64_t expires_ms);
  void append_generic_erase(std::string_view key);
  void append_compact(std::uint8_t op, const DigestTable::Slot& s);
  void after_append();
  void write_out_locked();
  void maybe_compact_locked();
  void compact_locked();

  mutable std::mutex mu_;
  DigestTable table_;
  Map map_;
  Clock clock_;
  std::string dir_;
  std::string log_path_;
  int fd_ = -1;
  std::string buf_;
  std::uint64_t log_records_ = 0;
  std::int64_t last_sync_ms_ = 0;
  std::int64_t sync_interval_ms_ = 1000;
  bool unsynced_ = false;
  std::vector<KeyDigest> digests_;  ///< batch scratch
  std::vector<char> is_digest_;     ///< batch scratch
};

/// The Redis backend (one connection; reconnects once per failed call).
class RedisCache final : public Cache {
 public:
  explicit RedisCache(const CacheOptions& opts);
  ~RedisCache() override;

  bool exists(std::string_view key) override;
  std::optional<std::string> get(std::string_view key) override;
  using Cache::set;
  void set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) override;
  bool erase(std::string_view key) override;
  std::int64_t ttl(std::string_view key) override;
  /// Pipelined EXISTS per key: one round trip.
  void exists_many(std::span<const std::string_view> keys, std::vector<char>& out) override;
  /// Pipelined SETEX (SET without TTL): one round trip.
  void set_many(std::span<const std::string_view> keys,
                std::span<const std::string_view> values) override;
  void clear() override;
  std::string_view backend() const noexcept override { return "redis"; }

 private:
  struct Conn;
  void connect();
  /// Runs `fn` (which appends commands and reads replies); on a connection
  /// error reconnects once and runs it again.
  template <class Fn>
  auto with_retry(Fn&& fn);

  CacheOptions opts_;
  std::mutex mu_;
  std::unique_ptr<Conn> conn_;
};

}  // namespace intelflow::bots
