// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/cache.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "engine/api/errors.hpp"
#include "engine/wal/crc32c.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {

using api::ConfigError;
using api::Value;

// ------------------------------------------------------------------ Cache

void Cache::exists_many(std::span<const std::string_view> keys, std::vector<char>& out) {
  out.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) out[i] = exists(keys[i]) ? 1 : 0;
}

void Cache::set_many(std::span<const std::string_view> keys,
                     std::span<const std::string_view> values) {
  for (std::size_t i = 0; i < keys.size(); ++i) set(keys[i], values[i], ttl_);
}

// ------------------------------------------------------------------ options

namespace {

std::optional<std::int64_t> param_int(const api::Params& p, std::string_view key) {
  const Value* v = p.find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool() ? 1 : 0;
  if (v->is_float() &&
      v->as_float() == static_cast<double>(static_cast<std::int64_t>(v->as_float())))
    return static_cast<std::int64_t>(v->as_float());
  if (v->is_string()) {
    const std::string& s = v->as_string();
    std::size_t pos = 0;
    try {
      std::int64_t r = std::stoll(s, &pos);
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos == s.size()) return r;
    } catch (const std::exception&) {
    }
  }
  throw ConfigError(std::string(key), "expected an integer, got " + harm::py::repr(*v));
}

}  // namespace

CacheOptions CacheOptions::from_params(const api::Params& p, const std::string& state_dir) {
  CacheOptions o;
  if (auto h = p.get_optional_string("redis_cache_host"); h && !h->empty()) o.host = *h;
  if (auto v = param_int(p, "redis_cache_port")) o.port = static_cast<int>(*v);
  if (auto v = param_int(p, "redis_cache_db")) o.db = static_cast<int>(*v);
  if (auto v = param_int(p, "redis_cache_ttl")) o.ttl = *v;
  if (auto pw = p.get_optional_string("redis_cache_password"); pw && !pw->empty()) o.password = *pw;
  o.state_dir = state_dir;
  if (o.port <= 0 || o.port > 65535) throw ConfigError("redis_cache_port", "not a port number");
  if (o.db < 0) throw ConfigError("redis_cache_db", "must be >= 0");
  return o;
}

std::vector<api::ParamSpec> cache_param_specs(std::string_view db_default,
                                              std::string_view ttl_default) {
  return {
      api::ParamSpec{"redis_cache_host", api::ParamType::String, "null", false,
                     "Redis server of the cache: host name or address, `/path` or `unix://path` "
                     "for a unix socket. Not set: intelflow's embedded cache (in memory, "
                     "persisted in the bot's state directory)."},
      api::ParamSpec{"redis_cache_port", api::ParamType::Any, "6379", false,
                     "Redis TCP port (integer)."},
      api::ParamSpec{"redis_cache_db", api::ParamType::Any, db_default, false,
                     "Redis database number (integer). Keys are not namespaced per bot: give "
                     "different bots different databases."},
      api::ParamSpec{"redis_cache_password", api::ParamType::String, "null", false,
                     "Redis password (AUTH)."},
      api::ParamSpec{"redis_cache_ttl", api::ParamType::Any, ttl_default, false,
                     "Lifetime of every cache entry in seconds (integer; 0: no expiry)."},
  };
}

std::unique_ptr<Cache> open_cache(const CacheOptions& opts) {
  if (opts.host) return std::make_unique<RedisCache>(opts);
  return std::make_unique<EmbeddedCache>(opts.state_dir, opts.ttl);
}

// ------------------------------------------------------------------ embedded

namespace {

constexpr std::size_t kHeader = 4 + 4 + 8 + 1;
constexpr std::uint8_t kOpSet = 1;
constexpr std::uint8_t kOpErase = 2;
constexpr std::size_t kWriteLimit = 1 << 20;

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void write_all(int fd, const char* p, std::size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write '" + path + "'");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void encode_record(std::string& out, std::uint8_t op, std::string_view key, std::string_view value,
                   std::int64_t expires_ms) {
  std::size_t start = out.size();
  auto kl = static_cast<std::uint32_t>(key.size());
  auto vl = static_cast<std::uint32_t>(value.size());
  char hdr[kHeader];
  std::memcpy(hdr, &kl, 4);
  std::memcpy(hdr + 4, &vl, 4);
  std::memcpy(hdr + 8, &expires_ms, 8);
  hdr[16] = static_cast<char>(op);
  out.append(hdr, kHeader);
  out.append(key);
  out.append(value);
  std::uint32_t crc = wal::crc32c(out.data() + start, out.size() - start);
  char c[4];
  std::memcpy(c, &crc, 4);
  out.append(c, 4);
}

void fsync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

}  // namespace

std::int64_t EmbeddedCache::wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

EmbeddedCache::EmbeddedCache(std::string dir, std::int64_t ttl, Clock clock)
    : Cache(ttl), clock_(std::move(clock)), dir_(std::move(dir)) {
  if (!dir_.empty()) load();
}

EmbeddedCache::~EmbeddedCache() {
  std::lock_guard lk(mu_);
  if (fd_ >= 0) {
    try {
      write_out_locked();
      ::fdatasync(fd_);
    } catch (const std::exception&) {
      // nothing sensible to do in a destructor; the log keeps what was written
    }
    ::close(fd_);
  }
}

void EmbeddedCache::load() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::system_error(ec, "cannot create the cache directory '" + dir_ + "'");
  log_path_ = dir_ + "/cache.log";
  std::filesystem::remove(log_path_ + ".tmp", ec);  // an interrupted compaction
  fd_ = ::open(log_path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("cannot open the cache log '" + log_path_ + "'");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::system_error(err, std::generic_category(),
                            "the cache log '" + log_path_ + "' is in use by another process");
  }
  std::string data;
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_errno("cannot stat '" + log_path_ + "'");
  data.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < data.size()) {
    ssize_t r = ::pread(fd_, data.data() + got, data.size() - got, static_cast<off_t>(got));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot read '" + log_path_ + "'");
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  data.resize(got);
  const std::int64_t t = now();
  std::size_t pos = 0;
  while (pos + kHeader + 4 <= data.size()) {
    std::uint32_t kl = 0, vl = 0;
    std::int64_t exp = 0;
    std::memcpy(&kl, data.data() + pos, 4);
    std::memcpy(&vl, data.data() + pos + 4, 4);
    std::memcpy(&exp, data.data() + pos + 8, 8);
    auto op = static_cast<std::uint8_t>(data[pos + 16]);
    std::size_t len = kHeader + static_cast<std::size_t>(kl) + vl;
    if (pos + len + 4 > data.size()) break;
    std::uint32_t crc = 0;
    std::memcpy(&crc, data.data() + pos + len, 4);
    if (crc != wal::crc32c(data.data() + pos, len) || (op != kOpSet && op != kOpErase)) break;
    std::string_view key(data.data() + pos + kHeader, kl);
    std::string_view val(data.data() + pos + kHeader + kl, vl);
    if (op == kOpSet && (exp == 0 || exp > t)) {
      auto it = map_.find(key);
      if (it != map_.end())
        it->second = Entry{std::string(val), exp};
      else
        map_.emplace(std::string(key), Entry{std::string(val), exp});
    } else {
      auto it = map_.find(key);
      if (it != map_.end()) map_.erase(it);
    }
    ++log_records_;
    pos += len + 4;
  }
  if (pos < data.size()) {
    // Torn or corrupt tail (crash during a write): keep the valid prefix.
    if (::ftruncate(fd_, static_cast<off_t>(pos)) != 0)
      throw_errno("cannot truncate '" + log_path_ + "'");
    ::fdatasync(fd_);
  }
  last_sync_ms_ = t;
  maybe_compact_locked();
}

void EmbeddedCache::append_record(std::uint8_t op, std::string_view key, std::string_view value,
                                  std::int64_t expires_ms) {
  if (fd_ < 0) return;
  encode_record(buf_, op, key, value, expires_ms);
  ++log_records_;
  if (buf_.size() >= kWriteLimit) write_out_locked();
}

void EmbeddedCache::write_out_locked() {
  if (fd_ < 0 || buf_.empty()) return;
  write_all(fd_, buf_.data(), buf_.size(), log_path_);
  buf_.clear();
  unsynced_ = true;
}

bool EmbeddedCache::exists(std::string_view key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key);
  return it != map_.end() && live(it->second, now());
}

std::optional<std::string> EmbeddedCache::get(std::string_view key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key);
  if (it == map_.end() || !live(it->second, now())) return std::nullopt;
  return it->second.value;
}

void EmbeddedCache::set_locked(std::string_view key, std::string_view value,
                               std::int64_t ttl_seconds, std::int64_t t) {
  std::int64_t exp = ttl_seconds > 0 ? t + ttl_seconds * 1000 : 0;
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second.value.assign(value);
    it->second.expires_ms = exp;
  } else {
    map_.emplace(std::string(key), Entry{std::string(value), exp});
  }
  append_record(kOpSet, key, value, exp);
}

void EmbeddedCache::set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) {
  std::lock_guard lk(mu_);
  set_locked(key, value, ttl_seconds, now());
}

bool EmbeddedCache::erase(std::string_view key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  bool was_live = live(it->second, now());
  map_.erase(it);
  append_record(kOpErase, key, {}, 0);
  return was_live;
}

std::int64_t EmbeddedCache::ttl(std::string_view key) {
  std::lock_guard lk(mu_);
  auto it = map_.find(key);
  std::int64_t t = now();
  if (it == map_.end() || !live(it->second, t)) return -2;
  if (it->second.expires_ms == 0) return -1;
  // Redis rounds the remaining milliseconds to the nearest second.
  return (it->second.expires_ms - t + 500) / 1000;
}

void EmbeddedCache::exists_many(std::span<const std::string_view> keys, std::vector<char>& out) {
  std::lock_guard lk(mu_);
  std::int64_t t = now();
  out.resize(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto it = map_.find(keys[i]);
    out[i] = it != map_.end() && live(it->second, t) ? 1 : 0;
  }
}

void EmbeddedCache::set_many(std::span<const std::string_view> keys,
                             std::span<const std::string_view> values) {
  std::lock_guard lk(mu_);
  std::int64_t t = now();
  for (std::size_t i = 0; i < keys.size(); ++i) set_locked(keys[i], values[i], ttl_, t);
}

void EmbeddedCache::flush() {
  std::lock_guard lk(mu_);
  if (fd_ < 0) return;
  write_out_locked();
  std::int64_t t = now();
  if (unsynced_ && (sync_interval_ms_ <= 0 || t - last_sync_ms_ >= sync_interval_ms_)) {
    if (::fdatasync(fd_) != 0) throw_errno("cannot sync '" + log_path_ + "'");
    unsynced_ = false;
    last_sync_ms_ = t;
  }
  maybe_compact_locked();
}

void EmbeddedCache::clear() {
  std::lock_guard lk(mu_);
  map_.clear();
  buf_.clear();
  if (fd_ >= 0) compact_locked();
}

std::size_t EmbeddedCache::size() const {
  std::lock_guard lk(mu_);
  return map_.size();
}

void EmbeddedCache::compact() {
  std::lock_guard lk(mu_);
  if (fd_ >= 0) compact_locked();
}

void EmbeddedCache::maybe_compact_locked() {
  // More than half of the log is overwritten, erased or expired entries.
  if (fd_ >= 0 && log_records_ > 2 * map_.size() + 4096) compact_locked();
}

void EmbeddedCache::compact_locked() {
  write_out_locked();
  const std::int64_t t = now();
  for (auto it = map_.begin(); it != map_.end();) {
    if (live(it->second, t))
      ++it;
    else
      it = map_.erase(it);
  }
  std::string tmp = log_path_ + ".tmp";
  int nfd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (nfd < 0) throw_errno("cannot create '" + tmp + "'");
  try {
    if (::flock(nfd, LOCK_EX | LOCK_NB) != 0) throw_errno("cannot lock '" + tmp + "'");
    std::string out;
    out.reserve(kWriteLimit + 4096);
    for (const auto& [k, e] : map_) {
      encode_record(out, kOpSet, k, e.value, e.expires_ms);
      if (out.size() >= kWriteLimit) {
        write_all(nfd, out.data(), out.size(), tmp);
        out.clear();
      }
    }
    write_all(nfd, out.data(), out.size(), tmp);
    if (::fdatasync(nfd) != 0) throw_errno("cannot sync '" + tmp + "'");
    if (::rename(tmp.c_str(), log_path_.c_str()) != 0) throw_errno("cannot rename '" + tmp + "'");
  } catch (...) {
    ::close(nfd);
    ::unlink(tmp.c_str());
    throw;
  }
  fsync_dir(dir_);
  ::close(fd_);  // releases the lock of the old file
  fd_ = nfd;
  log_records_ = map_.size();
  unsynced_ = false;
  last_sync_ms_ = t;
}

// ------------------------------------------------------------------ Redis

struct RedisCache::Conn {
  redisContext* ctx = nullptr;
  ~Conn() {
    if (ctx != nullptr) redisFree(ctx);
  }
};

namespace {

/// A connection-level failure: the call is retried once after reconnecting.
struct RedisConnError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Blocks SIGPIPE in this thread while talking to Redis (a write to a closed
/// socket would otherwise kill the process) and consumes a SIGPIPE raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!was_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        timespec zero{};
        sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

struct ReplyPtr {
  redisReply* r = nullptr;
  ~ReplyPtr() {
    if (r != nullptr) freeReplyObject(r);
  }
};

void append_cmd(redisContext* c, std::initializer_list<std::string_view> args) {
  const char* argv[8];
  std::size_t lens[8];
  int n = 0;
  for (auto a : args) {
    argv[n] = a.data();
    lens[n] = a.size();
    ++n;
  }
  if (redisAppendCommandArgv(c, n, argv, lens) != REDIS_OK)
    throw RedisConnError(std::string("redis: ") + c->errstr);
}

/// Reads one reply; a Redis error reply throws std::runtime_error.
void read_reply(redisContext* c, ReplyPtr& out) {
  void* r = nullptr;
  if (redisGetReply(c, &r) != REDIS_OK || r == nullptr)
    throw RedisConnError(std::string("redis: ") + (c->errstr[0] ? c->errstr : "connection lost"));
  out.r = static_cast<redisReply*>(r);
  if (out.r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis: " + std::string(out.r->str, out.r->len));
}

}  // namespace

RedisCache::RedisCache(const CacheOptions& opts) : Cache(opts.ttl), opts_(opts) {
  std::lock_guard lk(mu_);
  connect();
}

RedisCache::~RedisCache() = default;

void RedisCache::connect() {
  conn_.reset();
  auto c = std::make_unique<Conn>();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(opts_.timeout_seconds);
  tv.tv_usec =
      static_cast<suseconds_t>((opts_.timeout_seconds - static_cast<double>(tv.tv_sec)) * 1e6);
  const std::string& host = *opts_.host;
  std::string where;
  if (host.starts_with("/") || host.starts_with("unix://")) {
    std::string path = host.starts_with("unix://") ? host.substr(7) : host;
    where = path;
    c->ctx = redisConnectUnixWithTimeout(path.c_str(), tv);
  } else {
    where = host + ":" + std::to_string(opts_.port);
    c->ctx = redisConnectWithTimeout(host.c_str(), opts_.port, tv);
  }
  if (c->ctx == nullptr) throw std::runtime_error("redis: cannot allocate a context");
  if (c->ctx->err != 0)
    throw RedisConnError("redis: cannot connect to " + where + ": " + c->ctx->errstr);
  redisSetTimeout(c->ctx, tv);
  if (opts_.password) {
    append_cmd(c->ctx, {"AUTH", *opts_.password});
    ReplyPtr r;
    read_reply(c->ctx, r);
  }
  if (opts_.db != 0) {
    std::string db = std::to_string(opts_.db);
    append_cmd(c->ctx, {"SELECT", db});
    ReplyPtr r;
    read_reply(c->ctx, r);
  }
  conn_ = std::move(c);
}

template <class Fn>
auto RedisCache::with_retry(Fn&& fn) {
  std::lock_guard lk(mu_);
  SigpipeGuard no_sigpipe;
  for (int attempt = 0;; ++attempt) {
    try {
      if (!conn_) connect();
      return fn(conn_->ctx);
    } catch (const RedisConnError&) {
      conn_.reset();  // the pipeline state is unknown: start over on a new connection
      if (attempt >= 1) throw;
    }
  }
}

bool RedisCache::exists(std::string_view key) {
  return with_retry([&](redisContext* c) {
    append_cmd(c, {"EXISTS", key});
    ReplyPtr r;
    read_reply(c, r);
    return r.r->type == REDIS_REPLY_INTEGER && r.r->integer > 0;
  });
}

std::optional<std::string> RedisCache::get(std::string_view key) {
  return with_retry([&](redisContext* c) -> std::optional<std::string> {
    append_cmd(c, {"GET", key});
    ReplyPtr r;
    read_reply(c, r);
    if (r.r->type == REDIS_REPLY_STRING) return std::string(r.r->str, r.r->len);
    return std::nullopt;
  });
}

void RedisCache::set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) {
  with_retry([&](redisContext* c) {
    std::string ttl = std::to_string(ttl_seconds);
    if (ttl_seconds > 0)
      append_cmd(c, {"SETEX", key, ttl, value});
    else
      append_cmd(c, {"SET", key, value});
    ReplyPtr r;
    read_reply(c, r);
    return 0;
  });
}

bool RedisCache::erase(std::string_view key) {
  return with_retry([&](redisContext* c) {
    append_cmd(c, {"DEL", key});
    ReplyPtr r;
    read_reply(c, r);
    return r.r->type == REDIS_REPLY_INTEGER && r.r->integer > 0;
  });
}

std::int64_t RedisCache::ttl(std::string_view key) {
  return with_retry([&](redisContext* c) -> std::int64_t {
    append_cmd(c, {"TTL", key});
    ReplyPtr r;
    read_reply(c, r);
    return r.r->type == REDIS_REPLY_INTEGER ? r.r->integer : -2;
  });
}

void RedisCache::exists_many(std::span<const std::string_view> keys, std::vector<char>& out) {
  out.assign(keys.size(), 0);
  if (keys.empty()) return;
  with_retry([&](redisContext* c) {
    for (auto k : keys) append_cmd(c, {"EXISTS", k});
    // Read every reply even after an error reply, so the connection stays in step.
    std::optional<std::runtime_error> err;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ReplyPtr r;
      try {
        read_reply(c, r);
      } catch (const RedisConnError&) {
        throw;
      } catch (const std::runtime_error& e) {
        if (!err) err.emplace(e);
        continue;
      }
      out[i] = r.r->type == REDIS_REPLY_INTEGER && r.r->integer > 0 ? 1 : 0;
    }
    if (err) throw *err;
    return 0;
  });
}

void RedisCache::set_many(std::span<const std::string_view> keys,
                          std::span<const std::string_view> values) {
  if (keys.empty()) return;
  with_retry([&](redisContext* c) {
    std::string ttl = std::to_string(ttl_);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (ttl_ > 0)
        append_cmd(c, {"SETEX", keys[i], ttl, values[i]});
      else
        append_cmd(c, {"SET", keys[i], values[i]});
    }
    std::optional<std::runtime_error> err;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      ReplyPtr r;
      try {
        read_reply(c, r);
      } catch (const RedisConnError&) {
        throw;
      } catch (const std::runtime_error& e) {
        if (!err) err.emplace(e);
      }
    }
    if (err) throw *err;
    return 0;
  });
}

void RedisCache::clear() {
  with_retry([&](redisContext* c) {
    append_cmd(c, {"FLUSHDB"});
    ReplyPtr r;
    read_reply(c, r);
    return 0;
  });
}

}  // namespace intelflow::bots
