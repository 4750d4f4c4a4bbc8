// SPDX-License-Identifier: AGPL-3.0-or-later
// Suite "bots": the recorded bot cases under DIR/cases/. Every case is read and
// grouped by bot_module; a case runs only if the BotRegistry has its module
// (bot_runner.cpp runs it), otherwise it is skipped and its module listed.
#include <algorithm>
#include <fstream>
#include <map>

#include "tests/conformance/suite.hpp"

namespace intelflow::conformance {

namespace {

constexpr std::string_view kSuite = "bots";

/// Has no bot: every module is reported as skipped.
class EmptyBotRegistry final : public BotRegistry {
 public:
  bool has(std::string_view) const override { return false; }
  std::vector<std::string> run_case(const Json&, const Options&) const override {
    return {"no bot registered"};
  }
};

/// One discovered case file.
struct CaseFile {
  std::filesystem::path path;
  std::string id;
  std::string module;
  Json data;
  std::string error;  ///< set when the file could not be read
};

class BotCaseSuite final : public Suite {
 public:
  explicit BotCaseSuite(std::shared_ptr<const BotRegistry> registry)
      : registry_(std::move(registry)) {}

  std::string_view name() const noexcept override { return kSuite; }
  bool present(const Options& opts) const override {
    return std::filesystem::is_directory(opts.dir / "cases");
  }

  void run(const Options& opts, Report& report) override {
    // Discovery: every case, grouped by module (deterministic order: module, then id).
    std::map<std::string, std::vector<CaseFile>> by_module;
    const auto root = opts.dir / "cases";
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    for (auto& path : files) {
      CaseFile c;
      c.path = path;
      c.id = std::filesystem::relative(path, root).replace_extension().generic_string();
      try {
        std::ifstream in(path);
        c.data = Json::parse(in);
        if (c.data.contains("id") && c.data["id"].is_string())
          c.id = c.data["id"].get<std::string>();
        c.module = c.data.value("bot_module", "");
        if (c.module.empty()) c.error = "case has no bot_module";
      } catch (const std::exception& ex) {
        c.error = std::string("cannot read case file: ") + ex.what();
      }
      by_module[c.module].push_back(std::move(c));
    }

    for (auto& [module, cases] : by_module) {
      const bool implemented = !module.empty() && registry_->has(module);
      for (auto& c : cases) {
        if (!opts.selected(c.id, module)) continue;
        set_current_item(c.id);
        if (!c.error.empty()) {
          report.fail(c.id, kSuite, {c.error}, c.path.string());
        } else if (!implemented) {
          report.skip(c.id, kSuite, "bot not implemented: " + module, module);
        } else {
          std::vector<std::string> diffs;
          try {
            provide_shadowserver_schema(c.data, module, opts);
            diffs = registry_->run_case(c.data, opts);
          } catch (const std::exception& ex) {
            diffs.push_back(std::string("runner: ") + ex.what());
          }
          report.add(c.id, kSuite, std::move(diffs), module);
        }
      }
    }
  }

 private:
  /// The README: "The Shadowserver parser cases use the test schema in
  /// files/bots/parsers/shadowserver/schema.json.test as their report schema."
  /// The parser takes it through its `schema_file` parameter (unless the case
  /// sets one), in every run of the case.
  static void provide_shadowserver_schema(Json& data, const std::string& module,
                                          const Options& opts) {
    if (module != "intelmq.bots.parsers.shadowserver.parser" &&
        module != "parsers.shadowserver.parser")
      return;
    const std::string schema =
        (opts.dir / "files/bots/parsers/shadowserver/schema.json.test").generic_string();
    auto give = [&](Json& run) {
      if (!run.is_object()) return;
      Json& params = run["parameters"];
      if (params.is_null()) params = Json::object();
      if (params.is_object() && !params.contains("schema_file")) params["schema_file"] = schema;
    };
    give(data);
    if (data.contains("followup_runs") && data["followup_runs"].is_array())
      for (auto& r : data["followup_runs"]) give(r);
  }

  std::shared_ptr<const BotRegistry> registry_;
};

}  // namespace

std::unique_ptr<BotRegistry> make_empty_bot_registry() {
  return std::make_unique<EmptyBotRegistry>();
}

std::unique_ptr<Suite> make_bot_case_suite(std::shared_ptr<const BotRegistry> registry) {
  return std::make_unique<BotCaseSuite>(std::move(registry));
}

}  // namespace intelflow::conformance
