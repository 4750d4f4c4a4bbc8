// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The conformance runner's plumbing: options, the result collector, and the
/// Suite interface every kind of conformance data (harmonization vectors,
/// message scenarios, bot cases) implements.

#include <array>
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace intelflow::conformance {

/// JSON with insertion-ordered objects (key order of the vector files matters for inputs).
using Json = nlohmann::ordered_json;

/// Command-line options shared by all suites.
struct Options {
  std::filesystem::path dir;
  std::vector<std::string> filters;  ///< fnmatch globs; empty = everything
  bool verbose = false;
  /// Vector files named on the command line; empty = the standard names in `dir`.
  std::filesystem::path harmonization_vectors, message_vectors;

  /// The harmonization / message vector file to run (it may not exist).
  std::filesystem::path harmonization_vectors_file() const {
    return harmonization_vectors.empty() ? dir / "harmonization_vectors.json"
                                         : harmonization_vectors;
  }
  std::filesystem::path message_vectors_file() const {
    return message_vectors.empty() ? dir / "message_vectors.json" : message_vectors;
  }

  /// Whether an item is selected: no filter, or any filter matches one of the names.
  bool selected(std::string_view id, std::string_view alt = {}) const;
};

/// The order matters: Report::group_counts indexes by it.
enum class Status { Passed, Failed, Skipped };
std::string_view status_name(Status s) noexcept;

/// The outcome of one vector, scenario or bot case.
struct Result {
  std::string id;
  std::string suite;
  Status status = Status::Passed;
  std::vector<std::string> diffs;  ///< field-level differences (failures)
  std::string reason;              ///< why it was skipped
  std::string module;              ///< bot module (bot cases only)
  std::string context;             ///< what was run (input, format, ...), for failures
};

/// Collects results, prints one line per failure as it happens, and writes
/// the summary line and the JSON report.
class Report {
 public:
  explicit Report(const Options& opts) : opts_(opts) {}

  void pass(std::string id, std::string_view suite);
  void fail(std::string id, std::string_view suite, std::vector<std::string> diffs,
            std::string context = {});
  void skip(std::string id, std::string_view suite, std::string reason, std::string module = {});
  /// Records a result whose status is already decided (pass if no diffs).
  void add(std::string id, std::string_view suite, std::vector<std::string> diffs,
           std::string context = {}) {
    if (diffs.empty())
      pass(std::move(id), suite);
    else
      fail(std::move(id), suite, std::move(diffs), std::move(context));
  }

  std::size_t passed() const noexcept { return passed_; }
  std::size_t failed() const noexcept { return failed_; }
  std::size_t skipped() const noexcept { return skipped_; }
  std::size_t total() const noexcept { return results_.size(); }

  /// "conformance: P passed, F failed, S skipped of N"
  std::string summary_line() const;
  /// Per id prefix (type, helper, "scenario", bot group): passed / failed / skipped.
  std::map<std::string, std::array<std::size_t, 3>> group_counts() const;
  /// group_counts() as indented text lines.
  std::string group_table() const;
  /// Every result plus counts, per-group counts and skipped_modules, as JSON.
  Json to_json() const;

 private:
  const Options& opts_;
  std::vector<Result> results_;
  std::size_t passed_ = 0, failed_ = 0, skipped_ = 0;
  /// module → number of skipped cases (bot modules not implemented yet)
  std::map<std::string, std::size_t> skipped_modules_;
};

/// Remembers which item is running, so a crash (SIGSEGV, SIGABRT, ...) in the code
/// under test is reported with the item's id before the process dies.
void set_current_item(std::string_view id) noexcept;
void install_crash_reporter();

/// One kind of conformance data found in DIR.
class Suite {
 public:
  virtual ~Suite() = default;
  virtual std::string_view name() const noexcept = 0;
  /// Whether DIR holds this suite's data (absent parts are simply not run).
  virtual bool present(const Options& opts) const = 0;
  /// Runs every selected item and records the results.
  virtual void run(const Options& opts, Report& report) = 0;
};

/// Which bot modules the port implements, and how one case of such a bot runs.
/// The bot-case suite asks `has(module)`: false → the case is skipped and its
/// module listed in `skipped_modules`; true → `run_case` decides pass/fail.
class BotRegistry {
 public:
  virtual ~BotRegistry() = default;
  virtual bool has(std::string_view module) const = 0;
  /// Runs one case (the parsed case file); returns the differences (empty = pass).
  virtual std::vector<std::string> run_case(const Json& bot_case, const Options& opts) const = 0;
};

/// A registry that has no bot (every case skipped): runner tests.
std::unique_ptr<BotRegistry> make_empty_bot_registry();
/// The compiled-in bots (api::Registry), each case run through a one-bot
/// graph::Pipeline (bot_runner.cpp).
std::unique_ptr<BotRegistry> make_engine_bot_registry();

std::unique_ptr<Suite> make_harmonization_suite();
std::unique_ptr<Suite> make_message_suite();
std::unique_ptr<Suite> make_bot_case_suite(std::shared_ptr<const BotRegistry> registry);

}  // namespace intelflow::conformance
