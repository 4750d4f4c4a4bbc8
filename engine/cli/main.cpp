// SPDX-License-Identifier: AGPL-3.0-or-later
// intelflow: the command line (run, check, bots).

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "benchmarks/harness/bench.hpp"
#include "engine/cli/bots_doc.hpp"
#include "engine/dumptool/dumptool.hpp"
#include "engine/runtime/daemon.hpp"

namespace {

int usage(std::ostream& os, int rc) {
  os << "usage: intelflow <command> [options]\n"
        "\n"
        "commands:\n"
        "  run GRAPH [--drain] [--state-dir DIR] [--stats-json FILE] [--quiet]\n"
        "                      run the pipeline of GRAPH (IntelMQ runtime.yaml or native graph "
        "file)\n"
        "                      until SIGTERM; SIGHUP reloads GRAPH. --drain: collectors do one "
        "round,\n"
        "                      the graph drains, a per-bot summary is printed, exit.\n"
        "                      --stats-json: write counters and timings as JSON after the stop.\n"
        "  check GRAPH [--quiet]\n"
        "                      validate GRAPH without running it; exit status 1 on any error\n"
        "  dump [GRAPH | --state-dir DIR] [BOT [show|delete|edit|reinject] [IDS...]]\n"
        "                      inspect, edit, delete and re-inject dumped messages (see\n"
        "                      'intelflow dump --help')\n"
        "  bots [--markdown DIR]\n"
        "                      list the compiled-in bots, or write one documentation page per "
        "bot\n"
        "  bench [--all] [--lines N] [--repeats R] [--json FILE] [--rate EV_PER_S] ...\n"
        "                      end-to-end benchmark beside the plain baseline (see\n"
        "                      'intelflow bench --help', docs/performance.md)\n";
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help")
    return usage(std::cout, args.empty() ? 2 : 0);
  const std::string cmd = args[0];
  if (cmd == "run") {
    intelflow::runtime::RunOptions o;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--drain")
        o.drain = true;
      else if (args[i] == "--quiet")
        o.quiet = true;
      else if (args[i] == "--state-dir" && i + 1 < args.size())
        o.state_dir = args[++i];
      else if (args[i] == "--stats-json" && i + 1 < args.size())
        o.stats_json = args[++i];
      else if (args[i].rfind("--", 0) == 0)
        return usage(std::cerr, 2);
      else if (o.graph_file.empty())
        o.graph_file = args[i];
      else
        return usage(std::cerr, 2);
    }
    if (o.graph_file.empty()) return usage(std::cerr, 2);
    return intelflow::runtime::run_daemon(o, std::cout, std::cerr);
  }
  if (cmd == "check") {
    std::string file;
    bool quiet = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "--quiet" || args[i] == "-q")
        quiet = true;
      else if (file.empty())
        file = args[i];
      else
        return usage(std::cerr, 2);
    }
    if (file.empty()) return usage(std::cerr, 2);
    return intelflow::runtime::check_graph(file, std::cout, quiet);
  }
  if (cmd == "dump")
    return intelflow::dumptool::run(std::vector<std::string>(args.begin() + 1, args.end()),
                                    std::cout, std::cerr);
  if (cmd == "bench")
    return intelflow::bench::run(std::vector<std::string>(args.begin() + 1, args.end()), std::cout,
                                 std::cerr);
  if (cmd == "bots") {
    if (args.size() == 3 && args[1] == "--markdown")
      return intelflow::cli::write_bot_docs(args[2], std::cout);
    if (args.size() == 1) return intelflow::cli::list_bots(std::cout);
    return usage(std::cerr, 2);
  }
  return usage(std::cerr, 2);
}
