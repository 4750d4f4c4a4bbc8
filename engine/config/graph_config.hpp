// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The pipeline model: bots, their resolved parameters, edges, and the engine
/// settings, loaded from an IntelMQ 3.x runtime.yaml (as is) or our native YAML
/// graph file (the same model plus an optional `engine:` section). Loading
/// collects every problem with file:line:column and refuses the graph if any
/// is an error. Immutable once loaded.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/api/params.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::config {

struct SourceLoc {
  std::string file;
  int line = 0;    ///< 1-based; 0 = unknown
  int column = 0;  ///< 1-based
};

/// One problem found in a graph file.
struct ConfigIssue {
  enum class Level : std::uint8_t { Error, Warning };
  Level level = Level::Error;
  SourceLoc loc;
  std::string bot_id;  ///< empty if not about one bot
  std::string param;   ///< empty if not about one parameter
  std::string reason;
  /// "graph.yaml:42:7: error: bot 'csv-parser': parameter 'columns': expected a list of strings"
  std::string format() const;
};

/// One bot of the graph.
struct BotConfig {
  std::string id;
  std::string module;                  ///< as written in the file
  const api::BotInfo* info = nullptr;  ///< the compiled-in bot
  std::string name, description, group;
  bool enabled = true;
  std::string run_mode = "continuous";  ///< or "scheduled"
  api::Params params;        ///< fully resolved (core.md §3.2), declared defaults applied
  std::string source_queue;  ///< `<id>-queue` unless set
  /// path -> queues, in file order (`_default`, `_on_error`, named paths).
  std::vector<std::pair<std::string, std::vector<std::string>>> destinations;
  SourceLoc loc;                                ///< where the bot's key is
  std::map<std::string, SourceLoc> param_locs;  ///< where each parameter is
};

enum class FsyncPolicy : std::uint8_t { Always, Interval, Never };

/// The optional `engine:` section (all keys optional).
struct EngineConfig {
  int threads = 0;               ///< worker threads; 0 = all cores
  std::size_t batch_size = 128;  ///< messages per batch on edges
  /// Back-pressure bounds: ingress messages (collector reports, injected
  /// messages) inside the graph at once, with everything derived from them,
  /// and their size in the WAL's encoding (a report's events take memory in
  /// proportion to its size). One message is always admitted when the graph
  /// is empty, however large.
  std::size_t max_in_flight = 256;
  std::uint64_t max_in_flight_bytes = 3ull << 20;
  std::string state_dir;  ///< default /var/lib/intelflow (or --state-dir)
  std::string wal_dir;    ///< default <state_dir>/wal
  FsyncPolicy fsync = FsyncPolicy::Always;
  int fsync_interval_ms = 50;
  std::uint64_t wal_max_bytes = 1ull << 30;  ///< backlog bound on disk before collectors block
  std::string log_dir;                       ///< default <state_dir>/log (dumps go there too)
  bool log_to_files = false;                 ///< per-bot log files in log_dir besides stderr
  std::string control_socket;  ///< HTTP control API address (unix path or host:port); empty = off
  std::string harmonization;   ///< harmonization.conf path; empty = shipped default
};

/// An edge: messages `from` sends on `path` go to `to` (via queue `queue`).
struct Edge {
  std::size_t from;
  std::string path;
  std::string queue;
  std::size_t to;
};

struct GraphConfig {
  std::string file;
  EngineConfig engine;
  std::vector<BotConfig> bots;  ///< in file order
  std::vector<Edge> edges;
  const BotConfig* find(std::string_view id) const noexcept;
};

struct LoadOptions {
  std::optional<std::string> state_dir;  ///< --state-dir: overrides the file
  bool include_disabled = true;          ///< disabled bots are loaded but not run
  /// Destination queues that no bot of the file reads are accepted (they go to
  /// PipelineOptions::sink). Off: such a queue is an error.
  bool allow_external_queues = false;
  /// `INTELMQ_<NAME>` variables applied last to every bot that declares
  /// `<name>` (core.md §3.2), as (variable, value). Unset: the process environment.
  std::optional<std::vector<std::pair<std::string, std::string>>> environment;
};

struct LoadResult {
  std::optional<GraphConfig> graph;  ///< set when there is no error
  std::vector<ConfigIssue> issues;   ///< errors and warnings, in file order
  bool ok() const noexcept { return graph.has_value(); }
};

/// Loads and validates a graph file. Never throws for problems in the file.
LoadResult load_graph(const std::string& path, const LoadOptions& opts = {});
/// The same from text (tests).
LoadResult load_graph_text(const std::string& text, const std::string& file_name,
                           const LoadOptions& opts = {});

}  // namespace intelflow::config
