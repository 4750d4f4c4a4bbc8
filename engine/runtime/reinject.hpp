// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The daemon's side of dump re-injection (docs/decisions/0004-dump-tool.md):
/// a watcher thread that, at attach and every second, rolls prepared spool
/// files forward (when their dump file is not locked) and hands ready ones to
/// the pipeline with Pipeline::inject_durable, tagging each WAL record
/// `<spool>#<k>`. The spool is unlinked only after every record is durable,
/// and the records' ACKs are released only after the unlink. At attach, the
/// entries of a spool whose tags are already pending in the WAL (a crash
/// after the hand-over) are not injected again.

#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "harmonization/harmonization.hpp"

namespace intelflow::graph {
class Pipeline;
}

namespace intelflow::runtime {

/// Watches `<state_dir>/reinject/` for one pipeline at a time.
class ReinjectWatcher {
 public:
  explicit ReinjectWatcher(std::string spool_dir);
  ~ReinjectWatcher();
  ReinjectWatcher(const ReinjectWatcher&) = delete;
  ReinjectWatcher& operator=(const ReinjectWatcher&) = delete;

  /// Call after Pipeline::start(): handles what is there now (on the calling
  /// thread), then, if `thread`, keeps polling every second on its own thread.
  void attach(graph::Pipeline& p, bool thread = true);
  /// Stops the thread (waking an injection blocked on back-pressure with
  /// Pipeline::stop_injecting()). Call before Pipeline::stop().
  void detach();
  /// One pass over the spool directory; returns the spools handed over.
  std::size_t poll_once();

 private:
  void loop();
  bool handle(const std::string& path, const std::string& name);

  std::string dir_;
  graph::Pipeline* p_ = nullptr;
  std::shared_ptr<const harm::Harmonization> harm_;
  /// Recovered tags per spool name (entries already in the WAL), first pass only.
  std::map<std::string, std::set<std::size_t>> recovered_;
  std::set<std::string> warned_;
  /// Spools handed to the pipeline whose unlink failed: only the unlink is retried.
  std::set<std::string> handed_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace intelflow::runtime
