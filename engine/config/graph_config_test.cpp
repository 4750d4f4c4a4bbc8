// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/config/graph_config.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "engine/config/yaml_value.hpp"

namespace intelflow::config {
namespace {

using api::ParamSpec;
using api::ParamType;
using harm::Value;

// ---------------------------------------------------------------------------
// Test bots: small fakes with a few declared parameters of each type, so these
// tests do not depend on the real bots.

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.collector",
    .aliases = {},
    .group = api::BotGroup::Collector,
    .description = "Test collector.",
    .params = {{"path", ParamType::String, "null", true, "Directory."},
               {"postfix", ParamType::String, "\"\"", false, "File suffix."},
               {"delete_file", ParamType::Bool, "false", false, "Delete read files."},
               {"chunk_size", ParamType::Int, "null", false, "Chunk size."},
               {"chunk_replicate_header", ParamType::Bool, "true", false, "Repeat header."}},
    .concurrent = false,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Test parser.",
    .params = {{"columns", ParamType::StringOrList, "null", true, "Columns."},
               {"delimiter", ParamType::String, "\",\"", false, "Delimiter."},
               {"skip_header", ParamType::Bool, "false", false, "Skip the first line."},
               {"time_format", ParamType::String, "null", false, "Time format."},
               {"type_translation", ParamType::Any, "{}", false, "Type mapping."}},
    .concurrent = true,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.expert",
    .aliases = {"test.fake.expert-alias"},
    .group = api::BotGroup::Expert,
    .description = "Test expert with one parameter of each type.",
    .params = {{"overwrite", ParamType::Bool, "false", false, "Overwrite."},
               {"ratio", ParamType::Float, "1.5", false, "A number."},
               {"count", ParamType::Int, "3", false, "An integer."},
               {"label", ParamType::String, "\"none\"", false, "A string."},
               {"tags", ParamType::StringList, "[]", false, "Strings."},
               {"mapping", ParamType::Dict, "{}", false, "A mapping."},
               {"items", ParamType::List, "[]", false, "A list."},
               {"strict", ParamType::Bool, "true", false, "Not nullable.", false}},
    .concurrent = true,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.dedup",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Test deduplicator.",
    .params = {{"filter_keys", ParamType::StringOrList, "null", false, "Keys."},
               {"filter_type", ParamType::String, "\"blacklist\"", false, "Type."},
               {"bypass", ParamType::Bool, "false", false, "Bypass."},
               {"redis_cache_host", ParamType::String, "\"127.0.0.1\"", false, "Host."},
               {"redis_cache_port", ParamType::Int, "6379", false, "Port."},
               {"redis_cache_db", ParamType::Int, "6", false, "Database."},
               {"redis_cache_ttl", ParamType::Int, "86400", false, "TTL."}},
    .concurrent = false,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.modify",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Test modify expert.",
    .params = {{"configuration_path", ParamType::String, "null", true, "Rules."},
               {"case_sensitive", ParamType::Bool, "true", false, "Case."},
               {"overwrite", ParamType::Bool, "false", false, "Overwrite."}},
    .concurrent = true,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.fake.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Test output.",
    .params = {{"file", ParamType::String, "null", true, "Output file."}},
    .concurrent = false,
    .factory = [] { return std::unique_ptr<api::Bot>(); },
});

// ---------------------------------------------------------------------------
// Helpers

using Env = std::vector<std::pair<std::string, std::string>>;

/// Options with an empty environment (no INTELMQ_* from the test's process).
LoadOptions no_env() {
  LoadOptions o;
  o.environment = Env{};
  return o;
}

LoadResult load(const std::string& text, LoadOptions opts = {}) {
  if (!opts.environment) opts.environment.emplace();  // no INTELMQ_* from the test's process
  return load_graph_text(text, "g.yaml", opts);
}

std::string dump(const LoadResult& r) {
  std::string s;
  for (const auto& i : r.issues) s += i.format() + "\n";
  return s;
}

std::size_t count(const LoadResult& r, ConfigIssue::Level level) {
  std::size_t n = 0;
  for (const auto& i : r.issues) n += i.level == level ? 1 : 0;
  return n;
}
std::size_t errors(const LoadResult& r) {
  return count(r, ConfigIssue::Level::Error);
}

/// The only issue whose formatted text contains `needle`.
const ConfigIssue& issue(const LoadResult& r, std::string_view needle) {
  const ConfigIssue* found = nullptr;
  for (const auto& i : r.issues) {
    if (i.format().find(needle) != std::string::npos) {
      INFO(dump(r));
      REQUIRE(found == nullptr);
      found = &i;
    }
  }
  INFO("looking for: " << needle << "\n" << dump(r));
  REQUIRE(found != nullptr);
  return *found;
}

bool has_issue(const LoadResult& r, std::string_view needle) {
  for (const auto& i : r.issues)
    if (i.format().find(needle) != std::string::npos) return true;
  return false;
}

const Value& param(const LoadResult& r, std::string_view bot, std::string_view key) {
  INFO(dump(r));
  REQUIRE(r.ok());
  const BotConfig* b = r.graph->find(bot);
  REQUIRE(b != nullptr);
  const Value* v = b->params.find(key);
  INFO("parameter " << key);
  REQUIRE(v != nullptr);
  return *v;
}

std::string testdata(const std::string& name) {
  const char* src = std::getenv("INTELFLOW_SOURCE_DIR");
  std::string root = src != nullptr ? src : INTELFLOW_SOURCE_DIR;
  return root + "/engine/config/testdata/" + name;
}

// A valid two-bot graph the error tests start from.
const char* const kExpertToOutput = R"(e1:
  module: test.fake.expert
  name: E
  description: d
  group: Expert
  parameters:
    destination_queues: {_default: [o1-queue]}
o1:
  module: test.fake.output
  name: O
  description: d
  group: Output
  parameters:
    file: /tmp/out
)";

// ---------------------------------------------------------------------------
// Loading a whole IntelMQ runtime.yaml

TEST_CASE("graph: an IntelMQ runtime.yaml like the bench pipeline loads without errors",
          "[config]") {
  auto r = load_graph(testdata("runtime_fake.yaml"), no_env());
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(r.issues.empty());
  const GraphConfig& g = *r.graph;
  REQUIRE(g.bots.size() == 5);
  CHECK(g.bots[0].id == "file-collector");
  CHECK(g.bots[0].info->module == "test.fake.collector");
  CHECK(g.bots[0].module == "intelmq.bots.test.fake.collector");
  CHECK(g.bots[0].group == "Collector");
  CHECK(g.bots[4].run_mode == "scheduled");
  // parameters.name wins over the bot-level name (collector quirk)
  CHECK(g.bots[0].name == "File");
  CHECK(g.bots[0].params.get_string("name") == "Bench Feed");
  CHECK(g.bots[0].params.get_int("accuracy") == 90);
  CHECK(g.bots[0].params.get_int("chunk_size") == 1048576);
  CHECK(g.bots[1].params.get_string_list("columns").size() == 6);
  CHECK(g.bots[1].params.find("time_format")->is_null());
  CHECK(g.bots[1].params.find("type_translation")->is_dict());
  CHECK(g.bots[2].params.get_string("filter_keys") == "raw,time.observation");
  // IntelMQ-only parameters are accepted and not passed on
  CHECK(g.bots[0].params.find("logging_handler") == nullptr);
  CHECK(g.bots[0].params.get_string("error_procedure") == "pass");
  // edges, in file order: collector -> parser -> dedup -> modify -> output (twice)
  REQUIRE(g.edges.size() == 5);
  CHECK(g.edges[0].from == 0);
  CHECK(g.edges[0].to == 1);
  CHECK(g.edges[0].queue == "csv-parser-queue");
  CHECK(g.edges[3].path == "_default");
  CHECK(g.edges[4].path == "_on_error");
  CHECK(g.edges[4].from == 3);
  CHECK(g.edges[4].to == 4);
  CHECK(g.bots[4].source_queue == "file-output-queue");
  CHECK(g.engine.state_dir == "/var/lib/intelflow");
  CHECK(g.engine.wal_dir == "/var/lib/intelflow/wal");
  CHECK(g.engine.log_dir == "/var/lib/intelflow/log");
  CHECK(g.bots[1].param_locs.at("delimiter").line == 44);
  CHECK(g.bots[1].param_locs.at("delimiter").column == 16);
}

TEST_CASE("graph: the bench pipeline with the real bots loads once they are compiled in",
          "[config]") {
  for (const char* m :
       {"collectors.file.collector_file", "parsers.generic.parser_csv", "experts.taxonomy.expert",
        "experts.url2fqdn.expert", "experts.deduplicator.expert", "experts.modify.expert",
        "outputs.file.output"}) {
    if (api::Registry::instance().find(m) == nullptr) {
      WARN("bot " << m << " is not compiled in yet: test not run");
      return;
    }
  }
  auto r = load_graph(testdata("runtime_real.yaml"), no_env());
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(errors(r) == 0);
  CHECK(r.graph->bots.size() == 7);
  CHECK(r.graph->edges.size() == 7);
}

TEST_CASE("graph: an unreadable file is one error naming the file", "[config]") {
  auto r = load_graph("/nonexistent/graph.yaml");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].format() ==
        "/nonexistent/graph.yaml: error: cannot read the file: No such file or directory");
}

// ---------------------------------------------------------------------------
// Parameter resolution (core.md §3.2)

const char* const kResolution = R"(global:
  ratio: 2.5
  label: from-global
  count: 10
  unrelated_global: 1
c1:
  module: test.fake.collector
  name: Feed From System Key
  description: d
  group: Collector
  parameters:
    path: /in
    destination_queues: [e1-queue]
e1:
  module: test.fake.expert
  name: E
  description: d
  group: Expert
  parameters:
    destination_queues: {_default: [o1-queue]}
    label: from-parameters
    count: 20
o1:
  module: test.fake.output
  name: O
  description: d
  group: Output
  parameters:
    file: /tmp/out
)";

TEST_CASE("graph: parameters resolve defaults, then global, then the bot's parameters",
          "[config]") {
  auto r = load(kResolution);
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(param(r, "e1", "overwrite") == Value::boolean(false));         // default
  CHECK(param(r, "e1", "ratio").as_float() == 2.5);                    // global
  CHECK(param(r, "e1", "label") == Value::string("from-parameters"));  // parameters
  CHECK(param(r, "e1", "count") == Value::integer(20));                // parameters
  CHECK(param(r, "e1", "tags").is_list());                             // default []
  CHECK(param(r, "e1", "error_max_retries") == Value::integer(3));     // common default
  CHECK(param(r, "o1", "file") == Value::string("/tmp/out"));
  // global keys a bot does not declare are not given to it
  CHECK(r.graph->find("o1")->params.find("ratio") == nullptr);
  // where each value came from
  const BotConfig* e1 = r.graph->find("e1");
  CHECK(e1->param_locs.at("ratio").line == 2);
  CHECK(e1->param_locs.at("label").line == 21);
  CHECK(e1->param_locs.count("overwrite") == 0);
  // a global key no bot declares is a warning
  CHECK(issue(r, "unrelated_global").format() ==
        "g.yaml:5:3: warning: parameter 'unrelated_global': global parameter is not used by any "
        "bot");
}

TEST_CASE("graph: a truthy bot-level name becomes a collector's `name` parameter", "[config]") {
  auto r = load(kResolution);
  CHECK(param(r, "c1", "name") == Value::string("Feed From System Key"));
  CHECK(r.graph->find("c1")->name == "Feed From System Key");
  // bots that do not declare `name` do not get it
  CHECK(r.graph->find("e1")->params.find("name") == nullptr);

  std::string text = kResolution;
  text.replace(text.find("name: Feed From System Key"), 26, "name: ''");
  auto empty = load(text);
  INFO(dump(empty));
  REQUIRE(empty.ok());
  CHECK(empty.graph->find("c1")->params.find("name")->is_null());
  CHECK(has_issue(empty, "bot 'c1': has no 'name'"));

  text = kResolution;
  text.replace(text.find("    path: /in"), 13, "    path: /in\n    name: Param Name");
  auto both = load(text);
  CHECK(param(both, "c1", "name") == Value::string("Param Name"));
}

TEST_CASE("graph: INTELMQ_<NAME> environment variables win over the file", "[config]") {
  LoadOptions o;
  o.environment =
      Env{{"INTELMQ_COUNT", "42"},     {"INTELMQ_OVERWRITE", "True"}, {"INTELMQ_LABEL", "env"},
          {"INTELMQ_STRICT", "False"}, {"INTELMQ_ROOT_DIR", "/x"},    {"PATH", "/bin"}};
  auto r = load(kResolution, o);
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(param(r, "e1", "count") == Value::integer(42));
  CHECK(param(r, "e1", "overwrite") == Value::boolean(true));
  CHECK(param(r, "e1", "strict") == Value::boolean(false));
  CHECK(param(r, "e1", "label") == Value::string("env"));
  CHECK(r.graph->find("e1")->param_locs.at("count").file == "$INTELMQ_COUNT");
  CHECK(r.graph->find("e1")->params.find("root_dir") == nullptr);

  // an environment value of the wrong type is reported against the variable
  o.environment = Env{{"INTELMQ_COUNT", "many"}};
  auto bad = load(kResolution, o);
  REQUIRE_FALSE(bad.ok());
  CHECK(issue(bad, "'count'").format() ==
        "$INTELMQ_COUNT: error: bot 'e1': parameter 'count': expected an integer, got a string");
}

TEST_CASE("graph: the process environment is read when no environment is given", "[config]") {
  ::setenv("INTELMQ_LABEL", "from-process", 1);
  auto r = load_graph_text(kResolution, "g.yaml");
  ::unsetenv("INTELMQ_LABEL");
  CHECK(param(r, "e1", "label") == Value::string("from-process"));
}

// ---------------------------------------------------------------------------
// Destinations, queues, edges (core.md §3.3)

TEST_CASE("graph: destination_queues accepts a mapping, a list and a string", "[config]") {
  auto r = load(R"(c1:
  module: test.fake.collector
  parameters:
    path: /in
    destination_queues: "e1-queue  e2-queue"
e1:
  module: test.fake.expert
  parameters:
    destination_queues: [o1-queue]
e2:
  module: test.fake.expert
  parameters:
    destination_queues:
      _default: o1-queue o2-queue
      _on_error: [dead-queue]
      suspicious: [o2-queue]
o1:
  module: test.fake.output
  parameters: {file: /a}
o2:
  module: test.fake.output
  parameters: {file: /b}
dead:
  module: test.fake.output
  parameters: {file: /c, source_queue: dead-queue}
)");
  INFO(dump(r));
  REQUIRE(r.ok());
  const GraphConfig& g = *r.graph;
  using Dest = std::vector<std::pair<std::string, std::vector<std::string>>>;
  CHECK(g.find("c1")->destinations == Dest{{"_default", {"e1-queue", "e2-queue"}}});
  CHECK(g.find("e1")->destinations == Dest{{"_default", {"o1-queue"}}});
  CHECK(g.find("e2")->destinations == Dest{{"_default", {"o1-queue", "o2-queue"}},
                                           {"_on_error", {"dead-queue"}},
                                           {"suspicious", {"o2-queue"}}});
  CHECK(g.find("dead")->source_queue == "dead-queue");
  CHECK(g.find("o1")->source_queue == "o1-queue");
  // the resolved parameter is the normalised mapping
  const Value* dq = g.find("c1")->params.find("destination_queues");
  REQUIRE(dq != nullptr);
  REQUIRE(dq->is_dict());
  CHECK(dq->as_dict()[0].first == "_default");
  CHECK(dq->as_dict()[0].second.as_list().size() == 2);

  std::vector<std::string> edges;
  for (const auto& e : g.edges)
    edges.push_back(g.bots[e.from].id + " -" + e.path + "-> " + g.bots[e.to].id + " via " +
                    e.queue);
  CHECK(edges == std::vector<std::string>{
                     "c1 -_default-> e1 via e1-queue", "c1 -_default-> e2 via e2-queue",
                     "e1 -_default-> o1 via o1-queue", "e2 -_default-> o1 via o1-queue",
                     "e2 -_default-> o2 via o2-queue", "e2 -_on_error-> dead via dead-queue",
                     "e2 -suspicious-> o2 via o2-queue"});
}

TEST_CASE("graph: a destination queue read by no bot is an error at the queue", "[config]") {
  std::string text = kExpertToOutput;
  text.replace(text.find("[o1-queue]"), 10, "[o1-queue, nowhere-queue]");
  auto r = load(text);
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "nowhere").format() ==
        "g.yaml:7:47: error: bot 'e1': parameter 'destination_queues': queue 'nowhere-queue' is "
        "read by no bot");
  CHECK(errors(r) == 1);

  // accepted when the caller routes unknown queues elsewhere
  auto ext = load(text, [] {
    LoadOptions o;
    o.allow_external_queues = true;
    return o;
  }());
  INFO(dump(ext));
  REQUIRE(ext.ok());
  CHECK(ext.graph->edges.size() == 1);
}

TEST_CASE("graph: sending to a collector's queue is an error", "[config]") {
  auto r = load(R"(c1:
  module: test.fake.collector
  parameters: {path: /x, destination_queues: [c1-queue]}
)");
  CHECK(issue(r, "c1-queue").format() ==
        "g.yaml:3:47: error: bot 'c1': parameter 'destination_queues': queue 'c1-queue' is the "
        "source queue of collector 'c1', which reads no messages");
}

TEST_CASE("graph: two bots reading one queue is an error", "[config]") {
  std::string text = kExpertToOutput;
  text += "o2:\n  module: test.fake.output\n  parameters: {file: /b, source_queue: o1-queue}\n";
  auto r = load(text);
  CHECK(issue(r, "already the source queue")
            .format()
            .starts_with("g.yaml:17:40: error: bot 'o2': parameter 'source_queue': queue "
                         "'o1-queue' is already the "
                         "source queue of bot 'o1'"));
}

TEST_CASE("graph: a collector, parser or expert without _default is an error", "[config]") {
  auto r = load(R"(e1:
  module: test.fake.expert
  parameters:
    destination_queues: {_on_error: [o1-queue]}
e2:
  module: test.fake.expert
o1:
  module: test.fake.output
  parameters: {file: /a}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "for 'e1'").format() ==
        "g.yaml:4:25: error: bot 'e1': Misconfiguration: No (default) destination queue for 'e1'.");
  CHECK(issue(r, "for 'e2'").format() ==
        "g.yaml:5:1: error: bot 'e2': Misconfiguration: No (default) destination queue for 'e2'.");
  CHECK(errors(r) == 2);
}

TEST_CASE("graph: a cycle is an error naming the bots on it", "[config]") {
  auto r = load(R"(a:
  module: test.fake.expert
  parameters: {destination_queues: [b-queue]}
b:
  module: test.fake.expert
  parameters: {destination_queues: [c-queue, o-queue]}
c:
  module: test.fake.expert
  parameters: {destination_queues: [a-queue]}
o:
  module: test.fake.output
  parameters: {file: /a}
s:
  module: test.fake.expert
  parameters: {destination_queues: {_default: [o-queue], _on_error: [s-queue]}}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "a -> b").format() ==
        "g.yaml:3:37: error: bot 'a': cycle in the graph: a -> b -> c -> a (via queue 'b-queue')");
  CHECK(issue(r, "s -> s").format() ==
        "g.yaml:15:70: error: bot 's': cycle in the graph: s -> s (via queue 's-queue')");
  CHECK(errors(r) == 2);
}

// ---------------------------------------------------------------------------
// One test per kind of error: file:line:column and message

TEST_CASE("graph: a YAML syntax error gives its line and column", "[config]") {
  auto r = load("e1:\n  module: test.fake.expert\n  parameters: [1, 2\n");
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].format().starts_with("g.yaml:4:1: error: YAML syntax error: "));
  CHECK(r.issues[0].loc.line == 4);
}

TEST_CASE("graph: the top level must be a mapping with bots", "[config]") {
  CHECK(load("- a\n- b\n").issues.at(0).format() ==
        "g.yaml:1:1: error: the top level must be a mapping of bot ids to bots");
  CHECK(load("# nothing\n").issues.at(0).format() ==
        "g.yaml:1:1: error: the file is empty: expected a mapping of bot ids to bots");
  CHECK(load("global: {}\n").issues.at(0).format() == "g.yaml:1:1: error: no bots configured");
}

TEST_CASE("graph: a bad bot id is an error", "[config]") {
  std::string text = kExpertToOutput;
  text += "my_bot.2:\n  module: test.fake.output\n  parameters: {file: /b}\n";
  auto r = load(text);
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "my_bot.2").format() ==
        "g.yaml:15:1: error: bot 'my_bot.2': invalid bot id: only letters, digits and '-' are "
        "allowed");
  CHECK(errors(r) == 1);
}

TEST_CASE("graph: a missing or unknown module is an error", "[config]") {
  auto r = load(R"(e1:
  name: no module
  parameters: {}
e2:
  module: intelmq.bots.experts.does_not.exist
  parameters: {}
e3: not-a-mapping
)");
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "missing 'module'").format() == "g.yaml:1:1: error: bot 'e1': missing 'module'");
  CHECK(issue(r, "does_not").format() ==
        "g.yaml:5:11: error: bot 'e2': unknown module 'intelmq.bots.experts.does_not.exist': no "
        "such bot is compiled into intelflow");
  CHECK(issue(r, "'e3'").format() ==
        "g.yaml:7:5: error: bot 'e3': expected a mapping (module, parameters, ...), got a scalar");
}

TEST_CASE("graph: an unknown parameter is an error at its key, with a suggestion", "[config]") {
  std::string text = kExpertToOutput;
  text.replace(text.find("    file: /tmp/out"), 18,
               "    file: /tmp/out\n    fiel: x\n    logging_path: /var/log\n    zzz: 1");
  auto r = load(text);
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "'fiel'").format() ==
        "g.yaml:15:5: error: bot 'o1': parameter 'fiel': unknown parameter for test.fake.output "
        "(did you mean 'file'?)");
  CHECK(issue(r, "'zzz'").format() ==
        "g.yaml:17:5: error: bot 'o1': parameter 'zzz': unknown parameter for test.fake.output");
  CHECK_FALSE(has_issue(r, "logging_path"));  // an IntelMQ parameter intelflow ignores
  CHECK(errors(r) == 2);
}

TEST_CASE("graph: a parameter of the wrong type is an error at its value", "[config]") {
  auto r = load(R"(e1:
  module: test.fake.expert
  parameters:
    destination_queues: {_default: [o1-queue]}
    overwrite: "yes"
    ratio: fast
    count: 1.5
    tags: [a, 1]
    mapping: [a]
    items: {a: 1}
    label: 12
    strict: null
o1:
  module: test.fake.output
  parameters: {file: [a]}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "'overwrite'").format() ==
        "g.yaml:5:16: error: bot 'e1': parameter 'overwrite': expected true or false, got a "
        "string");
  CHECK(issue(r, "'ratio'").format() ==
        "g.yaml:6:12: error: bot 'e1': parameter 'ratio': expected a number, got a string");
  CHECK(issue(r, "'count'").format() ==
        "g.yaml:7:12: error: bot 'e1': parameter 'count': expected an integer, got a number");
  CHECK(issue(r, "'tags'").format() ==
        "g.yaml:8:11: error: bot 'e1': parameter 'tags': expected a list of strings, got a list");
  CHECK(issue(r, "'mapping'").format() ==
        "g.yaml:9:14: error: bot 'e1': parameter 'mapping': expected a mapping, got a list");
  CHECK(issue(r, "'items'").format() ==
        "g.yaml:10:12: error: bot 'e1': parameter 'items': expected a list, got a mapping");
  CHECK(issue(r, "'label'").format() ==
        "g.yaml:11:12: error: bot 'e1': parameter 'label': expected a string, got an integer");
  CHECK(issue(r, "'strict'").format() ==
        "g.yaml:12:5: error: bot 'e1': parameter 'strict': must not be null (boolean)");
  CHECK(issue(r, "'file'").format() ==
        "g.yaml:15:22: error: bot 'o1': parameter 'file': expected a string, got a list");
  CHECK(errors(r) == 9);
}

TEST_CASE("graph: a missing required parameter is an error at `parameters`", "[config]") {
  std::string text = kExpertToOutput;
  text.replace(text.find("    file: /tmp/out"), 18, "    file: null");
  auto r = load(text);
  CHECK(issue(r, "'file'").format() ==
        "g.yaml:13:3: error: bot 'o1': parameter 'file': missing required parameter (string)");
  auto r2 = load("o1:\n  module: test.fake.output\n");
  CHECK(issue(r2, "'file'").format() ==
        "g.yaml:1:1: error: bot 'o1': parameter 'file': missing required parameter (string)");
}

TEST_CASE("graph: run_mode must be continuous or scheduled", "[config]") {
  std::string text = kExpertToOutput;
  text.replace(text.find("  group: Output"), 15, "  group: Output\n  run_mode: sometimes");
  auto r = load(text);
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "run_mode").format() ==
        "g.yaml:13:13: error: bot 'o1': invalid run_mode 'sometimes': must be 'continuous' or "
        "'scheduled'");
}

TEST_CASE("graph: every error of a file is reported, in file order", "[config]") {
  auto r = load(R"(bad_id:
  module: test.fake.output
e1:
  module: test.fake.expert
  parameters:
    count: many
    nope: 1
o1:
  module: nothing.here
)");
  REQUIRE_FALSE(r.ok());
  std::vector<int> lines;
  for (const auto& i : r.issues)
    if (i.level == ConfigIssue::Level::Error) lines.push_back(i.loc.line);
  CHECK(lines == std::vector<int>{1, 3, 6, 7, 9});
}

// ---------------------------------------------------------------------------
// Warnings and what is accepted from IntelMQ

TEST_CASE("graph: IntelMQ's check warnings and ignored keys", "[config]") {
  auto r = load(R"(e1:
  module: test.fake.expert
  bot_id: e1
  groupname: experts
  colour: blue
  group: Parser
  parameters:
    destination_queues: [o1-queue]
    http_proxy: null
    source_pipeline_host: 127.0.0.1
o1:
  module: intelmq.bots.test.fake.output
  group: Outputs
  name: O
  description: d
  parameters: {file: /a}
)");
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(issue(r, "colour").format() ==
        "g.yaml:5:3: warning: bot 'e1': Ignoring disallowed system parameter 'colour'.");
  CHECK(issue(r, "'Parser'").format() ==
        "g.yaml:6:10: warning: bot 'e1': group 'Parser' does not match the bot's group "
        "'Expert'; using 'Expert'");
  CHECK(issue(r, "'description'").format() ==
        "g.yaml:1:1: warning: bot 'e1': has no 'description'");
  CHECK(issue(r, "bot 'e1': has no 'name'").loc.line == 1);
  CHECK(issue(r, "'Outputs'").loc.line == 13);
  CHECK(r.graph->find("e1")->group == "Expert");
  CHECK(count(r, ConfigIssue::Level::Warning) == 5);
}

TEST_CASE("graph: problems of a disabled bot are warnings and the bot is skipped", "[config]") {
  std::string text = kExpertToOutput;
  text += R"(off1:
  module: no.such.bot
  enabled: false
off2:
  module: test.fake.expert
  enabled: false
  parameters: {count: x}
off3:
  module: test.fake.expert
  enabled: false
  parameters: {destination_queues: [o1-queue]}
)";
  auto r = load(text);
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(issue(r, "no.such.bot").level == ConfigIssue::Level::Warning);
  CHECK(issue(r, "'count'").level == ConfigIssue::Level::Warning);
  CHECK(r.graph->find("off1") == nullptr);
  CHECK(r.graph->find("off2") == nullptr);
  REQUIRE(r.graph->find("off3") != nullptr);  // valid: loaded, not started
  CHECK_FALSE(r.graph->find("off3")->enabled);

  auto skip = load(text, [] {
    LoadOptions o;
    o.include_disabled = false;
    return o;
  }());
  REQUIRE(skip.ok());
  CHECK(skip.graph->find("off3") == nullptr);
  CHECK(skip.graph->bots.size() == 2);
}

TEST_CASE("graph: a duplicate key is a warning and the last one wins, as in PyYAML", "[config]") {
  std::string text = kExpertToOutput;
  text.replace(text.find("    file: /tmp/out"), 18, "    file: /tmp/out\n    file: /tmp/two");
  auto r = load(text);
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(issue(r, "duplicate").format() ==
        "g.yaml:15:5: warning: bot 'o1': duplicate key 'file': replaces the one at line 14");
  CHECK(param(r, "o1", "file") == Value::string("/tmp/two"));
}

TEST_CASE("graph: a JSON runtime file with tab indentation loads", "[config]") {
  auto r = load(
      "{\n\t\"e1\": {\"module\": \"test.fake.expert\", \"parameters\": "
      "{\"destination_queues\": {\"_default\": [\"o1-queue\"]}}},\n\t\"o1\": "
      "{\"module\": \"test.fake.output\", \"parameters\": {\"file\": \"/a\"}}\n}\n");
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(r.graph->edges.size() == 1);
}

// ---------------------------------------------------------------------------
// engine: section

TEST_CASE("graph: the engine section sets the engine and defaults follow state_dir", "[config]") {
  std::string text = std::string(R"(engine:
  threads: 4
  batch_size: 64
  max_in_flight: 32
  max_in_flight_bytes: 8MiB
  state_dir: /srv/if
  fsync: interval
  fsync_interval_ms: 10
  wal_max_bytes: 512MiB
  log_to_files: yes
  control_socket: 127.0.0.1:8080
  harmonization: conf/harmonization.conf
)") + kExpertToOutput;
  auto r = load_graph_text(text, "/etc/intelflow/graph.yaml", no_env());
  INFO(dump(r));
  REQUIRE(r.ok());
  const EngineConfig& e = r.graph->engine;
  CHECK(e.threads == 4);
  CHECK(e.batch_size == 64);
  CHECK(e.max_in_flight == 32);
  CHECK(e.max_in_flight_bytes == 8u << 20);
  CHECK(e.state_dir == "/srv/if");
  CHECK(e.wal_dir == "/srv/if/wal");
  CHECK(e.log_dir == "/srv/if/log");
  CHECK(e.fsync == FsyncPolicy::Interval);
  CHECK(e.fsync_interval_ms == 10);
  CHECK(e.wal_max_bytes == 512ull << 20);
  CHECK(e.log_to_files);
  CHECK(e.control_socket == "127.0.0.1:8080");
  CHECK(e.harmonization == "/etc/intelflow/conf/harmonization.conf");

  // --state-dir overrides the file; explicit wal_dir/log_dir stay
  auto o = load(
      std::string("engine: {state_dir: /a, log_dir: /logs, fsync: off}\n") + kExpertToOutput, [] {
        LoadOptions sd;
        sd.state_dir = "/b";
        return sd;
      }());
  REQUIRE(o.ok());
  CHECK(o.graph->engine.state_dir == "/b");
  CHECK(o.graph->engine.wal_dir == "/b/wal");
  CHECK(o.graph->engine.log_dir == "/logs");
  CHECK(o.graph->engine.fsync == FsyncPolicy::Never);

  auto d = load(kExpertToOutput);
  CHECK(d.graph->engine.batch_size == EngineConfig{}.batch_size);
  CHECK(d.graph->engine.fsync == FsyncPolicy::Always);
}

TEST_CASE("graph: bad engine keys and values are errors", "[config]") {
  auto r = load(std::string(R"(engine:
  threads: -1
  batch_size: many
  fsync: sometimes
  wal_max_bytes: 12 parsecs
  wal_dir: ""
  thread: 2
)") + kExpertToOutput);
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "engine.threads").format() ==
        "g.yaml:2:12: error: engine.threads: expected an integer >= 0, got -1");
  CHECK(issue(r, "engine.batch_size").format() ==
        "g.yaml:3:15: error: engine.batch_size: expected an integer >= 1, got a string");
  CHECK(issue(r, "engine.fsync:").format() ==
        "g.yaml:4:10: error: engine.fsync: expected always, interval or never");
  CHECK(issue(r, "engine.wal_max_bytes").loc.line == 5);
  CHECK(issue(r, "engine.wal_dir").format() ==
        "g.yaml:6:12: error: engine.wal_dir: expected a non-empty path, got a string");
  CHECK(issue(r, "'thread'")
            .format()
            .starts_with("g.yaml:7:3: error: engine: unknown key 'thread' (known: threads, "));
  CHECK(errors(r) == 6);
}

// ---------------------------------------------------------------------------

TEST_CASE("graph: issues format as file:line:col: level: bot: parameter: reason", "[config]") {
  ConfigIssue i{ConfigIssue::Level::Error, SourceLoc{"graph.yaml", 42, 7}, "csv-parser", "columns",
                "expected a list of strings"};
  CHECK(i.format() ==
        "graph.yaml:42:7: error: bot 'csv-parser': parameter 'columns': expected a list of "
        "strings");
  i.level = ConfigIssue::Level::Warning;
  i.param.clear();
  i.loc.column = 0;
  CHECK(i.format() == "graph.yaml:42: warning: bot 'csv-parser': expected a list of strings");
  i.bot_id.clear();
  i.loc.line = 0;
  CHECK(i.format() == "graph.yaml: warning: expected a list of strings");
}

TEST_CASE("graph: a module alias and the intelmq.bots. prefix find the bot", "[config]") {
  auto r = load(R"(e1:
  module: test.fake.expert-alias
  parameters: {destination_queues: [o1-queue]}
o1:
  module: intelmq.bots.test.fake.output
  parameters: {file: /a}
)");
  INFO(dump(r));
  REQUIRE(r.ok());
  CHECK(r.graph->find("e1")->info->module == "test.fake.expert");
  CHECK(r.graph->find("e1")->module == "test.fake.expert-alias");
}

}  // namespace
}  // namespace intelflow::config

namespace intelflow::config {
namespace {

TEST_CASE("graph: bad enabled, parameters, destination entries and tags are errors", "[config]") {
  auto r = load(R"(e1:
  module: test.fake.expert
  enabled: "no"
  parameters:
    destination_queues: {_default: [o1-queue, 7], other: {a: b}}
    label: !custom x
e2:
  module: test.fake.expert
  parameters: [a]
e3:
  module: test.fake.expert
  parameters: {destination_queues: 5}
o1:
  module: test.fake.output
  parameters: {file: /a}
)");
  REQUIRE_FALSE(r.ok());
  CHECK(issue(r, "'enabled'").format() ==
        "g.yaml:3:12: error: bot 'e1': 'enabled' must be true or false, got a string");
  CHECK(issue(r, "queue name, got an integer").format() ==
        "g.yaml:5:47: error: bot 'e1': parameter 'destination_queues': path '_default': expected "
        "a queue name, got an integer");
  CHECK(issue(r, "path 'other'").format() ==
        "g.yaml:5:58: error: bot 'e1': parameter 'destination_queues': path 'other': expected a "
        "list of queue names or a string, got a mapping");
  CHECK(issue(r, "!custom").format() ==
        "g.yaml:6:12: error: bot 'e1': parameter 'label': unsupported YAML tag '!custom'");
  CHECK(issue(r, "'parameters' must").format() ==
        "g.yaml:9:15: error: bot 'e2': 'parameters' must be a mapping");
  CHECK(issue(r, "bot 'e3': parameter").format() ==
        "g.yaml:12:36: error: bot 'e3': parameter 'destination_queues': expected a mapping {path: "
        "[queue, ...]}, a list of queues or a string, got an integer");
}

}  // namespace
}  // namespace intelflow::config
