// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/graph/dump.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "harmonization/pyfmt.hpp"
#include "harmonization/value.hpp"

namespace intelflow::graph {

namespace fs = std::filesystem;
using harm::Value;

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

void write_durably(const std::string& path, const std::string& data) {
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
  ::fdatasync(fd);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(errno));
  int dfd = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string render(const std::vector<DumpEntry>& entries) {
  std::vector<const DumpEntry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& e : entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->timestamp < b->timestamp; });
  std::string out = "{\n";
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i) out += ",\n";
    append_entry(out, *sorted[i]);
  }
  out += "\n}";
  return out;
}

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

}  // namespace

std::vector<DumpEntry> DumpFile::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::vector<DumpEntry> out;
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return out;
  Value doc;
  if (!harm::py::json_loads(text, doc) || !doc.is_dict())
    throw std::runtime_error(path + ": not a dump file (expected a JSON object)");
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
  return out;
}

void DumpFile::write(const std::string& path, const std::vector<DumpEntry>& entries) {
  if (entries.empty()) {
    std::error_code ec;
    fs::remove(path, ec);
    return;
  }
  write_durably(path, render(entries));
}

bool DumpFile::flush() {
  std::lock_guard lk(mu_);
  if (pending_.empty()) return true;
  try {
    fs::create_directories(fs::path(path_).parent_path());
    std::string lock_path = path_ + ".lock";
    int lfd = ::open(lock_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (lfd >= 0) ::flock(lfd, LOCK_EX);
    // Re-read what is on disk: `intelflow dump` may have changed it.
    std::vector<DumpEntry> all;
    try {
      all = read(path_);
    } catch (const std::exception&) {
      // A corrupt file is kept aside rather than overwritten.
      std::error_code ec;
      fs::rename(path_, path_ + ".corrupt", ec);
    }
    // A replayed failure already dumped before a crash is not dumped again.
    std::unordered_set<std::string> seen;
    for (const auto& e : all)
      if (!e.origin.empty()) seen.insert(e.origin);
    for (auto& e : pending_)
      if (e.origin.empty() || seen.insert(e.origin).second) all.push_back(std::move(e));
    write_durably(path_, render(all));
    if (lfd >= 0) {
      ::flock(lfd, LOCK_UN);
      ::close(lfd);
    }
    pending_.clear();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace intelflow::graph
