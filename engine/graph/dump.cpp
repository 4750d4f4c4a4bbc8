// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/graph/dump.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "harmonization/pyfmt.hpp"
#include "harmonization/value.hpp"

namespace intelflow::graph {

namespace fs = std::filesystem;
using harm::Value;

// ---------------------------------------------------------------------------------
// DumpLock

namespace {
int open_lock_file(const std::string& dump_path) {
  fs::create_directories(fs::path(dump_path).parent_path());
  std::string lock_path = dump_path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open " + lock_path + ": " + std::strerror(errno));
  return fd;
}
}  // namespace

DumpLock::DumpLock(const std::string& dump_path, double timeout_s,
                   void (*on_wait)(const std::string&)) {
  fd_ = open_lock_file(dump_path);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool warned = false;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK || std::chrono::steady_clock::now() >= deadline) {
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("Dump file " + dump_path + " is locked.");
    }
    if (!warned && on_wait) on_wait(dump_path);
    warned = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::optional<DumpLock> DumpLock::try_lock(const std::string& dump_path) {
  DumpLock l;
  l.fd_ = open_lock_file(dump_path);
  if (::flock(l.fd_, LOCK_EX | LOCK_NB) != 0) return std::nullopt;  // closed by ~DumpLock
  return std::optional<DumpLock>(std::move(l));
}

DumpLock::~DumpLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

// ---------------------------------------------------------------------------------
// DumpFile

DumpFile::DumpFile(std::string path, std::string bot_id, std::string source_queue)
    : path_(std::move(path)), bot_id_(std::move(bot_id)), source_queue_(std::move(source_queue)) {}

std::string DumpFile::unique_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::string ts;
  while (true) {
    std::time_t secs = static_cast<std::time_t>(us / 1000000);
    auto frac = us % 1000000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}", tm);
    if (frac != 0) ts += fmt::format(".{:06d}", frac);
    if (ts > last_ts_) break;
    ++us;  // keys must be unique: step one microsecond
  }
  last_ts_ = ts;
  return ts;
}

void DumpFile::add(std::string message, std::string_view error, bool base64, std::string origin) {
  std::lock_guard lk(mu_);
  DumpEntry e;
  e.timestamp = unique_timestamp();
  e.bot_id = bot_id_;
  e.source_queue = source_queue_;
  e.traceback = std::string(error);
  e.message = std::move(message);
  e.base64 = base64;
  e.origin = std::move(origin);
  pending_.push_back(std::move(e));
  ++count_;
}

std::uint64_t DumpFile::count() const {
  std::lock_guard lk(mu_);
  return count_;
}

std::uint64_t DumpFile::loads() const {
  std::lock_guard lk(mu_);
  return loads_;
}

namespace {

void append_entry(std::string& out, const DumpEntry& e) {
  // Pretty-printed like json.dumps(indent=4, sort_keys=True), ASCII escapes.
  out += "    ";
  harm::py::append_json_string(out, e.timestamp);
  out += ": {\n        \"bot_id\": ";
  harm::py::append_json_string(out, e.bot_id);
  if (!e.origin.empty()) {
    out += ",\n        \"intelflow_origin\": ";
    harm::py::append_json_string(out, e.origin);
  }
  out += ",\n        \"message\": ";
  harm::py::append_json_string(out, e.message);
  if (e.base64) out += ",\n        \"message_type\": \"base64\"";
  out += ",\n        \"source_queue\": ";
  harm::py::append_json_string(out, e.source_queue);
  out += ",\n        \"traceback\": ";
  harm::py::append_json_string(out, e.traceback);
  out += "\n    }";
}

}  // namespace

void write_file_durably(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot sync " + tmp + ": " + std::strerror(err));
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(errno));
  int dfd = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

namespace {

std::string text_of(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_list()) {  // a traceback given as a list of chunks
    std::string s;
    for (const auto& e : v.as_list())
      if (e.is_string()) s += e.as_string();
    return s;
  }
  return v.is_null() ? std::string() : harm::py::str(v);
}

bool by_time(const DumpEntry& a, const DumpEntry& b) {
  return a.timestamp < b.timestamp;
}

/// Writes entries[from..] over the closing "\n}" of a file rendered by
/// render() (`size` bytes), durably. False (nothing written) when the file
/// does not end as render() ends it.
bool append_in_place(const std::string& path, off_t size, const std::vector<DumpEntry>& entries,
                     std::size_t from) {
  if (size < 4) return false;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  char end[2];
  if (::pread(fd, end, 2, size - 2) != 2 || end[0] != '\n' || end[1] != '}') {
    ::close(fd);
    return false;
  }
  std::string tail;
  for (std::size_t i = from; i < entries.size(); ++i) {
    tail += ",\n";
    append_entry(tail, entries[i]);
  }
  tail += "\n}";
  std::size_t off = 0;
  while (off < tail.size()) {
    ssize_t n =
        ::pwrite(fd, tail.data() + off, tail.size() - off, size - 2 + static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot sync " + path + ": " + std::strerror(err));
  }
  ::close(fd);
  return true;
}

}  // namespace

std::string DumpFile::render(const std::vector<DumpEntry>& entries) {
  std::vector<const DumpEntry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return by_time(*a, *b); });
  std::size_t bytes = 4;
  for (const auto& e : entries) bytes += e.message.size() + e.traceback.size() + 200;
  std::string out;
  out.reserve(bytes);
  out += "{\n";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ",\n";
    append_entry(out, *sorted[i]);
  }
  out += "\n}";
  return out;
}

std::vector<DumpEntry> DumpFile::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<DumpEntry> out;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  Value doc;
  if (!harm::py::json_loads(text, doc) || !doc.is_dict()) {
    // A crash in the middle of an in-place append (DumpFile::flush) leaves a
    // torn last entry: keep every complete entry before it.
    auto end = text.rfind("\n    }");
    if (end == std::string::npos || !harm::py::json_loads(text.substr(0, end + 6) + "\n}", doc) ||
        !doc.is_dict())
      throw std::runtime_error(path + ": not a dump file (expected a JSON object)");
  }
  for (const auto& [ts, v] : doc.as_dict()) {
    if (!v.is_dict()) throw std::runtime_error(path + ": entry '" + ts + "' is not an object");
    DumpEntry e;
    e.timestamp = ts;
    for (const auto& [k, f] : v.as_dict()) {
      if (k == "bot_id")
        e.bot_id = text_of(f);
      else if (k == "source_queue")
        e.source_queue = text_of(f);
      else if (k == "traceback")
        e.traceback = text_of(f);
      else if (k == "message")
        e.message = text_of(f);
      else if (k == "message_type")
        e.base64 = text_of(f) == "base64";
      else if (k == "intelflow_origin")
        e.origin = text_of(f);
    }
    out.push_back(std::move(e));
  }
  std::stable_sort(out.begin(), out.end(), by_time);
  return out;
}

void DumpFile::write(const std::string& path, const std::vector<DumpEntry>& entries) {
  if (entries.empty()) {
    std::error_code ec;
    fs::remove(path, ec);
    int dfd = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return;
  }
  write_file_durably(path, render(entries));
}

DumpFile::FileId DumpFile::stat_file(const std::string& path) {
  struct stat st {};
  FileId id;
  if (::stat(path.c_str(), &st) != 0) return id;
  id.exists = true;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = st.st_size;
  id.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return id;
}

bool DumpFile::flush() {
  std::lock_guard lk(mu_);
  if (pending_.empty()) return true;
  try {
    DumpLock lock(path_, 60, [](const std::string&) {
      std::fputs("intelflow: Dump file is locked, waiting up to 60s.\n", stderr);
    });
    // Read what is on disk only if it changed since we wrote it: `intelflow
    // dump` may have edited it. Our own rename gives a new inode each time.
    FileId now = stat_file(path_);
    if (!loaded_ || !(now == loaded_id_)) {
      entries_.clear();
      origins_.clear();
      loaded_ = false;
      try {
        entries_ = read(path_);
        ++loads_;
      } catch (const std::exception&) {
        // A corrupt file is kept aside rather than overwritten.
        std::error_code ec;
        fs::rename(path_, path_ + ".corrupt", ec);
        entries_.clear();
      }
      for (const auto& e : entries_)
        if (!e.origin.empty()) origins_.insert(e.origin);
      loaded_ = true;
    }
    // A replayed failure already dumped before a crash is not dumped again.
    std::size_t keep = entries_.size();
    for (auto& e : pending_)
      if (e.origin.empty() || origins_.insert(e.origin).second) entries_.push_back(e);
    if (keep == entries_.size()) {
      pending_.clear();
      return true;
    }
    // The usual case: new entries, all later than the file's last one, go in
    // place of the closing brace (one write, one fdatasync), instead of a
    // rewrite of the whole file per batch. A crash mid-write leaves a torn
    // last entry, which read() drops (its failures are replayed: the batch
    // was not acknowledged).
    bool appended = false;
    try {
      appended = keep > 0 && now.exists &&
                 std::is_sorted(entries_.begin() + static_cast<std::ptrdiff_t>(keep),
                                entries_.end(), by_time) &&
                 !by_time(entries_[keep], entries_[keep - 1]) &&
                 append_in_place(path_, now.size, entries_, keep);
    } catch (...) {
      loaded_ = false;  // memory and disk may differ now: read again next time
      throw;
    }
    if (appended) {
      loaded_id_ = stat_file(path_);
      pending_.clear();
      return true;
    }
    try {
      if (!std::is_sorted(entries_.begin() + static_cast<std::ptrdiff_t>(keep), entries_.end(),
                          by_time) ||
          (keep > 0 && keep < entries_.size() && by_time(entries_[keep], entries_[keep - 1])))
        std::stable_sort(entries_.begin(), entries_.end(), by_time);
      write_file_durably(path_, render(entries_));
    } catch (...) {
      loaded_ = false;  // memory and disk may differ now: read again next time
      throw;
    }
    loaded_id_ = stat_file(path_);
    pending_.clear();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace intelflow::graph
