// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The daemon lifecycle around a Pipeline: load the graph, start, sd_notify
/// READY, wait for signals (SIGTERM/SIGINT: stop and drain; SIGHUP: reload the
/// graph file — a file with errors is refused and the old graph keeps
/// running), WATCHDOG pings, STOPPING. Runs on the main thread.

#include <iosfwd>
#include <optional>
#include <string>

namespace intelflow::runtime {

struct RunOptions {
  std::string graph_file;
  std::optional<std::string> state_dir;
  bool drain = false;  ///< one collector round, drain, print a summary, exit
  bool quiet = false;
  /// After the pipeline stopped (drain done or SIGTERM), write per-bot counts
  /// and timing measurements as JSON to this file (`intelflow bench`).
  std::optional<std::string> stats_json;
};

/// Returns the process exit status.
int run_daemon(const RunOptions& opts, std::ostream& out, std::ostream& err);

/// `intelflow check`: prints every issue; returns 0 if there is no error.
int check_graph(const std::string& graph_file, std::ostream& out, bool quiet);

}  // namespace intelflow::runtime
