// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/cache.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include <algorithm>
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

constexpr std::string_view kMagic{"IFCACHE2", 8};
constexpr std::uint8_t kOpSet = 1;
constexpr std::uint8_t kOpErase = 2;
constexpr std::uint8_t kOpCompactSet = 3;
constexpr std::uint8_t kOpCompactErase = 4;
constexpr std::size_t kCompactSetLen = 1 + 32;    // without the CRC
constexpr std::size_t kCompactEraseLen = 1 + 16;  // without the CRC
constexpr std::size_t kWriteLimit = 1 << 20;
constexpr std::size_t kReadChunk = 1 << 20;

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

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out.append(b, sizeof(T));
}

template <class T>
T get_at(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

void put_crc(std::string& out, std::size_t start) {
  put<std::uint32_t>(out, wal::crc32c(out.data() + start, out.size() - start));
}

bool crc_ok(const char* p, std::size_t len) {
  return get_at<std::uint32_t>(p + len) == wal::crc32c(p, len);
}

void encode_generic_set(std::string& out, std::string_view key, std::string_view value,
                        std::int64_t expires_ms) {
  std::size_t start = out.size();
  out.push_back(static_cast<char>(kOpSet));
  put(out, static_cast<std::uint32_t>(key.size()));
  put(out, static_cast<std::uint32_t>(value.size()));
  put(out, expires_ms);
  out.append(key);
  out.append(value);
  put_crc(out, start);
}

void encode_compact_set(std::string& out, const DigestTable::Slot& s) {
  std::size_t start = out.size();
  out.push_back(static_cast<char>(kOpCompactSet));
  put(out, s.a);
  put(out, s.b_tag);
  put(out, s.expires_ms);
  put(out, s.payload);
  put_crc(out, start);
}

void fsync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

/// Sequential reader of the log in chunks (the log is never read whole).
class LogReader {
 public:
  LogReader(int fd, std::uint64_t start, const std::string& path)
      : fd_(fd), path_(path), file_pos_(start), pos_(start) {}

  /// Makes `n` bytes from pos() available at data(); false at end of file.
  bool need(std::size_t n) {
    if (len_ - off_ >= n) return true;
    if (off_ > 0) {
      std::memmove(buf_.data(), buf_.data() + off_, len_ - off_);
      len_ -= off_;
      off_ = 0;
    }
    if (buf_.size() < std::max(n, kReadChunk)) buf_.resize(std::max(n, kReadChunk));
    while (len_ < n) {
      ssize_t r =
          ::pread(fd_, buf_.data() + len_, buf_.size() - len_, static_cast<off_t>(file_pos_));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw_errno("cannot read '" + path_ + "'");
      }
      if (r == 0) return false;
      len_ += static_cast<std::size_t>(r);
      file_pos_ += static_cast<std::uint64_t>(r);
    }
    return true;
  }
  const char* data() const { return buf_.data() + off_; }
  void consume(std::size_t n) {
    off_ += n;
    pos_ += n;
  }
  std::uint64_t pos() const { return pos_; }

 private:
  int fd_;
  const std::string& path_;
  std::string buf_;
  std::size_t off_ = 0;
  std::size_t len_ = 0;
  std::uint64_t file_pos_;
  std::uint64_t pos_;
};

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
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_errno("cannot stat '" + log_path_ + "'");
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t t = now();
  last_sync_ms_ = t;
  char magic[8] = {};
  const bool has_magic = size >= kMagic.size() && ::pread(fd_, magic, 8, 0) == 8 &&
                         std::string_view(magic, 8) == kMagic;
  if (!has_magic) {
    // New (empty) log, or one of the older format: (re)write it in this one.
    if (size > 0) load_legacy(fd_, size, t);
    compact_locked();
    return;
  }
  LogReader r(fd_, kMagic.size(), log_path_);
  std::uint64_t good = kMagic.size();
  std::string_view key;
  std::string_view value;
  for (;;) {
    if (!r.need(1)) break;
    const auto op = static_cast<std::uint8_t>(r.data()[0]);
    if (op == kOpCompactSet) {
      if (!r.need(kCompactSetLen + 4) || !crc_ok(r.data(), kCompactSetLen)) break;
      const char* p = r.data() + 1;
      DigestTable::Slot s{get_at<std::uint64_t>(p), get_at<std::uint64_t>(p + 8),
                          get_at<std::int64_t>(p + 16), get_at<std::uint64_t>(p + 24)};
      if (s.tag() == 0 || s.tag() > DigestTable::kTagMarker) break;
      if (s.live(t))
        table_.put(s.digest(), CompactValue{s.tag(), s.payload}, s.expires_ms, t);
      else
        table_.erase(s.digest());
      r.consume(kCompactSetLen + 4);
    } else if (op == kOpCompactErase) {
      if (!r.need(kCompactEraseLen + 4) || !crc_ok(r.data(), kCompactEraseLen)) break;
      const char* p = r.data() + 1;
      table_.erase(KeyDigest{get_at<std::uint64_t>(p), get_at<std::uint64_t>(p + 8)});
      r.consume(kCompactEraseLen + 4);
    } else if (op == kOpSet) {
      if (!r.need(1 + 16)) break;
      auto kl = get_at<std::uint32_t>(r.data() + 1);
      auto vl = get_at<std::uint32_t>(r.data() + 5);
      if (std::uint64_t{kl} + vl > size) break;
      std::size_t len = 1 + 16 + std::size_t{kl} + vl;
      if (!r.need(len + 4) || !crc_ok(r.data(), len)) break;
      auto exp = get_at<std::int64_t>(r.data() + 9);
      key = std::string_view(r.data() + 17, kl);
      value = std::string_view(r.data() + 17 + kl, vl);
      if (live(exp, t))
        apply_set(key, value, exp, t, false);
      else
        apply_erase(key, false, t);
      r.consume(len + 4);
    } else if (op == kOpErase) {
      if (!r.need(1 + 4)) break;
      auto kl = get_at<std::uint32_t>(r.data() + 1);
      if (kl > size) break;
      std::size_t len = 1 + 4 + std::size_t{kl};
      if (!r.need(len + 4) || !crc_ok(r.data(), len)) break;
      apply_erase(std::string_view(r.data() + 5, kl), false, t);
      r.consume(len + 4);
    } else {
      break;  // corrupt
    }
    ++log_records_;
    good = r.pos();
  }
  if (good < size) {
    // Torn or corrupt tail (crash during a write): keep the valid prefix.
    if (::ftruncate(fd_, static_cast<off_t>(good)) != 0)
      throw_errno("cannot truncate '" + log_path_ + "'");
    ::fdatasync(fd_);
  }
  maybe_compact_locked();
}

void EmbeddedCache::load_legacy(int fd, std::uint64_t size, std::int64_t t) {
  // Format 1: `u32 key_len | u32 value_len | i64 expires_ms | u8 op | key | value | u32 crc`.
  constexpr std::size_t kHeader = 4 + 4 + 8 + 1;
  LogReader r(fd, 0, log_path_);
  for (;;) {
    if (!r.need(kHeader)) break;
    auto kl = get_at<std::uint32_t>(r.data());
    auto vl = get_at<std::uint32_t>(r.data() + 4);
    auto exp = get_at<std::int64_t>(r.data() + 8);
    auto op = static_cast<std::uint8_t>(r.data()[16]);
    if (std::uint64_t{kl} + vl > size) break;
    std::size_t len = kHeader + std::size_t{kl} + vl;
    if (!r.need(len + 4) || !crc_ok(r.data(), len) || (op != kOpSet && op != kOpErase)) break;
    std::string_view key(r.data() + kHeader, kl);
    std::string_view val(r.data() + kHeader + kl, vl);
    if (op == kOpSet && live(exp, t))
      apply_set(key, val, exp, t, false);
    else
      apply_erase(key, false, t);
    r.consume(len + 4);
  }
}

void EmbeddedCache::append_generic_set(std::string_view key, std::string_view value,
                                       std::int64_t expires_ms) {
  if (fd_ < 0) return;
  encode_generic_set(buf_, key, value, expires_ms);
  after_append();
}

void EmbeddedCache::append_generic_erase(std::string_view key) {
  if (fd_ < 0) return;
  std::size_t start = buf_.size();
  buf_.push_back(static_cast<char>(kOpErase));
  put(buf_, static_cast<std::uint32_t>(key.size()));
  buf_.append(key);
  put_crc(buf_, start);
  after_append();
}

void EmbeddedCache::append_compact(std::uint8_t op, const DigestTable::Slot& s) {
  if (fd_ < 0) return;
  if (op == kOpCompactSet) {
    encode_compact_set(buf_, s);
  } else {
    std::size_t start = buf_.size();
    buf_.push_back(static_cast<char>(kOpCompactErase));
    put(buf_, s.a);
    put(buf_, s.b_tag & ~std::uint64_t{0xff});
    put_crc(buf_, start);
  }
  after_append();
}

void EmbeddedCache::after_append() {
  ++log_records_;
  if (buf_.size() >= kWriteLimit) write_out_locked();
}

void EmbeddedCache::write_out_locked() {
  if (fd_ < 0 || buf_.empty()) return;
  write_all(fd_, buf_.data(), buf_.size(), log_path_);
  buf_.clear();
  unsynced_ = true;
}

void EmbeddedCache::apply_set(std::string_view key, std::string_view value, std::int64_t expires_ms,
                              std::int64_t t, bool log) {
  KeyDigest d;
  CompactValue cv;
  const bool hex = DigestTable::digest_of(key, d);
  if (hex && DigestTable::encode_value(value, cv)) {
    if (!map_.empty()) {
      // The key moves from the map to the table: the log must say so, since a
      // compact record does not carry the key.
      if (auto it = map_.find(key); it != map_.end()) {
        map_.erase(it);
        if (log) append_generic_erase(key);
      }
    }
    table_.put(d, cv, expires_ms, t);
    if (log)
      append_compact(kOpCompactSet, DigestTable::Slot{d.a, d.b | cv.tag, expires_ms, cv.payload});
    return;
  }
  if (hex) table_.erase(d);  // a generic set record also clears the table at load
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second.value.assign(value);
    it->second.expires_ms = expires_ms;
  } else {
    map_.emplace(std::string(key), Entry{std::string(value), expires_ms});
  }
  if (log) append_generic_set(key, value, expires_ms);
}

bool EmbeddedCache::apply_erase(std::string_view key, bool log, std::int64_t t) {
  bool was_live = false;
  KeyDigest d;
  if (DigestTable::digest_of(key, d)) {
    if (const auto* s = table_.find(d)) {
      was_live = s->live(t);
      table_.erase(d);
      if (log) append_compact(kOpCompactErase, DigestTable::Slot{d.a, d.b, 0, 0});
      return was_live;
    }
  }
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  was_live = live(it->second.expires_ms, t);
  map_.erase(it);
  if (log) append_generic_erase(key);
  return was_live;
}

EmbeddedCache::Found EmbeddedCache::find_locked(std::string_view key) const {
  Found f;
  KeyDigest d;
  if (DigestTable::digest_of(key, d)) {
    if (const auto* s = table_.find(d)) {
      f.present = true;
      f.expires_ms = s->expires_ms;
      f.slot = s;
      return f;
    }
  }
  if (map_.empty()) return f;
  auto it = map_.find(key);
  if (it != map_.end()) {
    f.present = true;
    f.expires_ms = it->second.expires_ms;
    f.entry = &it->second;
  }
  return f;
}

bool EmbeddedCache::exists(std::string_view key) {
  std::lock_guard lk(mu_);
  Found f = find_locked(key);
  return f.present && live(f.expires_ms, now());
}

std::optional<std::string> EmbeddedCache::get(std::string_view key) {
  std::lock_guard lk(mu_);
  Found f = find_locked(key);
  if (!f.present || !live(f.expires_ms, now())) return std::nullopt;
  if (f.entry != nullptr) return f.entry->value;
  std::string v;
  DigestTable::decode_value(CompactValue{f.slot->tag(), f.slot->payload}, v);
  return v;
}

void EmbeddedCache::set(std::string_view key, std::string_view value, std::int64_t ttl_seconds) {
  std::lock_guard lk(mu_);
  std::int64_t t = now();
  apply_set(key, value, ttl_seconds > 0 ? t + ttl_seconds * 1000 : 0, t, true);
}

bool EmbeddedCache::erase(std::string_view key) {
  std::lock_guard lk(mu_);
  return apply_erase(key, true, now());
}

std::int64_t EmbeddedCache::ttl(std::string_view key) {
  std::lock_guard lk(mu_);
  std::int64_t t = now();
  Found f = find_locked(key);
  if (!f.present || !live(f.expires_ms, t)) return -2;
  if (f.expires_ms == 0) return -1;
  // Redis rounds the remaining milliseconds to the nearest second.
  return (f.expires_ms - t + 500) / 1000;
}

void EmbeddedCache::exists_many(std::span<const std::string_view> keys, std::vector<char>& out) {
  std::lock_guard lk(mu_);
  const std::int64_t t = now();
  const std::size_t n = keys.size();
  out.resize(n);
  digests_.resize(n);
  is_digest_.resize(n);
  // Digests first, with a prefetch of each home slot, then the probes: the
  // table is far bigger than the CPU caches.
  for (std::size_t i = 0; i < n; ++i) {
    is_digest_[i] = DigestTable::digest_of(keys[i], digests_[i]) ? 1 : 0;
    if (is_digest_[i]) table_.prefetch(digests_[i]);
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (is_digest_[i]) {
      if (const auto* s = table_.find(digests_[i])) {
        out[i] = s->live(t) ? 1 : 0;
        continue;
      }
    }
    if (map_.empty()) {
      out[i] = 0;
      continue;
    }
    auto it = map_.find(keys[i]);
    out[i] = it != map_.end() && live(it->second.expires_ms, t) ? 1 : 0;
  }
}

void EmbeddedCache::set_many(std::span<const std::string_view> keys,
                             std::span<const std::string_view> values) {
  std::lock_guard lk(mu_);
  const std::int64_t t = now();
  const std::int64_t exp = ttl_ > 0 ? t + ttl_ * 1000 : 0;
  for (std::size_t i = 0; i < keys.size(); ++i) apply_set(keys[i], values[i], exp, t, true);
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
  table_.clear();
  map_.clear();
  buf_.clear();
  if (fd_ >= 0) compact_locked();
}

std::size_t EmbeddedCache::size() const {
  std::lock_guard lk(mu_);
  return table_.size() + map_.size();
}

std::size_t EmbeddedCache::compact_size() const {
  std::lock_guard lk(mu_);
  return table_.size();
}

std::size_t EmbeddedCache::compact_memory_bytes() const {
  std::lock_guard lk(mu_);
  return table_.memory_bytes();
}

std::uint64_t EmbeddedCache::log_records() const {
  std::lock_guard lk(mu_);
  return log_records_;
}

void EmbeddedCache::compact() {
  std::lock_guard lk(mu_);
  if (fd_ >= 0) compact_locked();
}

void EmbeddedCache::maybe_compact_locked() {
  // More than half of the log is overwritten, erased or expired entries.
  if (fd_ >= 0 && log_records_ > 2 * (table_.size() + map_.size()) + 4096) compact_locked();
}

void EmbeddedCache::compact_locked() {
  write_out_locked();
  const std::int64_t t = now();
  for (auto it = map_.begin(); it != map_.end();) {
    if (live(it->second.expires_ms, t))
      ++it;
    else
      it = map_.erase(it);
  }
  std::string tmp = log_path_ + ".tmp";
  int nfd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (nfd < 0) throw_errno("cannot create '" + tmp + "'");
  std::uint64_t records = 0;
  try {
    if (::flock(nfd, LOCK_EX | LOCK_NB) != 0) throw_errno("cannot lock '" + tmp + "'");
    std::string out;
    out.reserve(kWriteLimit + 4096);
    out.append(kMagic);
    auto spill = [&] {
      if (out.size() >= kWriteLimit) {
        write_all(nfd, out.data(), out.size(), tmp);
        out.clear();
      }
    };
    table_.for_each([&](const DigestTable::Slot& s) {
      if (!s.live(t)) return;
      encode_compact_set(out, s);
      ++records;
      spill();
    });
    for (const auto& [k, e] : map_) {
      encode_generic_set(out, k, e.value, e.expires_ms);
      ++records;
      spill();
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
  if (fd_ >= 0) ::close(fd_);  // releases the lock of the old file
  fd_ = nfd;
  log_records_ = records;
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
