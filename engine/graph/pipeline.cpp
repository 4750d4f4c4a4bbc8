// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/graph/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <stdexcept>
#include <unordered_set>

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "engine/graph/dump.hpp"
#include "engine/wal/fault.hpp"
#include "engine/wal/wal.hpp"

namespace intelflow::graph {

namespace flow = oneapi::tbb::flow;
namespace fs = std::filesystem;
using api::BotGroup;
using harm::Message;

namespace {
/// WAL path of a record that goes to its bot's own input (dump re-injection).
constexpr std::string_view kInputPath = "@input";
/// route index standing for "the bot's input" during replay.
constexpr int kToInput = -2;
}  // namespace

// ---------------------------------------------------------------------------------
// Logging

namespace {

/// %L in IntelMQ style: DEBUG INFO WARNING ERROR CRITICAL.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name;
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        name = "DEBUG";
        break;
      case spdlog::level::info:
        name = "INFO";
        break;
      case spdlog::level::warn:
        name = "WARNING";
        break;
      case spdlog::level::err:
        name = "ERROR";
        break;
      case spdlog::level::critical:
        name = "CRITICAL";
        break;
      default:
        name = "NOTSET";
        break;
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> intelmq_formatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<LevelFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S,%e - %n - %* - %v");
  return f;
}

spdlog::level::level_enum level_from_name(const std::string& name) {
  if (name == "DEBUG") return spdlog::level::debug;
  if (name == "WARNING" || name == "WARN") return spdlog::level::warn;
  if (name == "ERROR") return spdlog::level::err;
  if (name == "CRITICAL") return spdlog::level::critical;
  return spdlog::level::info;
}

}  // namespace

std::shared_ptr<spdlog::logger> bot_logger(const std::string& bot_id, const std::string& log_dir,
                                           bool to_file) {
  static std::mutex mu;
  std::lock_guard lk(mu);
  if (auto existing = spdlog::get(bot_id)) return existing;
  static auto stderr_sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::vector<spdlog::sink_ptr> sinks{stderr_sink};
  if (to_file && !log_dir.empty()) {
    fs::create_directories(log_dir);
    sinks.push_back(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_dir + "/" + bot_id + ".log"));
  }
  auto logger = std::make_shared<spdlog::logger>(bot_id, sinks.begin(), sinks.end());
  logger->set_formatter(intelmq_formatter());
  spdlog::register_logger(logger);
  return logger;
}

// ---------------------------------------------------------------------------------
// Batches and nodes

namespace {

struct Batch {
  std::vector<Message> msgs;
  std::vector<std::uint64_t> ids;  ///< origin id of each message (parallel to msgs)
  std::shared_ptr<Ticket> ticket;
};

/// Id of the k-th message a bot emitted for an input with id `parent`:
/// deterministic, so a replay reproduces the same ids.
std::uint64_t child_id(std::uint64_t parent, std::uint64_t k) noexcept {
  std::uint64_t x = parent * 0x9E3779B97F4A7C15ull + k + 0x632BE59BD9B4E019ull;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return x;
}

/// Messages produced for one route, with their origin ids.
struct Out {
  std::vector<Message> msgs;
  std::vector<std::uint64_t> ids;
};
using BatchPtr = std::shared_ptr<Batch>;

/// Error policy of one bot (core.md §4).
struct ErrorPolicy {
  bool stop = false;
  std::int64_t max_retries = 3;
  double retry_delay = 15;
  bool dump = true;
  bool log_message = false;
  bool log_exception = true;
};

/// Rate-limited logging of per-message problems: every one is counted, at
/// most kBurst per second are written.
class RateLimitedLog {
 public:
  template <typename... Args>
  void error(spdlog::logger& log, fmt::format_string<Args...> f, Args&&... args) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard lk(mu_);
    if (now - window_ > std::chrono::seconds(1)) {
      if (suppressed_ > 0) log.warn("{} similar messages suppressed.", suppressed_);
      window_ = now;
      in_window_ = 0;
      suppressed_ = 0;
    }
    if (++in_window_ <= kBurst) {
      log.error(f, std::forward<Args>(args)...);
    } else {
      ++suppressed_;
    }
  }

 private:
  static constexpr int kBurst = 20;
  std::mutex mu_;
  std::chrono::steady_clock::time_point window_{};
  int in_window_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace

class BotNode {
 public:
  BotNode(Pipeline::Impl& p, const config::BotConfig& cfg, std::size_t index);

  void handle(const BatchPtr& in);
  /// Sends a fresh ingress batch to every target of `path`.
  void route(std::size_t route_index, Out&& out, const std::shared_ptr<Ticket>& ticket);
  int route_index(std::string_view path) const {
    for (std::size_t i = 0; i < routes_.size(); ++i)
      if (routes_[i].first == path) return static_cast<int>(i);
    return -1;
  }

  Pipeline::Impl& p_;
  const config::BotConfig& cfg_;
  std::size_t index_;
  std::unique_ptr<api::BotContext> ctx_;
  std::unique_ptr<api::Bot> bot_;
  api::ParserBot* parser_ = nullptr;
  api::ExpertBot* expert_ = nullptr;
  api::OutputBot* output_ = nullptr;
  api::CollectorBot* collector_ = nullptr;
  std::unique_ptr<flow::function_node<BatchPtr>> node_;
  std::vector<std::pair<std::string, std::vector<BotNode*>>> routes_;
  int on_error_route_ = -1;
  ErrorPolicy policy_;
  BotStats stats_;
  std::unique_ptr<DumpFile> dump_;
  RateLimitedLog rlog_;
  std::atomic<bool> stopped_{false};
  std::mutex retained_mu_;
  std::vector<BatchPtr> retained_;  ///< input kept (not acknowledged) after a stop
  std::atomic<std::uint64_t> lb_counter_{0};

  // collector thread
  std::thread thread_;

  // Bots doing blocking I/O run on their own thread, fed from the node.
  bool io_ = false;
  std::thread io_thread_;
  std::mutex io_mu_;
  std::condition_variable io_cv_;
  std::deque<BatchPtr> io_q_;
  bool io_stop_ = false;
  bool io_busy_ = false;
  void io_loop();
  bool io_idle() {
    std::lock_guard lk(io_mu_);
    return io_q_.empty() && !io_busy_;
  }
};

struct Pipeline::Impl {
  Pipeline& owner;
  PipelineOptions opts;
  std::size_t batch_size = 128;
  std::size_t max_in_flight = 256;
  std::uint64_t max_in_flight_bytes = 3ull << 20;
  std::uint64_t in_flight_bytes = 0;  ///< under flight_mu
  std::unique_ptr<oneapi::tbb::global_control> gc;
  std::unique_ptr<oneapi::tbb::task_arena> arena;
  std::unique_ptr<flow::graph> g;
  std::vector<std::unique_ptr<BotNode>> nodes;

  std::mutex flight_mu;
  std::condition_variable flight_cv;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  std::unique_ptr<wal::Wal> wal;
  wal::RecoveryReport wal_report;
  mutable std::mutex measure_mu;
  Measurements measure;
  /// Records one flushed output batch of `n` messages admitted at `admitted`.
  void record_output(std::chrono::steady_clock::time_point admitted, std::size_t n) {
    auto now = std::chrono::steady_clock::now();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - admitted).count();
    auto wall = unix_ns();
    std::lock_guard lk(measure_mu);
    measure.last_output_unix_ns = wall;
    measure.events_out += n;
    if (measure.latency_us.size() < (1u << 22))
      measure.latency_us.emplace_back(
          static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX)),
          static_cast<std::uint32_t>(n));
  }
  void record_admit() {
    std::lock_guard lk(measure_mu);
    if (measure.first_admit_unix_ns == 0) measure.first_admit_unix_ns = unix_ns();
  }
  static std::uint64_t unix_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  }
  /// Per output bot: (seq -> ids) written before a crash, for un-acknowledged seqs.
  std::map<std::string, std::map<std::uint64_t, std::unordered_set<std::uint64_t>>, std::less<>>
      delivered;
  const std::unordered_set<std::uint64_t>* delivered_before_crash(const std::string& bot,
                                                                  std::uint64_t seq) const {
    auto b = delivered.find(bot);
    if (b == delivered.end()) return nullptr;
    auto s = b->second.find(seq);
    return s == b->second.end() ? nullptr : &s->second;
  }

  explicit Impl(Pipeline& o) : owner(o) {}

  /// Writes an ingress message durably (if durable) and admits it: blocks
  /// while the graph is full, returns the ticket that acknowledges it.
  std::shared_ptr<Ticket> admit(const std::string& bot_id, std::string_view path,
                                const Message& msg, std::uint64_t root) {
    if (!wal) return acquire(0, false, root);
    std::string payload;
    payload.reserve(256);
    payload += bot_id;
    payload += '\n';
    payload += path;
    payload += '\n';
    payload += fmt::format("{:x}", root);
    payload += '\n';
    msg.serialize_to(payload);
    std::uint64_t seq = wal->append_durable(payload);
    return acquire(seq, false, root, payload.size());
  }

  /// Blocks until one more ingress unit may enter; returns its ticket. `seq`
  /// (if non-zero) is acknowledged in the WAL when the ticket completes.
  /// `bytes`: the ingress message's size (its WAL payload), counted against
  /// max_in_flight_bytes; a message is always admitted into an empty graph.
  std::shared_ptr<Ticket> acquire(std::uint64_t seq = 0, bool replay = false,
                                  std::uint64_t root = 0, std::uint64_t bytes = 0) {
    std::unique_lock lk(flight_mu);
    flight_cv.wait(lk, [&] {
      const auto n = owner.in_flight_.load();
      return (n < max_in_flight && (n == 0 || in_flight_bytes + bytes <= max_in_flight_bytes)) ||
             stopping_hard;
    });
    in_flight_bytes += bytes;
    auto n = owner.in_flight_.fetch_add(1) + 1;
    if (owner.measured_.exchange(true) == false) record_admit();
    auto seen = owner.max_in_flight_seen_.load();
    while (n > seen && !owner.max_in_flight_seen_.compare_exchange_weak(seen, n)) {
    }
    return std::make_shared<Ticket>(
        [this, seq, bytes](bool complete) {
          if (complete && seq != 0 && wal) wal->ack(seq);
          {
            std::lock_guard lk2(flight_mu);
            in_flight_bytes -= bytes;
            owner.in_flight_.fetch_sub(1);
          }
          flight_cv.notify_all();
        },
        seq, replay, root);
  }
  bool stopping_hard = false;

  void wait_idle() {
    std::unique_lock lk(flight_mu);
    flight_cv.wait(lk, [&] { return owner.in_flight_.load() == 0; });
  }
};

namespace {

/// The Emitter a node hands its bot while it processes one input message.
/// Sends are staged and committed only when the message succeeded, so a
/// failed attempt leaves no partial output behind.
class NodeEmitter final : public api::BatchEmitter {
 public:
  NodeEmitter(BotNode& n, std::vector<Out>& outs, const Batch& in) : n_(n), outs_(outs), in_(in) {}

  void send(Message&& msg, std::string_view path, bool path_permissive) override {
    int idx = n_.route_index(path);
    if (idx < 0) {
      if (path_permissive) return;
      throw api::PipelineError("Path '" + std::string(path) + "' is not configured for bot '" +
                               n_.cfg_.id + "'.");
    }
    if (msg.empty()) {  // IntelMQ: sending an empty message is skipped with a warning
      n_.ctx_->warnings.fetch_add(1, std::memory_order_relaxed);
      n_.ctx_->log->warn("Ignoring empty message.");
      return;
    }
    staged_.push_back(Staged{idx, std::move(msg), child_id(cur_id_, ++emitted_)});
  }
  void dump(Message&& msg, std::string_view error) override {
    // A parser's failed line: dumped now, sent to _on_error with the rest.
    n_.stats_.dumped.fetch_add(1, std::memory_order_relaxed);
    auto id = child_id(cur_id_, ++emitted_);
    if (n_.policy_.dump && n_.dump_) n_.dump_->add(msg.serialize(), error, false, origin_key(id));
    if (n_.on_error_route_ >= 0) staged_.push_back(Staged{n_.on_error_route_, std::move(msg), id});
  }
  void drop(std::string_view) override {
    n_.stats_.dropped.fetch_add(1, std::memory_order_relaxed);
  }
  bool has_path(std::string_view path) const override { return n_.route_index(path) >= 0; }

  void select(std::size_t index) override {
    commit();
    current_ = index;
    cur_id_ = index < in_.ids.size() ? in_.ids[index] : index;
    emitted_ = 0;
  }
  Origin origin() const override {
    return Origin{in_.ticket ? in_.ticket->seq() : 0, cur_id_, in_.ticket && in_.ticket->replay()};
  }
  /// "seq:id" of a message id of this batch (dump de-duplication on replay).
  std::string origin_key(std::uint64_t id) const {
    std::uint64_t seq = in_.ticket ? in_.ticket->seq() : 0;
    return seq ? fmt::format("{:x}", id) : std::string();
  }
  void fail(std::size_t index, const std::exception& error) override {
    staged_.clear();
    failures_.emplace_back(index, error.what(), classify(error));
  }

  void commit() {
    for (auto& st : staged_) {
      auto& o = outs_[static_cast<std::size_t>(st.route)];
      o.msgs.push_back(std::move(st.msg));
      o.ids.push_back(st.id);
    }
    staged_.clear();
  }
  void discard() { staged_.clear(); }

  enum class Kind { Generic, InvalidValue, Pipeline, Config };
  static Kind classify(const std::exception& e) {
    if (auto* h = dynamic_cast<const harm::HarmonizationError*>(&e)) {
      if (h->kind() == harm::ErrorKind::InvalidValue || h->kind() == harm::ErrorKind::DecodingError)
        return Kind::InvalidValue;
    }
    if (dynamic_cast<const api::PipelineError*>(&e)) return Kind::Pipeline;
    if (dynamic_cast<const api::ConfigError*>(&e)) return Kind::Config;
    return Kind::Generic;
  }

  struct Failure {
    Failure(std::size_t i, std::string w, Kind k) : index(i), what(std::move(w)), kind(k) {}
    std::size_t index;
    std::string what;
    Kind kind;
  };
  std::vector<Failure> failures_;

 private:
  BotNode& n_;
  struct Staged {
    int route;
    Message msg;
    std::uint64_t id;
  };
  std::vector<Out>& outs_;
  const Batch& in_;
  std::vector<Staged> staged_;
  std::size_t current_ = 0;
  std::uint64_t cur_id_ = 0;
  std::uint64_t emitted_ = 0;
};

}  // namespace

BotNode::BotNode(Pipeline::Impl& p, const config::BotConfig& cfg, std::size_t index)
    : p_(p), cfg_(cfg), index_(index) {
  const auto& eng = p.owner.config().engine;
  ctx_ = std::make_unique<api::BotContext>();
  ctx_->bot_id = cfg.id;
  ctx_->module = cfg.info->module;
  ctx_->params = cfg.params;
  ctx_->log = bot_logger(cfg.id, eng.log_dir, eng.log_to_files);
  ctx_->log->set_level(level_from_name(cfg.params.get_string("logging_level", "INFO")));
  ctx_->harmonization = eng.harmonization.empty()
                            ? harm::Harmonization::default_instance()
                            : harm::Harmonization::from_file(eng.harmonization);
  ctx_->state_dir = eng.state_dir + "/bots/" + cfg.id;
  fs::create_directories(ctx_->state_dir);

  policy_.stop = cfg.params.get_string("error_procedure", "pass") == "stop";
  policy_.max_retries = cfg.params.get_int("error_max_retries", 3);
  policy_.retry_delay = cfg.params.get_float("error_retry_delay", 15);
  policy_.dump = cfg.params.get_bool("error_dump_message", true);
  policy_.log_message = cfg.params.get_bool("error_log_message", false);
  policy_.log_exception = cfg.params.get_bool("error_log_exception", true);
  dump_ =
      std::make_unique<DumpFile>(eng.log_dir + "/" + cfg.id + ".dump", cfg.id, cfg.source_queue);

  bot_ = cfg.info->factory();
  switch (cfg.info->group) {
    case BotGroup::Collector:
      collector_ = dynamic_cast<api::CollectorBot*>(bot_.get());
      break;
    case BotGroup::Parser:
      parser_ = dynamic_cast<api::ParserBot*>(bot_.get());
      break;
    case BotGroup::Expert:
      expert_ = dynamic_cast<api::ExpertBot*>(bot_.get());
      break;
    case BotGroup::Output:
      output_ = dynamic_cast<api::OutputBot*>(bot_.get());
      break;
  }
  if (!collector_ && !parser_ && !expert_ && !output_)
    throw std::logic_error("bot " + cfg.info->module + " does not derive from its group's base");
  try {
    bot_->init(*ctx_);
  } catch (const api::ConfigError& e) {
    throw std::runtime_error("bot '" + cfg.id + "': initialization failed: " + e.what());
  } catch (const std::exception& e) {
    throw std::runtime_error("bot '" + cfg.id + "': initialization failed: " + e.what());
  }
  for (const auto& [path, queues] : cfg.destinations)
    routes_.emplace_back(path, std::vector<BotNode*>{});
  on_error_route_ = route_index("_on_error");

  if (!collector_) {
    auto concurrency = cfg.info->concurrent && !p.opts.serial ? flow::unlimited : flow::serial;
    io_ = bot_->uses_blocking_io();
    if (io_) {
      // The node only hands batches over; the I/O thread processes them in order.
      node_ = std::make_unique<flow::function_node<BatchPtr>>(*p.g, flow::serial,
                                                              [this](const BatchPtr& b) {
                                                                {
                                                                  std::lock_guard lk(io_mu_);
                                                                  io_q_.push_back(b);
                                                                }
                                                                io_cv_.notify_all();
                                                              });
      io_thread_ = std::thread([this] { io_loop(); });
    } else {
      node_ = std::make_unique<flow::function_node<BatchPtr>>(
          *p.g, concurrency, [this](const BatchPtr& b) { handle(b); });
    }
  }
}

void BotNode::io_loop() {
  while (true) {
    BatchPtr b;
    {
      std::unique_lock lk(io_mu_);
      io_cv_.wait(lk, [&] { return !io_q_.empty() || io_stop_; });
      if (io_q_.empty()) return;
      b = std::move(io_q_.front());
      io_q_.pop_front();
      io_busy_ = true;
    }
    handle(b);
    b.reset();  // may complete the ticket
    {
      std::lock_guard lk(io_mu_);
      io_busy_ = false;
    }
    io_cv_.notify_all();
  }
}

void BotNode::route(std::size_t ri, Out&& out, const std::shared_ptr<Ticket>& ticket) {
  auto& msgs = out.msgs;
  if (msgs.empty()) return;
  if (out.ids.size() != msgs.size()) {  // ingress: ids derive from the ticket's root
    out.ids.resize(msgs.size());
    const std::uint64_t root = ticket ? ticket->root() : 0;
    for (std::size_t i = 0; i < out.ids.size(); ++i) out.ids[i] = child_id(root, i);
  }
  auto& targets = routes_[ri].second;
  {
    std::lock_guard lk(stats_.paths_mu);
    stats_.sent_per_path[routes_[ri].first] += msgs.size();
  }
  stats_.sent.fetch_add(msgs.size(), std::memory_order_relaxed);
  if (targets.empty()) {  // a path whose queues no local bot reads
    if (p_.opts.sink) p_.opts.sink(cfg_.id, routes_[ri].first, std::move(msgs));
    return;
  }
  const bool load_balance = cfg_.params.get_bool("load_balance", false);
  const std::size_t bs = p_.batch_size;
  auto push = [&](BotNode* t, Out&& part) {
    auto b = std::make_shared<Batch>();
    b->msgs = std::move(part.msgs);
    b->ids = std::move(part.ids);
    b->ticket = ticket;
    t->node_->try_put(b);
  };
  auto split_to = [&](BotNode* t, Out&& all) {
    if (all.msgs.size() <= bs) {
      push(t, std::move(all));
      return;
    }
    for (std::size_t off = 0; off < all.msgs.size(); off += bs) {
      std::size_t end = std::min(all.msgs.size(), off + bs);
      Out part;
      part.msgs.reserve(end - off);
      for (std::size_t i = off; i < end; ++i) part.msgs.push_back(std::move(all.msgs[i]));
      part.ids.assign(all.ids.begin() + static_cast<std::ptrdiff_t>(off),
                      all.ids.begin() + static_cast<std::ptrdiff_t>(end));
      push(t, std::move(part));
    }
  };
  if (load_balance) {
    BotNode* t = targets[lb_counter_.fetch_add(1) % targets.size()];
    split_to(t, std::move(out));
    return;
  }
  for (std::size_t i = 0; i + 1 < targets.size(); ++i) {
    Out copy = out;
    split_to(targets[i], std::move(copy));
  }
  split_to(targets.back(), std::move(out));
}

void BotNode::handle(const BatchPtr& in) {
  if (stopped_.load()) {
    std::lock_guard lk(retained_mu_);
    retained_.push_back(in);
    return;
  }
  auto& msgs = in->msgs;
  stats_.received.fetch_add(msgs.size(), std::memory_order_relaxed);
  std::vector<Out> outs(routes_.size());
  NodeEmitter em(*this, outs, *in);

  // The policy for one failed input message: retry, then dump / _on_error / stop.
  auto give_up = [&](Message& m, const std::string& what, NodeEmitter::Kind kind) {
    if (kind == NodeEmitter::Kind::InvalidValue)
      rlog_.error(*ctx_->log, "Found an invalid value that violates the harmonization rules: {}",
                  what);
    else if (policy_.log_exception)
      rlog_.error(*ctx_->log, "Bot has found a problem: {}", what);
    else
      rlog_.error(*ctx_->log, "Bot has found a problem.");
    if (policy_.log_message) ctx_->log->info("Current Message(event): {}", m.serialize());
    stats_.dumped.fetch_add(1, std::memory_order_relaxed);
    if (policy_.dump) dump_->add(m.serialize(), what, false, em.origin_key(em.origin().id));
    if (on_error_route_ >= 0) {
      auto& o = outs[static_cast<std::size_t>(on_error_route_)];
      o.ids.push_back(child_id(em.origin().id, 0));
      o.msgs.push_back(std::move(m));
    }
    if (policy_.stop || kind == NodeEmitter::Kind::Config) {
      ctx_->log->error(
          "Bot stopped: error_procedure is 'stop'. Its input stays queued until a restart or "
          "reload.");
      stopped_.store(true);
    }
  };
  auto run_one = [&](Message& m, auto&& fn) -> bool {
    const bool keep_original = policy_.max_retries > 0;
    std::optional<Message> original;
    if (keep_original) original.emplace(m);
    for (std::int64_t attempt = 0;; ++attempt) {
      try {
        fn(m);
        em.commit();
        return true;
      } catch (const std::exception& e) {
        em.discard();
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        auto kind = NodeEmitter::classify(e);
        if (attempt < policy_.max_retries && kind == NodeEmitter::Kind::Generic &&
            !p_.stopping.load()) {
          rlog_.error(*ctx_->log, "Bot has found a problem: {}. Bot will continue in {} seconds.",
                      e.what(), policy_.retry_delay);
          std::this_thread::sleep_for(std::chrono::duration<double>(policy_.retry_delay));
          m = *original;
          continue;
        }
        give_up(m, e.what(), kind);
        return false;
      }
    }
  };

  std::size_t i = 0;
  if (parser_) {
    for (; i < msgs.size() && !stopped_.load(); ++i) {
      em.select(i);
      run_one(msgs[i], [&](Message& m) { parser_->process(m, em); });
    }
  } else if (output_) {
    const std::uint64_t seq = in->ticket ? in->ticket->seq() : 0;
    const std::unordered_set<std::uint64_t>* done = nullptr;
    if (in->ticket && in->ticket->replay()) done = p_.delivered_before_crash(cfg_.id, seq);
    std::string written_ids;
    std::size_t written = 0;
    for (; i < msgs.size() && !stopped_.load(); ++i) {
      em.select(i);
      std::uint64_t id = i < in->ids.size() ? in->ids[i] : i;
      if (done && done->count(id)) continue;  // written before the crash: not again
      if (run_one(msgs[i], [&](Message& m) { output_->process(m); })) {
        ++written;
        if (!written_ids.empty()) written_ids += ',';
        fmt::format_to(std::back_inserter(written_ids), "{:x}", id);
      }
    }
    try {
      output_->flush();
      // Written but its position not yet recorded: recovery must cut it back.
      INTELFLOW_FAULT_POINT("output.after_write");
      if (in->ticket && written) p_.record_output(in->ticket->admitted(), written);
      // Record what is now in the output and where it ends (exactly-once
      // outputs): after a crash the output is cut back to the last recorded
      // position and these messages are not written again when replayed.
      if (p_.wal && seq != 0) {
        if (auto pos = output_->position())
          p_.wal->append_output(cfg_.id,
                                fmt::format("{}\n{}\n{}\n{}", cfg_.id, *pos, seq, written_ids));
      }
    } catch (const std::exception& e) {
      // The batch could not be delivered: count each message as failed.
      for (auto& m : msgs)
        give_up(m, std::string("flush failed: ") + e.what(), NodeEmitter::Kind::Generic);
    }
  } else if (expert_) {
    std::span<Message> all(msgs);
    try {
      expert_->process_batch(all, em);
      em.select(0);  // commits the last event's sends
    } catch (const std::exception& e) {
      // process_batch itself failed (not per event): every event failed.
      em.discard();
      for (std::size_t k = 0; k < msgs.size(); ++k) em.fail(k, e);
    }
    for (auto& f : em.failures_) {
      if (stopped_.load()) break;
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      em.select(f.index);
      Message& m = msgs[f.index];
      bool ok = false;
      if (f.kind == NodeEmitter::Kind::Generic) {
        for (std::int64_t attempt = 0; attempt < policy_.max_retries && !ok; ++attempt) {
          std::this_thread::sleep_for(std::chrono::duration<double>(policy_.retry_delay));
          try {
            expert_->process(m, em);
            em.commit();
            ok = true;
          } catch (const std::exception&) {
            em.discard();
            stats_.errors.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
      if (!ok) give_up(m, f.what, f.kind);
    }
    i = msgs.size();
  }
  if (i < msgs.size()) {
    // Stopped part way: keep the rest of the batch unacknowledged.
    auto rest = std::make_shared<Batch>();
    for (std::size_t k = i; k < msgs.size(); ++k) {
      rest->msgs.push_back(std::move(msgs[k]));
      if (k < in->ids.size()) rest->ids.push_back(in->ids[k]);
    }
    rest->ticket = in->ticket;
    std::lock_guard lk(retained_mu_);
    retained_.push_back(rest);
  }
  if (stats_.dumped.load(std::memory_order_relaxed) > 0 && !dump_->flush())
    ctx_->log->critical("Could not write dump file {}.", dump_->path());
  auto forward = [&] {
    for (std::size_t r = 0; r < outs.size(); ++r) route(r, std::move(outs[r]), in->ticket);
  };
  if (io_)
    p_.arena->execute(forward);  // from the I/O thread into the graph's arena
  else
    forward();
}

// ---------------------------------------------------------------------------------
// Collectors

namespace {

/// What a collector sends to: each report becomes one ingress unit (a ticket),
/// waiting for room under the in-flight bound first.
class CollectorEmitter final : public api::Emitter {
 public:
  explicit CollectorEmitter(BotNode& n) : n_(n) {}
  void send(Message&& msg, std::string_view path, bool path_permissive) override {
    int idx = n_.route_index(path);
    if (idx < 0) {
      if (path_permissive) return;
      throw api::PipelineError("Path '" + std::string(path) + "' is not configured for bot '" +
                               n_.cfg_.id + "'.");
    }
    std::uint64_t root = next_key_.empty() ? 0 : std::hash<std::string>{}(next_key_) | 1;
    next_key_.clear();
    auto ticket = n_.p_.admit(n_.cfg_.id, path, msg, root);
    Out one;
    one.msgs.push_back(std::move(msg));
    n_.p_.arena->execute([&] { n_.route(static_cast<std::size_t>(idx), std::move(one), ticket); });
  }
  void dump(Message&& msg, std::string_view error) override {
    n_.stats_.dumped.fetch_add(1);
    n_.dump_->add(msg.serialize(), error);
    n_.dump_->flush();
  }
  bool has_path(std::string_view path) const override { return n_.route_index(path) >= 0; }
  void set_next_key(std::string_view key) override { next_key_ = std::string(key); }

 private:
  BotNode& n_;
  std::string next_key_;
};

void run_collector(BotNode& n) {
  CollectorEmitter em(n);
  const double rate_limit = n.cfg_.params.get_float("rate_limit", 0);
  const bool drain = n.p_.opts.drain;
  const bool scheduled = n.cfg_.run_mode == "scheduled";
  while (!n.p_.stopping.load()) {
    std::int64_t attempt = 0;
    while (true) {
      try {
        n.collector_->collect(em);
        n.stats_.received.fetch_add(1);
        break;
      } catch (const std::exception& e) {
        n.stats_.errors.fetch_add(1);
        n.ctx_->log->error("Bot has found a problem: {}", e.what());
        if (++attempt > n.policy_.max_retries || n.p_.stopping.load()) break;
        std::unique_lock lk(n.p_.stop_mu);
        n.p_.stop_cv.wait_for(lk, std::chrono::duration<double>(n.policy_.retry_delay),
                              [&] { return n.p_.stopping.load(); });
      }
    }
    if (drain || scheduled) break;
    std::unique_lock lk(n.p_.stop_mu);
    n.p_.stop_cv.wait_for(lk, std::chrono::duration<double>(std::max(rate_limit, 0.001)),
                          [&] { return n.p_.stopping.load(); });
  }
}

}  // namespace

// ---------------------------------------------------------------------------------
// Pipeline

Pipeline::Pipeline(const config::GraphConfig& cfg, PipelineOptions opts)
    : cfg_(cfg), impl_(std::make_unique<Impl>(*this)) {
  impl_->opts = opts;
  impl_->batch_size = std::max<std::size_t>(1, cfg_.engine.batch_size);
  impl_->max_in_flight = std::max<std::size_t>(1, cfg_.engine.max_in_flight);
  impl_->max_in_flight_bytes = cfg_.engine.max_in_flight_bytes;
  int threads = cfg_.engine.threads > 0 ? cfg_.engine.threads
                                        : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(1, threads);
  // Collector and main threads do not run graph work: give the arena `threads`
  // worker slots, none reserved for masters.
  impl_->gc = std::make_unique<oneapi::tbb::global_control>(
      oneapi::tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(threads) + 1);
  impl_->arena = std::make_unique<oneapi::tbb::task_arena>(threads, 0);
  fs::create_directories(cfg_.engine.log_dir);
  if (opts.durable) {
    wal::Options wo;
    wo.dir = cfg_.engine.wal_dir;
    wo.fsync = cfg_.engine.fsync == config::FsyncPolicy::Always     ? wal::Fsync::Always
               : cfg_.engine.fsync == config::FsyncPolicy::Interval ? wal::Fsync::Interval
                                                                    : wal::Fsync::Never;
    wo.interval_ms = cfg_.engine.fsync_interval_ms;
    wo.max_bytes = cfg_.engine.wal_max_bytes;
    impl_->wal = std::make_unique<wal::Wal>(wo, impl_->wal_report);
    recovery_.notes = impl_->wal_report.notes;
  }
  impl_->arena->execute([&] {
    impl_->g = std::make_unique<flow::graph>();
    for (std::size_t i = 0; i < cfg_.bots.size(); ++i) {
      const auto& b = cfg_.bots[i];
      if (!b.enabled) continue;
      impl_->nodes.push_back(std::make_unique<BotNode>(*impl_, b, i));
    }
  });
  auto node_of = [&](std::size_t cfg_index) -> BotNode* {
    for (auto& n : impl_->nodes)
      if (n->index_ == cfg_index) return n.get();
    return nullptr;
  };
  for (const auto& e : cfg_.edges) {
    BotNode* from = node_of(e.from);
    BotNode* to = node_of(e.to);
    if (!from || !to || !to->node_) continue;  // disabled end
    int r = from->route_index(e.path);
    if (r >= 0) from->routes_[static_cast<std::size_t>(r)].second.push_back(to);
  }
}

Pipeline::~Pipeline() {
  try {
    stop();
  } catch (...) {
  }
}

namespace {
/// Wraps an admitted ticket so that its WAL ACK goes through the gate of the
/// tag's group (the part before '#'): the in-flight slot is released when the
/// work completes, the ACK only when the group is released.
std::shared_ptr<Ticket> held_ticket(Pipeline::Impl& impl, AckGates& gates,
                                    std::shared_ptr<Ticket> slot, std::string_view tag) {
  auto group = std::string(tag.substr(0, tag.find('#')));
  auto gate = gates.gate(group, [&impl](std::uint64_t s) {
    if (impl.wal) impl.wal->ack(s);
  });
  const auto seq = slot->seq(), root = slot->root();
  const bool replay = slot->replay();
  slot->disarm();  // the slot itself never acknowledges
  return std::make_shared<Ticket>(
      [slot = std::move(slot), gate = std::move(gate), seq](bool complete) mutable {
        if (complete) gate->completed(seq);
        slot.reset();
      },
      seq, replay, root);
}
}  // namespace

void Pipeline::start() {
  // Replay first: un-acknowledged ingress messages of the previous run go
  // through the graph again (their tickets acknowledge the old records).
  auto pending = std::move(impl_->wal_report.pending);
  if (impl_->wal) {
    std::unordered_set<std::uint64_t> unacked;
    for (const auto& rec : pending) unacked.insert(rec.seq);
    std::map<std::string, std::uint64_t> last_position;
    for (const auto& pl : impl_->wal_report.outputs) {
      // bot \n position \n seq \n ids(hex, comma-separated)
      std::vector<std::string_view> parts;
      std::string_view rest(pl);
      for (int k = 0; k < 3; ++k) {
        auto nl = rest.find('\n');
        if (nl == std::string_view::npos) break;
        parts.push_back(rest.substr(0, nl));
        rest.remove_prefix(nl + 1);
      }
      if (parts.size() != 3) continue;
      std::string bot(parts[0]);
      last_position[bot] = std::stoull(std::string(parts[1]));
      std::uint64_t seq = std::stoull(std::string(parts[2]));
      if (!unacked.count(seq)) continue;
      auto& ids = impl_->delivered[bot][seq];
      while (!rest.empty()) {
        auto c = rest.find(',');
        ids.insert(std::stoull(std::string(rest.substr(0, c)), nullptr, 16));
        if (c == std::string_view::npos) break;
        rest.remove_prefix(c + 1);
      }
    }
    for (auto& n : impl_->nodes) {
      auto lp = last_position.find(n->cfg_.id);
      if (n->output_ && lp != last_position.end()) {
        try {
          n->output_->truncate_to_position(lp->second);
        } catch (const std::exception& e) {
          recovery_.notes.push_back(
              fmt::format("bot '{}': could not cut its output back: {}", n->cfg_.id, e.what()));
        }
      }
    }
  }
  for (auto& rec : pending) {
    std::string_view pl(rec.payload);
    auto nl1 = pl.find('\n');
    auto nl2 = nl1 == std::string_view::npos ? nl1 : pl.find('\n', nl1 + 1);
    auto nl3 = nl2 == std::string_view::npos ? nl2 : pl.find('\n', nl2 + 1);
    std::uint64_t root = 0;
    if (nl3 != std::string_view::npos)
      root = std::stoull(std::string(pl.substr(nl2 + 1, nl3 - nl2 - 1)), nullptr, 16);
    BotNode* node = nullptr;
    int ri = -1;
    std::string_view tag;  // "@input#<tag>": a tagged injection (ack_gate.hpp)
    if (nl3 != std::string_view::npos) {
      std::string_view id = pl.substr(0, nl1), path = pl.substr(nl1 + 1, nl2 - nl1 - 1);
      if (path.size() > kInputPath.size() && path.starts_with(kInputPath) &&
          path[kInputPath.size()] == '#') {
        tag = path.substr(kInputPath.size() + 1);
        path = kInputPath;
        gates_->note_recovered(std::string(tag));
      }
      for (auto& n : impl_->nodes)
        if (n->cfg_.id == id) node = n.get();
      if (node) ri = path == kInputPath ? (node->node_ ? kToInput : -1) : node->route_index(path);
    }
    std::optional<Message> msg;
    if (node && (ri >= 0 || ri == kToInput)) {
      try {
        msg = Message::unserialize(pl.substr(nl3 + 1), node->ctx_->harmonization);
      } catch (const std::exception& e) {
        recovery_.notes.push_back(
            fmt::format("record {}: unreadable message: {}", rec.seq, e.what()));
      }
    }
    if (!msg) {
      // The bot or path is gone (config changed): keep the record in a dump
      // so nothing is lost silently, then acknowledge it.
      ++recovery_.dropped_unroutable;
      DumpFile df(cfg_.engine.log_dir + "/wal-unroutable.dump", "wal-recovery", "");
      df.add(std::string(pl), "WAL record could not be replayed: its bot or path no longer exists");
      df.flush();
      impl_->wal->ack(rec.seq);
      continue;
    }
    INTELFLOW_FAULT_POINT("recovery.replay");  // crash in the middle of a replay
    auto ticket = impl_->acquire(rec.seq, /*replay=*/true, root, rec.payload.size());
    if (!tag.empty()) ticket = held_ticket(*impl_, *gates_, std::move(ticket), tag);
    Out one;
    one.msgs.push_back(std::move(*msg));
    if (ri == kToInput) {
      auto b = std::make_shared<Batch>();
      b->msgs = std::move(one.msgs);
      b->ticket = std::move(ticket);
      impl_->arena->execute([&] { node->node_->try_put(b); });
    } else {
      impl_->arena->execute(
          [&] { node->route(static_cast<std::size_t>(ri), std::move(one), ticket); });
    }
    ++recovery_.replayed;
  }
  for (auto& n : impl_->nodes) {
    if (!n->collector_) continue;
    BotNode* np = n.get();
    n->thread_ = std::thread([np] { run_collector(*np); });
  }
}

void Pipeline::wait_drained() {
  for (auto& n : impl_->nodes)
    if (n->thread_.joinable()) n->thread_.join();
  impl_->arena->execute([&] { impl_->g->wait_for_all(); });
  for (auto& n : impl_->nodes) {
    if (!n->io_) continue;
    std::unique_lock lk(n->io_mu_);
    n->io_cv_.wait(lk, [&] { return n->io_q_.empty() && !n->io_busy_; });
  }
  impl_->arena->execute([&] { impl_->g->wait_for_all(); });
  bool any_stopped = false;
  for (auto& n : impl_->nodes) any_stopped = any_stopped || n->stopped_.load();
  if (!any_stopped) impl_->wait_idle();
}

void Pipeline::stop() {
  if (!impl_ || !impl_->g) return;
  {
    std::lock_guard lk(impl_->stop_mu);
    impl_->stopping.store(true);
  }
  impl_->stop_cv.notify_all();
  {
    std::lock_guard lk(impl_->flight_mu);
    impl_->stopping_hard = true;
  }
  impl_->flight_cv.notify_all();
  for (auto& n : impl_->nodes)
    if (n->thread_.joinable()) n->thread_.join();
  // Drain the graph and the I/O threads (they may feed the graph again).
  while (true) {
    impl_->arena->execute([&] { impl_->g->wait_for_all(); });
    BotNode* busy = nullptr;
    for (auto& n : impl_->nodes)
      if (n->io_ && !n->io_idle()) busy = n.get();
    if (!busy) break;
    std::unique_lock lk(busy->io_mu_);
    busy->io_cv_.wait(lk, [&] { return busy->io_q_.empty() && !busy->io_busy_; });
  }
  for (auto& n : impl_->nodes) {
    if (!n->io_) continue;
    {
      std::lock_guard lk(n->io_mu_);
      n->io_stop_ = true;
    }
    n->io_cv_.notify_all();
    n->io_thread_.join();
  }
  for (auto& n : impl_->nodes) {
    try {
      n->bot_->shutdown();
    } catch (const std::exception& e) {
      n->ctx_->log->error("Shutdown failed: {}", e.what());
    }
    n->dump_->flush();
    std::lock_guard lk(n->retained_mu_);
    for (auto& b : n->retained_) b->ticket->disarm();  // not done: replayed at the next start
    n->retained_.clear();
  }
  final_counts_ = counts();
  impl_->arena->execute([&] {
    impl_->nodes.clear();
    impl_->g.reset();
  });
  if (impl_->wal) impl_->wal->close();
}

void Pipeline::inject(const std::string& bot_id, harm::Message msg) {
  for (auto& n : impl_->nodes) {
    if (n->cfg_.id != bot_id) continue;
    if (!n->node_) throw std::runtime_error("bot '" + bot_id + "' has no input (collector)");
    auto ticket = impl_->acquire();
    auto b = std::make_shared<Batch>();
    b->msgs.push_back(std::move(msg));
    b->ticket = std::move(ticket);
    BotNode* np = n.get();
    impl_->arena->execute([&] { np->node_->try_put(b); });
    return;
  }
  throw std::runtime_error("no running bot '" + bot_id + "'");
}

void Pipeline::inject_batch(const std::string& bot_id, std::vector<harm::Message> msgs) {
  for (auto& n : impl_->nodes) {
    if (n->cfg_.id != bot_id) continue;
    if (!n->node_) throw std::runtime_error("bot '" + bot_id + "' has no input (collector)");
    auto b = std::make_shared<Batch>();
    b->msgs = std::move(msgs);
    b->ticket = impl_->acquire();
    BotNode* np = n.get();
    impl_->arena->execute([&] { np->node_->try_put(b); });
    return;
  }
  throw std::runtime_error("no running bot '" + bot_id + "'");
}

void Pipeline::inject_durable(const std::string& bot_id, std::vector<harm::Message> msgs,
                              const std::vector<std::string>& tags) {
  BotNode* np = nullptr;
  for (auto& n : impl_->nodes)
    if (n->cfg_.id == bot_id) np = n.get();
  if (!np) throw std::runtime_error("no running bot '" + bot_id + "'");
  if (!np->node_) throw std::runtime_error("bot '" + bot_id + "' has no input (collector)");
  if (!tags.empty() && tags.size() != msgs.size())
    throw std::invalid_argument("inject_durable: one tag per message");
  std::string path(kInputPath);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    if (inject_closed_.load()) throw std::runtime_error("the pipeline is stopping");
    auto& m = msgs[i];
    // Path kInputPath: the record goes to the bot's own input, not to a route.
    path.resize(kInputPath.size());
    if (!tags.empty()) (path += '#') += tags[i];
    auto ticket = impl_->admit(bot_id, path, m, 0);
    if (!tags.empty()) ticket = held_ticket(*impl_, *gates_, std::move(ticket), tags[i]);
    auto b = std::make_shared<Batch>();
    b->msgs.push_back(std::move(m));
    b->ticket = std::move(ticket);
    impl_->arena->execute([&] { np->node_->try_put(b); });
  }
}

void Pipeline::release_acks(const std::string& group) {
  if (!impl_->g) return;  // stopped: what is held is replayed at the next start
  gates_->release(group);
}

void Pipeline::stop_injecting() {
  inject_closed_.store(true);
  {
    std::lock_guard lk(impl_->flight_mu);
    impl_->stopping_hard = true;
  }
  impl_->flight_cv.notify_all();
}

std::vector<Pipeline::Counts> Pipeline::counts() const {
  if (impl_->nodes.empty()) return final_counts_;
  std::vector<Counts> out;
  for (const auto& n : impl_->nodes)
    out.push_back(Counts{n->cfg_.id, n->stats_.received.load(), n->stats_.sent.load(),
                         n->stats_.dropped.load(), n->stats_.dumped.load(),
                         n->stats_.errors.load()});
  return out;
}

std::vector<std::pair<std::string, const BotStats*>> Pipeline::stats() const {
  std::vector<std::pair<std::string, const BotStats*>> out;
  for (const auto& n : impl_->nodes) out.emplace_back(n->cfg_.id, &n->stats_);
  return out;
}

Measurements Pipeline::measurements() const {
  std::lock_guard lk(impl_->measure_mu);
  return impl_->measure;
}

double Measurements::latency_ms(double q) const {
  std::uint64_t total = 0;
  for (const auto& [us, n] : latency_us) total += n;
  if (total == 0) return 0;
  auto sorted = latency_us;
  std::sort(sorted.begin(), sorted.end());
  auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
  if (want == 0) want = 1;
  std::uint64_t seen = 0;
  for (const auto& [us, n] : sorted) {
    seen += n;
    if (seen >= want) return us / 1000.0;
  }
  return sorted.back().first / 1000.0;
}

bool Pipeline::bot_stopped(const std::string& bot_id) const {
  for (const auto& n : impl_->nodes)
    if (n->cfg_.id == bot_id) return n->stopped_.load();
  return false;
}

}  // namespace intelflow::graph
