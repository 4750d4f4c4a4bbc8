// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/dumptool/spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "engine/wal/fault.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/value.hpp"

namespace intelflow::dumptool {

namespace fs = std::filesystem;
using harm::Value;

std::string spool_dir_of(const std::string& state_dir) {
  return state_dir + "/reinject";
}

std::string new_spool_name() {
  static std::atomic<unsigned> counter{0};
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:%Y%m%dT%H%M%S}.{:06d}-{}-{}", tm, us % 1000000, ::getpid(),
                     counter.fetch_add(1));
}

std::string spool_path(const std::string& dir, const std::string& name, SpoolState state) {
  return dir + "/" + name + (state == SpoolState::Prepared ? ".prep" : ".json");
}

std::vector<SpoolFile> list_spools(const std::string& dir) {
  std::vector<SpoolFile> out;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(dir, ec)) {
    auto p = de.path();
    auto ext = p.extension().string();
    if (ext != ".prep" && ext != ".json") continue;
    out.push_back(SpoolFile{p.string(), p.stem().string(),
                            ext == ".prep" ? SpoolState::Prepared : SpoolState::Ready});
  }
  std::sort(out.begin(), out.end(),
            [](const SpoolFile& a, const SpoolFile& b) { return a.name < b.name; });
  return out;
}

void sync_dir(const std::string& dir) {
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

namespace {

void field(std::string& out, const char* key, const std::string& v, bool last = false) {
  harm::py::append_json_string(out, key);
  out += ": ";
  harm::py::append_json_string(out, v);
  if (!last) out += ", ";
}

std::string str_of(const Value::Dict& d, std::string_view key) {
  for (const auto& [k, v] : d)
    if (k == key && v.is_string()) return v.as_string();
  return {};
}

bool bool_of(const Value::Dict& d, std::string_view key) {
  for (const auto& [k, v] : d)
    if (k == key && v.is_bool()) return v.as_bool();
  return false;
}

const Value* get(const Value::Dict& d, std::string_view key) {
  for (const auto& [k, v] : d)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace

void write_spool(const std::string& path, const Spool& s) {
  std::string out = "{";
  field(out, "bot_id", s.bot_id);
  field(out, "dump_file", s.dump_file);
  out += "\"entries\": [";
  for (std::size_t i = 0; i < s.entries.size(); ++i) {
    const auto& e = s.entries[i];
    out += i ? ",\n  {" : "\n  {";
    field(out, "timestamp", e.original.timestamp);
    field(out, "bot_id", e.original.bot_id);
    field(out, "source_queue", e.original.source_queue);
    field(out, "traceback", e.original.traceback);
    field(out, "dump_message", e.original.message);
    out += e.original.base64 ? "\"base64\": true, " : "\"base64\": false, ";
    field(out, "origin", e.original.origin);
    field(out, "message", e.message, true);
    out += "}";
  }
  out += "\n]}\n";
  graph::write_file_durably(path, out);
}

Spool read_spool(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  Value doc;
  if (!harm::py::json_loads(ss.str(), doc) || !doc.is_dict())
    throw std::runtime_error(path + ": not a spool file");
  Spool s;
  s.name = fs::path(path).stem().string();
  const auto& d = doc.as_dict();
  s.bot_id = str_of(d, "bot_id");
  s.dump_file = str_of(d, "dump_file");
  const Value* entries = get(d, "entries");
  if (s.bot_id.empty() || !entries || !entries->is_list())
    throw std::runtime_error(path + ": not a spool file");
  for (const auto& v : entries->as_list()) {
    if (!v.is_dict()) throw std::runtime_error(path + ": bad entry");
    const auto& e = v.as_dict();
    SpoolEntry se;
    se.original.timestamp = str_of(e, "timestamp");
    se.original.bot_id = str_of(e, "bot_id");
    se.original.source_queue = str_of(e, "source_queue");
    se.original.traceback = str_of(e, "traceback");
    se.original.message = str_of(e, "dump_message");
    se.original.base64 = bool_of(e, "base64");
    se.original.origin = str_of(e, "origin");
    se.message = str_of(e, "message");
    s.entries.push_back(std::move(se));
  }
  return s;
}

void commit_prepared(const std::string& dir, const Spool& s) {
  auto entries = graph::DumpFile::read(s.dump_file);
  auto before = entries.size();
  std::erase_if(entries, [&](const graph::DumpEntry& e) {
    for (const auto& se : s.entries)
      if (se.original == e) return true;
    return false;
  });
  if (entries.size() != before) graph::DumpFile::write(s.dump_file, entries);
  INTELFLOW_FAULT_POINT("dump.after_rewrite");
  auto from = spool_path(dir, s.name, SpoolState::Prepared);
  auto to = spool_path(dir, s.name, SpoolState::Ready);
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw std::runtime_error("cannot rename " + from + ": " + std::strerror(errno));
  sync_dir(dir);
}

std::size_t roll_forward(const std::string& dir, bool wait, std::vector<std::string>* errors) {
  std::size_t n = 0;
  for (const auto& f : list_spools(dir)) {
    if (f.state != SpoolState::Prepared) continue;
    try {
      Spool s = read_spool(f.path);
      std::optional<graph::DumpLock> lock =
          wait ? std::optional<graph::DumpLock>(std::in_place, s.dump_file)
               : graph::DumpLock::try_lock(s.dump_file);
      if (!lock) continue;
      if (!fs::exists(f.path)) continue;  // rolled forward meanwhile
      commit_prepared(dir, s);
      ++n;
    } catch (const std::exception& e) {
      if (!fs::exists(f.path)) continue;
      if (errors) errors->push_back(f.path + ": " + e.what());
    }
  }
  return n;
}

}  // namespace intelflow::dumptool
