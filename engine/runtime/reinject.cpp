// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/runtime/reinject.hpp"

#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "engine/dumptool/spool.hpp"
#include "engine/graph/dump.hpp"
#include "engine/graph/pipeline.hpp"
#include "engine/wal/fault.hpp"
#include "harmonization/message.hpp"

namespace intelflow::runtime {

namespace fs = std::filesystem;
using dumptool::SpoolState;

ReinjectWatcher::ReinjectWatcher(std::string spool_dir) : dir_(std::move(spool_dir)) {}

ReinjectWatcher::~ReinjectWatcher() {
  detach();
}

void ReinjectWatcher::attach(graph::Pipeline& p, bool thread) {
  detach();
  p_ = &p;
  const auto& file = p.config().engine.harmonization;
  harm_ =
      file.empty() ? harm::Harmonization::default_instance() : harm::Harmonization::from_file(file);
  // Records of a spool that reached the WAL before a crash: replayed by the
  // pipeline (their ACKs held), not injected again.
  recovered_.clear();
  std::set<std::string> groups;
  for (const auto& tag : p.recovered_tags()) {
    auto hash = tag.find('#');
    if (hash == std::string::npos) continue;
    auto group = tag.substr(0, hash);
    groups.insert(group);
    try {
      recovered_[group].insert(std::stoul(tag.substr(hash + 1)));
    } catch (const std::exception&) {
    }
  }
  try {
    poll_once();
  } catch (const std::exception& e) {
    spdlog::error("Re-injection: {}", e.what());
  }
  // A group whose spool is gone was unlinked before the crash: its replayed
  // records may be acknowledged now.
  for (const auto& g : groups)
    if (!fs::exists(dumptool::spool_path(dir_, g, SpoolState::Ready))) p.release_acks(g);
  recovered_.clear();
  if (!thread) return;
  {
    std::lock_guard lk(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void ReinjectWatcher::detach() {
  if (!p_) return;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    p_->stop_injecting();
    thread_.join();
  }
  p_ = nullptr;
}

void ReinjectWatcher::loop() {
  while (true) {
    {
      std::unique_lock lk(mu_);
      cv_.wait_for(lk, std::chrono::seconds(1), [&] { return stop_; });
      if (stop_) return;
    }
    try {
      poll_once();
    } catch (const std::exception& e) {
      spdlog::error("Re-injection: {}", e.what());
    }
  }
}

std::size_t ReinjectWatcher::poll_once() {
  std::vector<std::string> problems;
  dumptool::roll_forward(dir_, /*wait=*/false, &problems);
  for (const auto& p : problems)
    if (warned_.insert(p).second) spdlog::error("Re-injection: cannot finish {}", p);
  std::size_t n = 0;
  for (const auto& f : dumptool::list_spools(dir_)) {
    if (f.state != SpoolState::Ready) continue;
    {
      std::lock_guard lk(mu_);
      if (stop_) break;
    }
    if (handle(f.path, f.name)) ++n;
  }
  return n;
}

bool ReinjectWatcher::handle(const std::string& path, const std::string& name) {
  if (handed_.count(name)) {  // injected already; only the unlink failed
    if (::unlink(path.c_str()) != 0) return false;
    dumptool::sync_dir(dir_);
    handed_.erase(name);
    p_->release_acks(name);
    return true;
  }
  dumptool::Spool s;
  try {
    s = dumptool::read_spool(path);
  } catch (const std::exception& e) {
    if (warned_.insert(path).second) spdlog::error("Re-injection: {}", e.what());
    return false;
  }
  const auto* bot = p_->config().find(s.bot_id);
  if (!bot || !bot->enabled) {
    if (warned_.insert(path).second)
      spdlog::warn("Re-injection: {} is for bot '{}', which this graph does not run; kept.", path,
                   s.bot_id);
    return false;
  }
  const auto& done = recovered_[name];
  std::vector<harm::Message> msgs;
  std::vector<std::string> tags;
  graph::DumpFile back(s.dump_file, s.bot_id, bot->source_queue);
  std::size_t refused = 0;
  for (std::size_t k = 0; k < s.entries.size(); ++k) {
    if (done.count(k)) continue;  // already in the WAL
    try {
      msgs.push_back(harm::Message::unserialize(s.entries[k].message, harm_));
      tags.push_back(name + "#" + std::to_string(k));
    } catch (const std::exception& e) {
      // Back into the dump (once: the origin names the spool entry).
      back.add(
          s.entries[k].original.message,
          "re-injection failed: " + std::string(e.what()) + "\n" + s.entries[k].original.traceback,
          s.entries[k].original.base64, "reinject:" + name + "#" + std::to_string(k));
      ++refused;
    }
  }
  if (refused > 0 && !back.flush()) {
    spdlog::error("Re-injection: cannot write {}; {} kept.", s.dump_file, path);
    return false;
  }
  try {
    p_->inject_durable(s.bot_id, std::move(msgs), tags);
  } catch (const std::exception& e) {
    // Stopping (or the bot has no input): what reached the WAL is replayed at
    // the next start and recognised by its tags; the spool stays.
    if (warned_.insert(path).second)
      spdlog::warn("Re-injection of {} interrupted: {}", path, e.what());
    return false;
  }
  INTELFLOW_FAULT_POINT("reinject.before_unlink");
  if (::unlink(path.c_str()) != 0) {
    handed_.insert(name);
    spdlog::error("Re-injection: cannot remove {}; its records stay unacknowledged.", path);
    return false;
  }
  dumptool::sync_dir(dir_);
  p_->release_acks(name);
  spdlog::info("Re-injected {} dumped message(s) into bot '{}' ({}).",
               s.entries.size() - done.size() - refused, s.bot_id, name);
  return true;
}

}  // namespace intelflow::runtime
