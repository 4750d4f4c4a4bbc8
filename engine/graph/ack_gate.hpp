// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Held WAL acknowledgements for tagged injections (dump re-injection, see
/// docs/decisions/0004-dump-tool.md). A record injected from spool file S
/// carries the tag `S#k`; its ACK is held by the gate of group S until the
/// spool file is unlinked and release(S) is called, so an ACK can never
/// precede the unlink: while the spool exists, every record taken from it is
/// still pending in the WAL and recognised at the next start.
/// Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace intelflow::graph {

/// The ACKs of one group (one spool file).
class AckGate {
 public:
  explicit AckGate(std::function<void(std::uint64_t)> ack) : ack_(std::move(ack)) {}
  /// The ticket of `seq` completed: ACK now if released, else later.
  void completed(std::uint64_t seq) {
    if (seq == 0) return;
    std::unique_lock lk(mu_);
    if (!open_) {
      held_.push_back(seq);
      return;
    }
    lk.unlock();
    ack_(seq);
  }
  /// Lets every held ACK (and every later one) go.
  void open() {
    std::vector<std::uint64_t> held;
    {
      std::lock_guard lk(mu_);
      open_ = true;
      held.swap(held_);
    }
    for (auto s : held) ack_(s);
  }
  std::size_t held() const {
    std::lock_guard lk(mu_);
    return held_.size();
  }

 private:
  std::function<void(std::uint64_t)> ack_;
  mutable std::mutex mu_;
  bool open_ = false;
  std::vector<std::uint64_t> held_;
};

/// The gates of a pipeline, by group, and the tags of tagged records found
/// un-acknowledged at recovery.
class AckGates {
 public:
  /// The gate of `group` (created closed on first use).
  std::shared_ptr<AckGate> gate(const std::string& group,
                                const std::function<void(std::uint64_t)>& ack) {
    std::lock_guard lk(mu_);
    auto& g = gates_[group];
    if (!g) g = std::make_shared<AckGate>(ack);
    return g;
  }
  /// Opens and forgets the gate of `group` (no-op if there is none).
  void release(const std::string& group) {
    std::shared_ptr<AckGate> g;
    {
      std::lock_guard lk(mu_);
      auto it = gates_.find(group);
      if (it == gates_.end()) return;
      g = std::move(it->second);
      gates_.erase(it);
    }
    g->open();
  }
  void note_recovered(std::string tag) {
    std::lock_guard lk(mu_);
    recovered_.push_back(std::move(tag));
  }
  std::vector<std::string> recovered() const {
    std::lock_guard lk(mu_);
    return recovered_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<AckGate>> gates_;
  std::vector<std::string> recovered_;
};

}  // namespace intelflow::graph
