// SPDX-License-Identifier: AGPL-3.0-or-later
// intelflow-conformance: runs the recorded reference behaviour (harmonization
// vectors, message scenarios, bot cases) against intelflow and reports diffs.
//
//   intelflow-conformance [--dir DIR] [--json REPORT] [--filter GLOB]... [--verbose]
//                         [--harmonization-vectors FILE] [--message-vectors FILE]
//
// Exit status: 0 when nothing failed, 1 when something failed, 2 on usage or I/O errors.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "tests/conformance/suite.hpp"

namespace {

using intelflow::conformance::Options;

constexpr const char* kUsage =
    "usage: intelflow-conformance [--dir DIR] [--json REPORT] [--filter GLOB]... [--verbose]\n"
    "                             [--harmonization-vectors FILE] [--message-vectors FILE]\n"
    "  --dir DIR       conformance folder (default: $INTELFLOW_CONFORMANCE_DIR, else\n"
    "                  ../shared/conformance); runs harmonization_vectors.json,\n"
    "                  message_vectors.json and cases/ where present\n"
    "  --json REPORT   write every result, the counts and skipped_modules as JSON\n"
    "  --filter GLOB   select by id (IPAddress/*, from_fuzzy/*, scenario/01*), scenario\n"
    "                  name, or bot module; may be repeated (any match selects)\n"
    "  --verbose       print passes, skips, every diff of a failure and per-group counts\n"
    "  --harmonization-vectors FILE, --message-vectors FILE\n"
    "                  run these vector files instead of the ones in DIR (the runner's\n"
    "                  own fixtures use them)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace intelflow::conformance;
  Options opts;
  std::string json_path;
  bool have_dir = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      auto eq = a.find('=');
      if (eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= argc) {
        std::cerr << "intelflow-conformance: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    auto is = [&](const char* name) {
      return a == name || a.rfind(std::string(name) + "=", 0) == 0;
    };
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (is("--dir")) {
      opts.dir = value("--dir");
      have_dir = true;
    } else if (is("--json")) {
      json_path = value("--json");
    } else if (is("--filter")) {
      opts.filters.push_back(value("--filter"));
    } else if (is("--harmonization-vectors")) {
      opts.harmonization_vectors = value("--harmonization-vectors");
    } else if (is("--message-vectors")) {
      opts.message_vectors = value("--message-vectors");
    } else if (a == "--verbose" || a == "-v") {
      opts.verbose = true;
    } else {
      std::cerr << "intelflow-conformance: unknown argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (!have_dir) {
    const char* env = std::getenv("INTELFLOW_CONFORMANCE_DIR");
    opts.dir = (env && *env) ? env : "../shared/conformance";
  }
  if (!std::filesystem::is_directory(opts.dir)) {
    std::cerr << "intelflow-conformance: no such directory: " << opts.dir.string() << "\n";
    return 2;
  }

  for (const auto& f : {opts.harmonization_vectors, opts.message_vectors}) {
    if (!f.empty() && !std::filesystem::is_regular_file(f)) {
      std::cerr << "intelflow-conformance: no such vector file: " << f.string() << "\n";
      return 2;
    }
  }

  std::vector<std::unique_ptr<Suite>> suites;
  suites.push_back(make_harmonization_suite());
  suites.push_back(make_message_suite());
  suites.push_back(make_bot_case_suite(make_engine_bot_registry()));

  install_crash_reporter();
  Report report(opts);
  bool any = false;
  int status = 0;
  for (auto& s : suites) {
    if (!s->present(opts)) continue;
    any = true;
    try {
      s->run(opts, report);
    } catch (const std::exception& ex) {  // unreadable vector file: cannot trust the counts
      std::cerr << "intelflow-conformance: suite " << s->name() << ": " << ex.what() << "\n";
      status = 2;
    }
  }
  if (!any) {
    std::cerr << "intelflow-conformance: nothing to run in " << opts.dir.string()
              << " (no harmonization_vectors.json, message_vectors.json or cases/)\n";
    status = 2;
  }

  if (opts.verbose) std::cout << "per group:\n" << report.group_table();
  std::cout << report.summary_line() << std::endl;

  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << report.to_json().dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    if (!out) {
      std::cerr << "intelflow-conformance: cannot write " << json_path << "\n";
      status = 2;
    }
  }
  if (status) return status;
  return report.failed() == 0 ? 0 : 1;
}
