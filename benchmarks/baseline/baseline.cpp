// SPDX-License-Identifier: AGPL-3.0-or-later
// bench_baseline: the plain single-threaded baseline of `intelflow bench`.
//
// usage: bench_baseline GRAPH [--state-dir DIR] [--stats-json FILE]
//
// Loads the same graph file as the engine run (runtime.yaml of the benchmark
// pipeline), creates the same bots through the registry with the same
// resolved parameters, and runs one collector round with every message handed
// straight on: the collector's send() calls the parser's process(), whose
// send() calls the next expert's process(), and so on down to the output
// (flushed after each report). No engine, no WAL, no threads, no queues,
// no batches. The figures it writes (JSON) cover the collector round only
// (reading the feed to the last output write), not start-up.

#include <sys/resource.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/api/bot.hpp"
#include "engine/api/errors.hpp"
#include "engine/api/parser.hpp"
#include "engine/config/graph_config.hpp"
#include "engine/graph/pipeline.hpp"

namespace {

using namespace intelflow;
using api::Message;

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double cpu_s() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

class Inline;

/// The emitter of one bot: sends go straight into the next bots' process().
class InlineEmitter final : public api::Emitter {
 public:
  InlineEmitter(Inline& g, std::size_t node) : g_(g), node_(node) {}
  void send(Message&& msg, std::string_view path, bool path_permissive) override;
  void dump(Message&& msg, std::string_view error) override;
  void drop(std::string_view reason) override;
  bool has_path(std::string_view path) const override;

 private:
  Inline& g_;
  std::size_t node_;
};

/// One bot with its context, routes and counters.
struct Node {
  const config::BotConfig* cfg = nullptr;
  std::unique_ptr<api::BotContext> ctx;
  std::unique_ptr<api::Bot> bot;
  api::CollectorBot* collector = nullptr;
  api::ParserBot* parser = nullptr;
  api::ExpertBot* expert = nullptr;
  api::OutputBot* output = nullptr;
  std::vector<std::pair<std::string, std::vector<std::size_t>>> routes;
  std::unique_ptr<InlineEmitter> em;
  std::uint64_t received = 0, sent = 0, dropped = 0, dumped = 0, errors = 0;
};

/// The whole graph run inline.
class Inline {
 public:
  std::vector<Node> nodes;

  void deliver(std::size_t t, Message&& m) {
    Node& n = nodes[t];
    ++n.received;
    try {
      if (n.parser)
        n.parser->process(m, *n.em);
      else if (n.expert)
        n.expert->process(m, *n.em);
      else if (n.output)
        n.output->process(m);
    } catch (const std::exception& e) {
      ++n.errors;
      ++n.dumped;
      n.ctx->log->error("Bot has found a problem: {}", e.what());
    }
  }
  void flush_outputs() {
    for (auto& n : nodes)
      if (n.output) n.output->flush();
  }
};

void InlineEmitter::send(Message&& msg, std::string_view path, bool path_permissive) {
  Node& n = g_.nodes[node_];
  const std::vector<std::size_t>* targets = nullptr;
  for (const auto& [p, t] : n.routes)
    if (p == path) targets = &t;
  if (targets == nullptr) {
    if (path_permissive) return;
    throw api::PipelineError("path '" + std::string(path) + "' is not configured");
  }
  ++n.sent;
  for (std::size_t i = 0; i + 1 < targets->size(); ++i) g_.deliver((*targets)[i], Message(msg));
  if (!targets->empty()) g_.deliver(targets->back(), std::move(msg));
  if (n.collector) g_.flush_outputs();  // one report done, as the engine flushes per batch
}

void InlineEmitter::dump(Message&&, std::string_view) {
  ++g_.nodes[node_].dumped;
}
void InlineEmitter::drop(std::string_view) {
  ++g_.nodes[node_].dropped;
}
bool InlineEmitter::has_path(std::string_view path) const {
  for (const auto& [p, t] : g_.nodes[node_].routes)
    if (p == path) return true;
  return false;
}

int usage() {
  std::cerr << "usage: bench_baseline GRAPH [--state-dir DIR] [--stats-json FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string graph_file, stats_json;
  config::LoadOptions lo;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--state-dir" && i + 1 < argc)
      lo.state_dir = argv[++i];
    else if (a == "--stats-json" && i + 1 < argc)
      stats_json = argv[++i];
    else if (a.rfind("--", 0) == 0 || !graph_file.empty())
      return usage();
    else
      graph_file = a;
  }
  if (graph_file.empty()) return usage();
  auto loaded = config::load_graph(graph_file, lo);
  for (const auto& issue : loaded.issues) std::cerr << issue.format() << "\n";
  if (!loaded.ok()) return 2;
  const config::GraphConfig& g = *loaded.graph;
  namespace fs = std::filesystem;

  Inline run;
  run.nodes.resize(g.bots.size());
  try {
    auto harm = g.engine.harmonization.empty()
                    ? harm::Harmonization::default_instance()
                    : harm::Harmonization::from_file(g.engine.harmonization);
    for (std::size_t i = 0; i < g.bots.size(); ++i) {
      const auto& cfg = g.bots[i];
      Node& n = run.nodes[i];
      n.cfg = &cfg;
      n.em = std::make_unique<InlineEmitter>(run, i);
      for (const auto& [path, queues] : cfg.destinations)
        n.routes.emplace_back(path, std::vector<std::size_t>{});
      if (!cfg.enabled) continue;
      n.ctx = std::make_unique<api::BotContext>();
      n.ctx->bot_id = cfg.id;
      n.ctx->module = cfg.info->module;
      n.ctx->params = cfg.params;
      n.ctx->log = graph::bot_logger(cfg.id, g.engine.log_dir, false);
      n.ctx->harmonization = harm;
      n.ctx->state_dir = g.engine.state_dir + "/bots/" + cfg.id;
      fs::create_directories(n.ctx->state_dir);
      n.bot = cfg.info->factory();
      n.collector = dynamic_cast<api::CollectorBot*>(n.bot.get());
      n.parser = dynamic_cast<api::ParserBot*>(n.bot.get());
      n.expert = dynamic_cast<api::ExpertBot*>(n.bot.get());
      n.output = dynamic_cast<api::OutputBot*>(n.bot.get());
      n.bot->init(*n.ctx);
    }
    for (const auto& e : g.edges)
      for (auto& [path, targets] : run.nodes[e.from].routes)
        if (path == e.path) targets.push_back(e.to);
  } catch (const std::exception& e) {
    std::cerr << "bench_baseline: " << e.what() << "\n";
    return 2;
  }

  // The timed part: one round of every collector, everything handed on inline.
  const double cpu0 = cpu_s();
  const std::int64_t t0 = realtime_ns();
  for (auto& n : run.nodes) {
    if (!n.collector) continue;
    try {
      n.collector->collect(*n.em);
    } catch (const std::exception& e) {
      ++n.errors;
      std::cerr << "bench_baseline: " << n.cfg->id << ": " << e.what() << "\n";
    }
  }
  run.flush_outputs();
  const std::int64_t t1 = realtime_ns();
  const double cpu1 = cpu_s();

  std::uint64_t events_out = 0;
  for (auto& n : run.nodes) {
    if (n.output) events_out += n.received;
    if (n.bot) n.bot->shutdown();
  }
  std::string s = fmt::format(
      "{{\"start_unix_ns\": {}, \"end_unix_ns\": {}, \"cpu_s\": {:.6f}, \"events_out\": {}, "
      "\"in_flight\": 0,\n \"bots\": [",
      t0, t1, cpu1 - cpu0, events_out);
  const char* sep = "";
  for (const auto& n : run.nodes) {
    s += fmt::format(
        "{}\n  {{\"id\": \"{}\", \"received\": {}, \"sent\": {}, \"dropped\": {}, "
        "\"dumped\": {}, \"errors\": {}}}",
        sep, n.cfg->id, n.received, n.sent, n.dropped, n.dumped, n.errors);
    sep = ",";
  }
  s += "]}\n";
  if (!stats_json.empty()) {
    std::ofstream f(stats_json, std::ios::trunc);
    f << s;
  }
  std::cout << fmt::format(
      "bench_baseline: {} events in {:.3f} s ({:.0f} events/s), cpu {:.3f} s\n", events_out,
      static_cast<double>(t1 - t0) / 1e9,
      static_cast<double>(events_out) * 1e9 / static_cast<double>(t1 - t0), cpu1 - cpu0);
  return 0;
}
