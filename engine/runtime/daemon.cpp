// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/runtime/daemon.hpp"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <spdlog/spdlog.h>

#include "engine/config/graph_config.hpp"
#include "engine/dumptool/spool.hpp"
#include "engine/graph/pipeline.hpp"
#include "engine/runtime/reinject.hpp"

namespace intelflow::runtime {

namespace {

void print_issues(const config::LoadResult& r, std::ostream& os) {
  for (const auto& i : r.issues) os << i.format() << "\n";
}

void print_summary(const graph::Pipeline& p, std::ostream& out) {
  out << fmt::format("{:<32} {:>10} {:>10} {:>10} {:>10} {:>8}\n", "bot", "received", "sent",
                     "dropped", "dumped", "errors");
  for (const auto& c : p.counts())
    out << fmt::format("{:<32} {:>10} {:>10} {:>10} {:>10} {:>8}\n", c.bot_id, c.received, c.sent,
                       c.dropped, c.dumped, c.errors);
}

void report_recovery(const graph::Pipeline& p, std::ostream& err) {
  const auto& r = p.recovery();
  for (const auto& n : r.notes) err << "intelflow: recovery: " << n << "\n";
  if (r.replayed > 0 || r.dropped_unroutable > 0)
    err << fmt::format(
        "intelflow: recovery: replayed {} un-acknowledged message(s){}\n", r.replayed,
        r.dropped_unroutable ? fmt::format(", {} could not be routed (kept in wal-unroutable.dump)",
                                           r.dropped_unroutable)
                             : std::string());
}

/// `--stats-json`: final counters of every bot and messages left in flight
/// (read by `intelflow bench`, benchmarks/harness).
void write_stats_json(const graph::Pipeline& p, const std::string& path, std::ostream& err) {
  std::string s = fmt::format("{{\"in_flight\": {},\n \"bots\": [", p.in_flight());
  const char* sep = "";
  for (const auto& c : p.counts()) {
    s += fmt::format(
        "{}\n  {{\"id\": \"{}\", \"received\": {}, \"sent\": {}, \"dropped\": {}, "
        "\"dumped\": {}, \"errors\": {}}}",
        sep, c.bot_id, c.received, c.sent, c.dropped, c.dumped, c.errors);
    sep = ",";
  }
  const graph::Measurements m = p.measurements();
  s += fmt::format(
      "],\n \"measurements\": {{\"first_admit_unix_ns\": {}, \"last_output_unix_ns\": {}, "
      "\"events_out\": {}, \"latency_p50_ms\": {}, \"latency_p99_ms\": {},\n  \"latency_us\": [",
      m.first_admit_unix_ns, m.last_output_unix_ns, m.events_out, m.latency_ms(0.5),
      m.latency_ms(0.99));
  sep = "";
  for (const auto& [us, n] : m.latency_us) {
    s += fmt::format("{}[{},{}]", sep, us, n);
    sep = ",";
  }
  s += "]}}\n";
  std::ofstream f(path, std::ios::trunc);
  f << s;
  if (!f.flush()) err << "intelflow: could not write " << path << "\n";
}

}  // namespace

int check_graph(const std::string& graph_file, std::ostream& out, bool quiet) {
  auto r = config::load_graph(graph_file);
  std::size_t errors = 0;
  for (const auto& i : r.issues) {
    if (i.level == config::ConfigIssue::Level::Error) ++errors;
    if (!quiet || i.level == config::ConfigIssue::Level::Error) out << i.format() << "\n";
  }
  if (errors == 0 && r.ok()) {
    if (!quiet) out << "No issues found.\n";
    return 0;
  }
  out << fmt::format("{} error(s) found in {}; the daemon would refuse to start.\n", errors,
                     graph_file);
  return 1;
}

int run_daemon(const RunOptions& opts, std::ostream& out, std::ostream& err) {
  // Daemon messages go to stderr (journal) in IntelMQ's line format, unbuffered.
  spdlog::set_default_logger(graph::bot_logger("intelflow", "", false));
  config::LoadOptions lo;
  lo.state_dir = opts.state_dir;
  auto loaded = config::load_graph(opts.graph_file, lo);
  print_issues(loaded, err);
  if (!loaded.ok()) {
    err << "intelflow: refusing to start: " << opts.graph_file << " has errors (see above).\n";
    return 2;
  }

  // Signals are taken synchronously on this thread; block them everywhere.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  std::unique_ptr<graph::Pipeline> pipeline;
  try {
    pipeline = std::make_unique<graph::Pipeline>(
        *loaded.graph,
        graph::PipelineOptions{.drain = opts.drain, .sink = {}, .serial = false, .durable = true});
  } catch (const std::exception& e) {
    err << "intelflow: " << e.what() << "\n";
    return 2;
  }
  auto started = std::chrono::steady_clock::now();
  pipeline->start();
  report_recovery(*pipeline, err);
  // Dump entries re-injected by `intelflow dump` (decision 0004).
  ReinjectWatcher reinject(dumptool::spool_dir_of(loaded.graph->engine.state_dir));
  reinject.attach(*pipeline, /*thread=*/!opts.drain);

  if (opts.drain) {
    pipeline->wait_drained();
    reinject.detach();
    pipeline->stop();
    if (opts.stats_json) write_stats_json(*pipeline, *opts.stats_json, err);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!opts.quiet) {
      out << fmt::format("intelflow: drained {} in {:.3f} s\n", opts.graph_file, secs);
      print_summary(*pipeline, out);
      out << "dumps and logs: " << loaded.graph->engine.log_dir << "\n";
    }
    return 0;
  }

  sd_notify(0, "READY=1");
  std::uint64_t watchdog_usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  timespec tick{};
  tick.tv_sec = 1;
  if (watchdog) {
    auto half = watchdog_usec / 2;
    tick.tv_sec = static_cast<time_t>(half / 1000000);
    tick.tv_nsec = static_cast<long>((half % 1000000) * 1000);
  }
  while (true) {
    siginfo_t info{};
    int sig = sigtimedwait(&set, &info, &tick);
    if (watchdog) sd_notify(0, "WATCHDOG=1");
    if (sig < 0) continue;  // timeout / EINTR
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("Received {}: stopping collectors and draining.",
                   sig == SIGTERM ? "SIGTERM" : "SIGINT");
      sd_notify(0, "STOPPING=1");
      reinject.detach();
      pipeline->stop();
      if (opts.stats_json) write_stats_json(*pipeline, *opts.stats_json, err);
      return 0;
    }
    if (sig == SIGHUP) {
      sd_notify(0, "RELOADING=1");
      auto fresh = config::load_graph(opts.graph_file, lo);
      if (!fresh.ok()) {
        print_issues(fresh, err);
        spdlog::error("Reload refused: {} has errors; the running graph continues.",
                      opts.graph_file);
        sd_notify(0, "READY=1");
        continue;
      }
      spdlog::info("Reloading {}: draining the running graph.", opts.graph_file);
      reinject.detach();
      pipeline->stop();
      pipeline.reset();
      try {
        pipeline = std::make_unique<graph::Pipeline>(
            *fresh.graph,
            graph::PipelineOptions{.drain = false, .sink = {}, .serial = false, .durable = true});
      } catch (const std::exception& e) {
        spdlog::error("Reload failed: {}; restarting the previous graph.", e.what());
        pipeline = std::make_unique<graph::Pipeline>(
            *loaded.graph,
            graph::PipelineOptions{.drain = false, .sink = {}, .serial = false, .durable = true});
        pipeline->start();
        reinject.attach(*pipeline);
        sd_notify(0, "READY=1");
        continue;
      }
      loaded = std::move(fresh);
      pipeline->start();
      report_recovery(*pipeline, err);
      reinject.attach(*pipeline);
      spdlog::info("Reload done.");
      sd_notify(0, "READY=1");
    }
  }
}

}  // namespace intelflow::runtime
