// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The running pipeline: one oneTBB flow graph built from a GraphConfig.
/// Every non-collector bot is a function_node fed with batches; collectors
/// run on their own threads and inject reports through an Ingress that bounds
/// the number of reports in flight (back-pressure). Every message derived from
/// one ingress report shares a Ticket; when the last batch holding it is
/// finished (delivered, dropped by rule, or dumped) the ticket completes (the
/// WAL acknowledges it there).
/// Threads: collector threads call Ingress; TBB workers run nodes; the owner
/// thread calls start/drain/stop.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "engine/config/graph_config.hpp"
#include "engine/graph/ack_gate.hpp"
#include "harmonization/message.hpp"

namespace intelflow::graph {

/// Completion tracking of one ingress unit. The callback runs exactly once,
/// when the last shared_ptr to the ticket is released.
class Ticket {
 public:
  /// `on_done(complete)`: complete is false if the ticket was disarmed (its
  /// work was abandoned at shutdown and must be replayed, not acknowledged).
  explicit Ticket(std::function<void(bool)> on_done, std::uint64_t seq = 0, bool replay = false,
                  std::uint64_t root = 0)
      : on_done_(std::move(on_done)),
        seq_(seq),
        replay_(replay),
        root_(root ? root : seq),
        admitted_(std::chrono::steady_clock::now()) {}
  ~Ticket() {
    if (on_done_) on_done_(!disarmed_.load());
  }
  void disarm() noexcept { disarmed_.store(true); }
  /// WAL sequence number of the ingress message (0 if not durable).
  std::uint64_t seq() const noexcept { return seq_; }
  /// The ingress message is a replay of an un-acknowledged WAL record.
  bool replay() const noexcept { return replay_; }
  /// Root id of every message id derived from this ingress message: a hash
  /// of the collector's stable key if it gave one, else the seq.
  std::uint64_t root() const noexcept { return root_; }
  /// When the ingress message was admitted (after it was durable in the WAL).
  std::chrono::steady_clock::time_point admitted() const noexcept { return admitted_; }
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

 private:
  std::function<void(bool)> on_done_;
  std::atomic<bool> disarmed_{false};
  std::uint64_t seq_ = 0;
  bool replay_ = false;
  std::uint64_t root_ = 0;
  std::chrono::steady_clock::time_point admitted_;
};

/// Timing of a run, for the benchmark harness and /metrics. Latency is
/// sampled once per output batch (weighted by its size): from the admission of
/// the ingress message (WAL-durable) to the output's flush of the batch.
struct Measurements {
  std::uint64_t first_admit_unix_ns = 0;  ///< first ingress message admitted (0: none)
  std::uint64_t last_output_unix_ns = 0;  ///< last output batch flushed (0: none)
  std::uint64_t events_out = 0;           ///< messages written by output bots
  /// (latency in microseconds, number of messages) per output batch.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> latency_us;
  /// The q-quantile (0..1) of the per-message latency in milliseconds (0 if none).
  double latency_ms(double q) const;
};

/// Counters of one bot (all monotonic).
struct BotStats {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> dumped{0};
  std::atomic<std::uint64_t> errors{0};
  std::mutex paths_mu;
  std::map<std::string, std::uint64_t> sent_per_path;
};

struct PipelineOptions {
  bool drain = false;  ///< collectors run one round only
  /// Receives messages sent on a path whose queues no bot of this graph reads
  /// (conformance harness, tests; later: broker edges). Called on TBB workers,
  /// possibly concurrently. Unset: such messages count as delivered.
  std::function<void(const std::string& bot_id, const std::string& path,
                     std::vector<harm::Message>&& msgs)>
      sink;
  /// Every node runs serially (message order is kept end to end): the
  /// conformance harness compares output order.
  bool serial = false;
  /// Write every ingress message to the WAL (engine.wal_dir) before it enters
  /// the graph, acknowledge it when done, and replay what was not acknowledged
  /// at start. The daemon sets it; unit tests and the conformance harness don't.
  bool durable = false;
};

/// What recovery found at start (durable pipelines).
struct RecoverySummary {
  std::uint64_t replayed = 0;
  std::uint64_t dropped_unroutable = 0;  ///< records whose bot/path no longer exists
  std::vector<std::string> notes;
};

class BotNode;

class Pipeline {
 public:
  /// Builds the graph and initialises every enabled bot. Throws
  /// std::runtime_error naming the bot if a bot's init() fails.
  Pipeline(const config::GraphConfig& cfg, PipelineOptions opts);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  /// Replays what the WAL holds un-acknowledged (durable pipelines), then
  /// starts collector threads.
  void start();
  const RecoverySummary& recovery() const noexcept { return recovery_; }
  /// Waits until every collector finished its round (drain mode) and the graph is idle.
  void wait_drained();
  /// Stops collectors, drains the graph, shuts every bot down (flushes outputs).
  void stop();

  /// Injects a message into a bot's input (dump re-injection, tests). Blocks on back-pressure.
  void inject(const std::string& bot_id, harm::Message msg);
  /// Injects messages as one batch (one ticket), keeping their order.
  void inject_batch(const std::string& bot_id, std::vector<harm::Message> msgs);
  /// Injects messages into a bot's input durably (dump re-injection): each is
  /// written to the WAL (when the pipeline is durable) before this returns, so
  /// a crash after the call replays it into the same bot's input at the next
  /// start. Blocks on back-pressure. Throws std::runtime_error for an unknown
  /// bot or a collector, or once stop_injecting() was called.
  /// `tags` (empty, or one per message, see ack_gate.hpp): message i's WAL
  /// record carries tags[i] (`<group>#<k>`, no newline) and its ACK is held
  /// until release_acks(<group>); a tagged record replayed at start is held
  /// the same way and its tag is listed by recovered_tags().
  void inject_durable(const std::string& bot_id, std::vector<harm::Message> msgs,
                      const std::vector<std::string>& tags = {});
  /// Tags of the tagged records found un-acknowledged at start (replayed, or
  /// kept in wal-unroutable.dump); complete once start() returned.
  std::vector<std::string> recovered_tags() const { return gates_->recovered(); }
  /// Lets the held ACKs of the records tagged `<group>#...` go.
  void release_acks(const std::string& group);
  /// Wakes an inject_durable() blocked on back-pressure and makes later calls
  /// throw; call before stop() from the thread that owns the injecting one.
  void stop_injecting();

  /// Counters of one bot at one moment.
  struct Counts {
    std::string bot_id;
    std::uint64_t received, sent, dropped, dumped, errors;
  };
  /// Per bot (file order); after stop(), the final values.
  std::vector<Counts> counts() const;
  /// Live counters per bot id (file order); empty after stop().
  std::vector<std::pair<std::string, const BotStats*>> stats() const;
  /// Messages currently inside the graph (for tests and /metrics).
  std::uint64_t in_flight() const noexcept { return in_flight_.load(); }
  std::uint64_t max_in_flight_seen() const noexcept { return max_in_flight_seen_.load(); }
  /// A copy of the run's timing so far.
  Measurements measurements() const;
  /// Whether a bot stopped because of `error_procedure: stop`.
  bool bot_stopped(const std::string& bot_id) const;

  const config::GraphConfig& config() const noexcept { return cfg_; }

  struct Impl;

 private:
  config::GraphConfig cfg_;
  std::unique_ptr<Impl> impl_;
  std::atomic<std::uint64_t> in_flight_{0};
  std::atomic<std::uint64_t> max_in_flight_seen_{0};
  std::atomic<bool> measured_{false};
  RecoverySummary recovery_;
  std::vector<Counts> final_counts_;
  std::unique_ptr<AckGates> gates_ = std::make_unique<AckGates>();
  std::atomic<bool> inject_closed_{false};
};

/// The logger of a bot (created on first use; IntelMQ line format).
std::shared_ptr<spdlog::logger> bot_logger(const std::string& bot_id, const std::string& log_dir,
                                           bool to_file);

}  // namespace intelflow::graph
