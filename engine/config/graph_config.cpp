// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/config/graph_config.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <yaml-cpp/yaml.h>

#include "engine/config/yaml_value.hpp"

extern char** environ;  // NOLINT: POSIX

namespace intelflow::config {

using harm::Value;
using Level = ConfigIssue::Level;

std::string ConfigIssue::format() const {
  std::string out = loc.file.empty() ? std::string("<config>") : loc.file;
  if (loc.line > 0) {
    out += ':' + std::to_string(loc.line);
    if (loc.column > 0) out += ':' + std::to_string(loc.column);
  }
  out += level == Level::Error ? ": error: " : ": warning: ";
  if (!bot_id.empty()) out += "bot '" + bot_id + "': ";
  if (!param.empty()) out += "parameter '" + param + "': ";
  out += reason;
  return out;
}

const BotConfig* GraphConfig::find(std::string_view id) const noexcept {
  for (const auto& b : bots)
    if (b.id == id) return &b;
  return nullptr;
}

namespace {

constexpr std::string_view kDefaultStateDir = "/var/lib/intelflow";

/// A parameter value with where it came from.
struct Located {
  Value value;
  SourceLoc loc;  ///< line 0: a declared default or the environment
  /// The value's node when it came from the file. Reset + emplace, never
  /// assigned: YAML::Node's operator= would rewrite the shared document.
  std::optional<YAML::Node> node;
};

/// A bot while it is being loaded.
struct PendingBot {
  BotConfig cfg;
  bool broken = false;    ///< had an error (a disabled bot with one is not loaded)
  bool excluded = false;  ///< not part of the loaded graph
  SourceLoc module_loc, parameters_loc, dest_loc, source_queue_loc;
  struct Dest {
    std::string path, queue;
    SourceLoc loc;
  };
  std::vector<Dest> dests;
  std::vector<std::string> param_keys;  ///< every key the bot accepts (for `global` use)
};

std::string kind_phrase(const Value& v) {
  switch (v.kind()) {
    case harm::Kind::Null:
      return "null";
    case harm::Kind::Bool:
      return v.as_bool() ? "true" : "false";
    case harm::Kind::Int:
    case harm::Kind::BigInt:
      return "an integer";
    case harm::Kind::Float:
      return "a number";
    case harm::Kind::String:
    case harm::Kind::Bytes:
      return "a string";
    case harm::Kind::List:
      return "a list";
    case harm::Kind::Dict:
      return "a mapping";
  }
  return "?";
}

bool valid_bot_id(std::string_view id) {
  if (id.empty()) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

std::vector<std::string> split_ws(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) ++i;
    std::size_t j = i;
    while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])) == 0) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1] ? 1 : 0)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// A declared default. ParamSpec defaults are JSON, which is also YAML: when
/// the JSON reader is unavailable the YAML reader gives the same value.
Value spec_default(const api::ParamSpec& spec) {
  try {
    return api::parse_default(spec.default_json);
  } catch (const std::exception&) {
    try {
      return yaml_to_value(YAML::Load(std::string(spec.default_json)));
    } catch (const std::exception&) {
      return Value();
    }
  }
}

/// IntelMQ's conversion of INTELMQ_* environment values.
Value env_value(const std::string& text) {
  if (text == "True") return Value::boolean(true);
  if (text == "False") return Value::boolean(false);
  if (!text.empty() &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && p == text.data() + text.size()) return Value::integer(i);
    std::size_t nz = text.find_first_not_of('0');
    return Value::big_integer(nz == std::string::npos ? "0" : text.substr(nz));
  }
  return Value::string(text);
}

class Loader {
 public:
  Loader(std::string file, const LoadOptions& opts) : file_(std::move(file)), opts_(opts) {
    if (opts_.environment) {
      for (const auto& [k, v] : *opts_.environment) add_env(k, v);
    } else {
      for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq == std::string_view::npos) continue;
        add_env(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
      }
    }
  }

  LoadResult run(const std::string& text);

 private:
  void add_env(const std::string& name, const std::string& value) {
    if (!name.starts_with("INTELMQ_") || name.size() == 8) return;
    std::string option = name.substr(8);
    for (char& c : option) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    env_.push_back({std::move(option), name, value});
  }

  SourceLoc at(const YAML::Mark& m) const {
    SourceLoc l;
    l.file = file_;
    if (m.line >= 0) {
      l.line = m.line + 1;
      l.column = m.column + 1;
    }
    return l;
  }
  SourceLoc at(const YAML::Node& n) const { return at(n.Mark()); }
  /// Where a value is: its own node, or its key for an empty value (yaml-cpp
  /// marks an empty value at the next token).
  SourceLoc at_value(const YAML::Node& key, const YAML::Node& value) const {
    if (value.IsNull()) return at(key);
    return at(value);
  }

  void issue(Level level, SourceLoc loc, std::string bot, std::string param, std::string reason) {
    issues_.push_back(
        ConfigIssue{level, std::move(loc), std::move(bot), std::move(param), std::move(reason)});
  }
  void error(SourceLoc loc, std::string bot, std::string param, std::string reason) {
    issue(Level::Error, std::move(loc), std::move(bot), std::move(param), std::move(reason));
  }
  void warn(SourceLoc loc, std::string bot, std::string param, std::string reason) {
    issue(Level::Warning, std::move(loc), std::move(bot), std::move(param), std::move(reason));
  }
  /// An error about a bot; only a warning for a disabled bot (which is then not loaded).
  void bot_error(PendingBot& b, SourceLoc loc, std::string param, std::string reason) {
    b.broken = true;
    issue(b.cfg.enabled ? Level::Error : Level::Warning, std::move(loc), b.cfg.id, std::move(param),
          std::move(reason));
  }

  /// Mapping entries; repeated keys warned about (the last one wins, as in PyYAML).
  std::vector<YamlEntry> entries(const YAML::Node& map, const std::string& bot = {}) {
    std::vector<std::pair<YAML::Node, YAML::Node>> dups;
    std::vector<YamlEntry> out;
    try {
      out = yaml_map_entries(map, &dups);
    } catch (const YamlValueError& e) {
      error(at(e.mark()), bot, {}, e.what());
      return out;
    }
    for (const auto& [first, again] : dups)
      warn(at(again), bot, {},
           "duplicate key '" + again.Scalar() + "': replaces the one at line " +
               std::to_string(first.Mark().line + 1));
    return out;
  }

  /// The value of a node; an unsupported node is an error and gives null.
  std::optional<Value> value_of(const YAML::Node& node, const std::string& bot,
                                const std::string& param, PendingBot* b = nullptr) {
    try {
      return yaml_to_value(node);
    } catch (const YamlValueError& e) {
      if (b != nullptr)
        bot_error(*b, at(e.mark()), param, e.what());
      else
        error(at(e.mark()), bot, param, e.what());
      return std::nullopt;
    }
  }

  std::string resolve_path(const std::string& p) const {
    namespace fs = std::filesystem;
    fs::path path(p);
    if (path.is_absolute()) return p;
    fs::path dir = fs::path(file_).parent_path();
    if (dir.empty()) return p;
    return (dir / path).lexically_normal().string();
  }

  void load_engine(const YAML::Node& key, const YAML::Node& node, EngineConfig& eng);
  void load_bot(PendingBot& b, const YAML::Node& key, const YAML::Node& node);
  void resolve_params(PendingBot& b, const YAML::Node& bot_node, const YAML::Node& params_node);
  void load_destinations(PendingBot& b, const Located& src);
  void build_edges(std::vector<PendingBot>& bots, GraphConfig& g);
  void find_cycles(const std::vector<PendingBot>& bots, GraphConfig& g);

  struct EnvVar {
    std::string option, name, value;
  };

  std::string file_;
  const LoadOptions& opts_;
  std::vector<ConfigIssue> issues_;
  std::vector<EnvVar> env_;
  std::vector<YamlEntry> global_;
  /// Edge locations (parallel to GraphConfig::edges), for cycle reports.
  std::vector<SourceLoc> edge_locs_;
};

// ---------------------------------------------------------------------------
// engine: section

void Loader::load_engine(const YAML::Node& key, const YAML::Node& node, EngineConfig& eng) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    error(at_value(key, node), {}, {}, "engine: expected a mapping of engine settings");
    return;
  }
  for (const auto& e : entries(node)) {
    const std::string& k = e.key;
    const SourceLoc loc = at_value(e.key_node, e.value);
    auto v = value_of(e.value, {}, {});
    if (!v) continue;
    auto bad = [&](const std::string& what) {
      error(loc, {}, {},
            "engine." + k + ": " + what + ", got " +
                (v->is_int() ? std::to_string(v->as_int()) : kind_phrase(*v)));
    };
    auto get_int = [&](std::int64_t min, std::int64_t& out) {
      if (!v->is_int() || v->as_int() < min) {
        bad(min == 0 ? "expected an integer >= 0"
                     : "expected an integer >= " + std::to_string(min));
        return false;
      }
      out = v->as_int();
      return true;
    };
    auto get_dir = [&](std::string& out) {
      if (!v->is_string() || v->as_string().empty()) {
        bad("expected a non-empty path");
        return;
      }
      out = resolve_path(v->as_string());
    };
    // A size in bytes: an integer, or "<n><unit>" with unit KiB MiB GiB TiB
    // (powers of 1024) or KB MB GB TB (of 1000).
    auto get_size = [&](std::uint64_t& out) {
      if (v->is_int() && v->as_int() >= 1) {
        out = static_cast<std::uint64_t>(v->as_int());
      } else if (v->is_string()) {
        // "<n><unit>" with unit KiB MiB GiB TiB (powers of 1024) or KB MB GB TB (of 1000).
        const std::string& s = v->as_string();
        std::uint64_t n = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        std::string unit(p, s.data() + s.size());
        while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
        static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
            {"B", 1},
            {"KB", 1000ull},
            {"MB", 1000000ull},
            {"GB", 1000000000ull},
            {"TB", 1000000000000ull},
            {"KiB", 1ull << 10},
            {"MiB", 1ull << 20},
            {"GiB", 1ull << 30},
            {"TiB", 1ull << 40}};
        std::uint64_t mult = 0;
        for (const auto& [u, m] : kUnits)
          if (unit == u) mult = m;
        if (ec != std::errc() || p == s.data() || n == 0 || mult == 0 ||
            n > std::numeric_limits<std::uint64_t>::max() / mult)
          bad("expected a size in bytes (e.g. 1073741824, \"512MiB\", \"2GB\")");
        else
          out = n * mult;
      } else {
        bad("expected a size in bytes (e.g. 1073741824, \"512MiB\", \"2GB\")");
      }
    };
    std::int64_t i = 0;
    if (k == "threads") {
      if (get_int(0, i)) eng.threads = static_cast<int>(std::min<std::int64_t>(i, INT_MAX));
    } else if (k == "batch_size") {
      if (get_int(1, i)) eng.batch_size = static_cast<std::size_t>(i);
    } else if (k == "max_in_flight") {
      if (get_int(1, i)) eng.max_in_flight = static_cast<std::size_t>(i);
    } else if (k == "fsync_interval_ms") {
      if (get_int(1, i))
        eng.fsync_interval_ms = static_cast<int>(std::min<std::int64_t>(i, INT_MAX));
    } else if (k == "wal_max_bytes") {
      get_size(eng.wal_max_bytes);
    } else if (k == "max_in_flight_bytes") {
      get_size(eng.max_in_flight_bytes);
    } else if (k == "fsync") {
      // `off`/`no` are YAML 1.1 booleans: take false as never, true as always.
      if (v->is_bool()) {
        eng.fsync = v->as_bool() ? FsyncPolicy::Always : FsyncPolicy::Never;
      } else if (v->is_string() && v->as_string() == "always") {
        eng.fsync = FsyncPolicy::Always;
      } else if (v->is_string() && v->as_string() == "interval") {
        eng.fsync = FsyncPolicy::Interval;
      } else if (v->is_string() && v->as_string() == "never") {
        eng.fsync = FsyncPolicy::Never;
      } else {
        error(loc, {}, {}, "engine.fsync: expected always, interval or never");
      }
    } else if (k == "log_to_files") {
      if (v->is_bool())
        eng.log_to_files = v->as_bool();
      else
        bad("expected true or false");
    } else if (k == "state_dir") {
      get_dir(eng.state_dir);
    } else if (k == "wal_dir") {
      get_dir(eng.wal_dir);
    } else if (k == "log_dir") {
      get_dir(eng.log_dir);
    } else if (k == "harmonization") {
      get_dir(eng.harmonization);
    } else if (k == "control_socket") {
      if (v->is_string())
        eng.control_socket = v->as_string();
      else if (!v->is_null())
        bad("expected a unix socket path or host:port");
    } else {
      error(at(e.key_node), {}, {},
            "engine: unknown key '" + k +
                "' (known: threads, batch_size, max_in_flight, max_in_flight_bytes, state_dir, "
                "wal_dir, "
                "fsync, "
                "fsync_interval_ms, wal_max_bytes, log_dir, log_to_files, control_socket, "
                "harmonization)");
    }
  }
}

// ---------------------------------------------------------------------------
// one bot

void Loader::load_bot(PendingBot& b, const YAML::Node& key, const YAML::Node& node) {
  BotConfig& c = b.cfg;
  if (!node.IsMap()) {
    b.broken = true;
    error(at_value(key, node), c.id, {},
          "expected a mapping (module, parameters, ...), got " +
              (node.IsNull()       ? std::string("nothing")
               : node.IsSequence() ? "a list"
                                   : "a scalar"));
    return;
  }
  const auto items = entries(node, c.id);
  // `enabled` first: it decides whether problems are errors or warnings.
  for (const auto& e : items) {
    if (e.key != "enabled") continue;
    auto v = value_of(e.value, c.id, {});
    if (!v || v->is_null()) continue;
    if (v->is_bool())
      c.enabled = v->as_bool();
    else
      bot_error(b, at_value(e.key_node, e.value), {},
                "'enabled' must be true or false, got " + kind_phrase(*v));
  }

  std::optional<YAML::Node> params_node;  // never assigned twice (see Located)
  bool has_module = false, has_name = false, has_description = false, has_group = false;
  std::string file_group;
  SourceLoc group_loc;
  auto text_of = [&](const YamlEntry& e, std::string& out) {
    if (e.value.IsScalar()) {
      out = e.value.Scalar();
      return true;
    }
    if (!e.value.IsNull()) warn(at(e.value), c.id, {}, "'" + e.key + "' should be a string");
    return false;
  };
  for (const auto& e : items) {
    const std::string& k = e.key;
    if (k == "enabled") continue;
    if (k == "module") {
      b.module_loc = at_value(e.key_node, e.value);
      if (e.value.IsScalar() && !e.value.Scalar().empty()) {
        c.module = e.value.Scalar();
        has_module = true;
      }
    } else if (k == "name") {
      has_name = text_of(e, c.name) && !c.name.empty();
    } else if (k == "description") {
      has_description = text_of(e, c.description) && !c.description.empty();
    } else if (k == "group") {
      has_group = text_of(e, file_group) && !file_group.empty();
      group_loc = at_value(e.key_node, e.value);
    } else if (k == "run_mode") {
      auto v = value_of(e.value, c.id, {});
      if (!v || v->is_null()) continue;
      if (v->is_string() && (v->as_string() == "continuous" || v->as_string() == "scheduled"))
        c.run_mode = v->as_string();
      else
        bot_error(b, at_value(e.key_node, e.value), {},
                  "invalid run_mode " +
                      (v->is_string() ? "'" + v->as_string() + "'" : kind_phrase(*v)) +
                      ": must be 'continuous' or 'scheduled'");
    } else if (k == "parameters") {
      b.parameters_loc = at(e.key_node);
      params_node.reset();
      if (e.value.IsMap())
        params_node.emplace(e.value);
      else if (!e.value.IsNull())
        bot_error(b, at(e.value), {}, "'parameters' must be a mapping");
    } else if (k == "groupname" || k == "bot_id") {
      // written by the IntelMQ Manager; ignored
    } else {
      warn(at(e.key_node), c.id, {}, "Ignoring disallowed system parameter '" + k + "'.");
    }
  }

  if (!has_module) {
    bot_error(b, b.module_loc.line > 0 ? b.module_loc : c.loc, {}, "missing 'module'");
    return;
  }
  c.info = api::Registry::instance().find(c.module);
  if (c.info == nullptr) {
    bot_error(b, b.module_loc, {},
              "unknown module '" + c.module + "': no such bot is compiled into intelflow");
    return;
  }
  const std::string reg_group(api::group_name(c.info->group));
  if (has_group) {
    if (file_group != "Collector" && file_group != "Parser" && file_group != "Expert" &&
        file_group != "Output")
      warn(group_loc, c.id, {},
           "unknown group '" + file_group +
               "' (Collector, Parser, Expert or Output); using the bot's group '" + reg_group +
               "'");
    else if (file_group != reg_group)
      warn(group_loc, c.id, {},
           "group '" + file_group + "' does not match the bot's group '" + reg_group +
               "'; using '" + reg_group + "'");
  }
  c.group = reg_group;
  if (!has_description) warn(c.loc, c.id, {}, "has no 'description'");
  if (!has_group) warn(c.loc, c.id, {}, "has no 'group'");
  if (!has_name) warn(c.loc, c.id, {}, "has no 'name'");

  resolve_params(b, node, params_node ? *params_node : YAML::Node());
}

void Loader::resolve_params(PendingBot& b, const YAML::Node& bot_node,
                            const YAML::Node& params_node) {
  BotConfig& c = b.cfg;
  const auto specs = api::Registry::instance().all_params(*c.info);
  std::vector<Located> slots(specs.size());
  for (std::size_t i = 0; i < specs.size(); ++i) {
    slots[i].value = spec_default(specs[i]);
    b.param_keys.emplace_back(specs[i].key);
  }
  auto index_of = [&](std::string_view key) -> int {
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (specs[i].key == key) return static_cast<int>(i);
    return -1;
  };
  auto set_from_node = [&](int idx, const YamlEntry& e) {
    auto v = value_of(e.value, c.id, e.key, &b);
    Located& s = slots[static_cast<std::size_t>(idx)];
    s.value = v ? std::move(*v) : Value();
    s.loc = at_value(e.key_node, e.value);
    s.node.reset();
    s.node.emplace(e.value);
  };

  // 1. declared defaults (above); 2. global
  for (const auto& e : global_) {
    int idx = index_of(e.key);
    if (idx >= 0) set_from_node(idx, e);
  }
  // 3. truthy system keys the bot also declares as parameters (collector `name`)
  static constexpr std::string_view kSystem[] = {"enabled",     "run_mode", "group",
                                                 "description", "module",   "name"};
  if (bot_node.IsMap()) {
    for (const auto& e : yaml_map_entries(bot_node)) {
      if (std::find(std::begin(kSystem), std::end(kSystem), e.key) == std::end(kSystem)) continue;
      int idx = index_of(e.key);
      if (idx < 0) continue;
      Value v;
      try {
        v = yaml_to_value(e.value);
      } catch (const YamlValueError&) {
        continue;
      }
      if (v.truthy()) set_from_node(idx, e);
    }
  }
  // 4. parameters
  if (params_node.IsMap()) {
    for (const auto& e : entries(params_node, c.id)) {
      int idx = index_of(e.key);
      if (idx >= 0) {
        set_from_node(idx, e);
        continue;
      }
      if (api::is_ignored_intelmq_param(e.key)) continue;
      std::string reason = "unknown parameter";
      std::string best;
      std::size_t best_d = 3;
      for (const auto& s : specs) {
        std::size_t d = edit_distance(e.key, s.key);
        if (d < best_d) {
          best_d = d;
          best = std::string(s.key);
        }
      }
      reason += " for " + c.info->module;
      if (!best.empty()) reason += " (did you mean '" + best + "'?)";
      bot_error(b, at(e.key_node), e.key, reason);
    }
  }
  // 5. environment INTELMQ_<NAME>
  for (const auto& ev : env_) {
    int idx = index_of(ev.option);
    if (idx < 0) continue;
    Located& s = slots[static_cast<std::size_t>(idx)];
    s.value = env_value(ev.value);
    s.loc = SourceLoc{"$" + ev.name, 0, 0};
    s.node.reset();
  }

  // Check and store.
  std::vector<std::pair<std::string, Value>> items;
  items.reserve(specs.size());
  const SourceLoc missing_loc = b.parameters_loc.line > 0 ? b.parameters_loc : c.loc;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const api::ParamSpec& spec = specs[i];
    Located& s = slots[i];
    const std::string key(spec.key);
    if (s.loc.line > 0 || !s.loc.file.empty()) c.param_locs[key] = s.loc;
    if (s.value.is_null()) {
      if (spec.required)
        bot_error(
            b, missing_loc, key,
            "missing required parameter (" + std::string(api::param_type_name(spec.type)) + ")");
      else if (!spec.nullable)
        bot_error(b, s.loc.file.empty() ? missing_loc : s.loc, key,
                  "must not be null (" + std::string(api::param_type_name(spec.type)) + ")");
    } else if (key != "destination_queues") {
      if (auto why = api::check_param_type(spec.type, s.value))
        bot_error(b, s.loc.file.empty() ? c.loc : s.loc, key,
                  *why + ", got " + kind_phrase(s.value));
    }
    if (key == "destination_queues") {
      load_destinations(b, s);
      Value::Dict norm;
      for (const auto& [path, queues] : c.destinations) {
        Value::List l;
        for (const auto& q : queues) l.push_back(Value::string(q));
        norm.emplace_back(path, Value::list(std::move(l)));
      }
      items.emplace_back(key, Value::dict(std::move(norm)));
      continue;
    }
    if (key == "source_queue") {
      b.source_queue_loc = s.loc.file.empty() ? c.loc : s.loc;
      c.source_queue = s.value.is_string() && !s.value.as_string().empty() ? s.value.as_string()
                                                                           : c.id + "-queue";
      items.emplace_back(key, Value::string(c.source_queue));
      continue;
    }
    items.emplace_back(key, std::move(s.value));
  }
  c.params = api::Params(std::move(items));
}

void Loader::load_destinations(PendingBot& b, const Located& src) {
  BotConfig& c = b.cfg;
  const Value& v = src.value;
  b.dest_loc = src.loc.file.empty() ? c.loc : src.loc;
  const YAML::Node* node = src.node ? &*src.node : nullptr;
  auto add = [&](const std::string& path, const std::string& q, const SourceLoc& loc) {
    for (auto& [p, qs] : c.destinations) {
      if (p != path) continue;
      if (std::find(qs.begin(), qs.end(), q) != qs.end()) {
        warn(loc, c.id, "destination_queues",
             "queue '" + q + "' is listed twice in path '" + path + "'");
        return;
      }
      qs.push_back(q);
      b.dests.push_back({path, q, loc});
      return;
    }
    c.destinations.push_back({path, {q}});
    b.dests.push_back({path, q, loc});
  };
  // One path's queues: a list of names or a whitespace-separated string.
  auto add_queues = [&](const std::string& path, const Value& qv, const YAML::Node* qn,
                        const SourceLoc& fallback) {
    const SourceLoc here = qn != nullptr && !qn->IsNull() ? at(*qn) : fallback;
    bool found = false;
    for (auto& [p, qs] : c.destinations) found = found || p == path;
    if (!found) c.destinations.push_back({path, {}});
    if (qv.is_string()) {
      for (auto& q : split_ws(qv.as_string())) add(path, q, here);
    } else if (qv.is_list()) {
      const auto& l = qv.as_list();
      for (std::size_t i = 0; i < l.size(); ++i) {
        SourceLoc li = here;
        if (qn != nullptr && qn->IsSequence() && i < qn->size()) li = at((*qn)[i]);
        if (l[i].is_string() && !l[i].as_string().empty() && split_ws(l[i].as_string()).size() == 1)
          add(path, l[i].as_string(), li);
        else
          bot_error(b, li, "destination_queues",
                    "path '" + path + "': expected a queue name, got " + kind_phrase(l[i]));
      }
    } else if (!qv.is_null()) {
      bot_error(b, here, "destination_queues",
                "path '" + path + "': expected a list of queue names or a string, got " +
                    kind_phrase(qv));
    }
  };
  if (v.is_null()) return;
  if (v.is_dict()) {
    std::vector<YamlEntry> ents;
    if (node != nullptr && node->IsMap()) ents = yaml_map_entries(*node);
    const auto& d = v.as_dict();
    for (std::size_t i = 0; i < d.size(); ++i) {
      const YAML::Node* qn = i < ents.size() ? &ents[i].value : nullptr;
      SourceLoc kloc = i < ents.size() ? at(ents[i].key_node) : b.dest_loc;
      add_queues(d[i].first, d[i].second, qn, kloc);
    }
  } else if (v.is_list() || v.is_string()) {
    add_queues("_default", v, node, b.dest_loc);
  } else {
    bot_error(b, b.dest_loc, "destination_queues",
              "expected a mapping {path: [queue, ...]}, a list of queues or a string, got " +
                  kind_phrase(v));
  }
}

// ---------------------------------------------------------------------------
// graph

void Loader::build_edges(std::vector<PendingBot>& bots, GraphConfig& g) {
  // Loaded bots get their index in g.bots.
  std::vector<std::optional<std::size_t>> gidx(bots.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < bots.size(); ++i)
    if (!bots[i].excluded) gidx[i] = n++;

  std::unordered_map<std::string, std::size_t> reader;     // queue -> pending index
  std::unordered_map<std::string, std::size_t> collector;  // collectors' own queues
  std::unordered_map<std::string, std::size_t> unloaded;   // queues of bots not loaded
  for (std::size_t i = 0; i < bots.size(); ++i) {
    const auto& b = bots[i];
    if (b.cfg.source_queue.empty()) continue;
    if (b.excluded) {
      unloaded.emplace(b.cfg.source_queue, i);
      continue;
    }
    if (b.cfg.info->group == api::BotGroup::Collector) {
      collector.emplace(b.cfg.source_queue, i);
      continue;
    }
    auto [it, fresh] = reader.emplace(b.cfg.source_queue, i);
    if (!fresh)
      error(b.source_queue_loc, b.cfg.id, "source_queue",
            "queue '" + b.cfg.source_queue + "' is already the source queue of bot '" +
                bots[it->second].cfg.id +
                "' (competing readers of one queue are not supported; a bot runs "
                "concurrently by itself)");
  }

  for (std::size_t i = 0; i < bots.size(); ++i) {
    auto& b = bots[i];
    if (b.excluded) continue;
    const bool enabled = b.cfg.enabled;
    const Level lv = enabled ? Level::Error : Level::Warning;
    for (const auto& d : b.dests) {
      if (auto it = reader.find(d.queue); it != reader.end()) {
        const auto& to = bots[it->second];
        g.edges.push_back(Edge{*gidx[i], d.path, d.queue, *gidx[it->second]});
        edge_locs_.push_back(d.loc);
        if (enabled && !to.cfg.enabled)
          warn(d.loc, b.cfg.id, "destination_queues",
               "queue '" + d.queue + "' leads to bot '" + to.cfg.id + "', which is disabled");
        continue;
      }
      if (auto it = collector.find(d.queue); it != collector.end()) {
        issue(lv, d.loc, b.cfg.id, "destination_queues",
              "queue '" + d.queue + "' is the source queue of collector '" +
                  bots[it->second].cfg.id + "', which reads no messages");
        continue;
      }
      if (auto it = unloaded.find(d.queue); it != unloaded.end()) {
        warn(d.loc, b.cfg.id, "destination_queues",
             "queue '" + d.queue + "' leads to bot '" + bots[it->second].cfg.id +
                 "', which is disabled and not loaded: messages sent there are dropped");
        continue;
      }
      if (opts_.allow_external_queues) continue;
      issue(lv, d.loc, b.cfg.id, "destination_queues", "queue '" + d.queue + "' is read by no bot");
    }
    // intelmqctl check: Collectors, Parsers and Experts need a _default destination.
    if (b.cfg.info->group != api::BotGroup::Output) {
      bool has_default = false;
      for (const auto& [p, qs] : b.cfg.destinations)
        has_default = has_default || (p == "_default" && !qs.empty());
      if (!has_default)
        issue(lv, b.dest_loc.line > 0 ? b.dest_loc : b.cfg.loc, b.cfg.id, {},
              "Misconfiguration: No (default) destination queue for '" + b.cfg.id + "'.");
    }
  }
}

void Loader::find_cycles(const std::vector<PendingBot>& bots, GraphConfig& g) {
  (void)bots;
  const std::size_t n = g.bots.size();
  std::vector<std::vector<std::size_t>> out(n);  // edge indices per node
  for (std::size_t e = 0; e < g.edges.size(); ++e) out[g.edges[e].from].push_back(e);
  // Tarjan's strongly connected components.
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  int counter = 0, ncomp = 0;
  std::function<void(std::size_t)> visit = [&](std::size_t v) {
    index[v] = low[v] = counter++;
    stack.push_back(v);
    on_stack[v] = true;
    for (std::size_t e : out[v]) {
      std::size_t w = g.edges[e].to;
      if (index[w] < 0) {
        visit(w);
        low[v] = std::min(low[v], low[w]);
      } else if (on_stack[w]) {
        low[v] = std::min(low[v], index[w]);
      }
    }
    if (low[v] == index[v]) {
      while (true) {
        std::size_t w = stack.back();
        stack.pop_back();
        on_stack[w] = false;
        comp[w] = ncomp;
        if (w == v) break;
      }
      ++ncomp;
    }
  };
  for (std::size_t v = 0; v < n; ++v)
    if (index[v] < 0) visit(v);

  std::vector<bool> reported(static_cast<std::size_t>(ncomp), false);
  for (std::size_t s = 0; s < n; ++s) {  // file order: the first bot of each cycle
    const int c = comp[s];
    if (reported[static_cast<std::size_t>(c)]) continue;
    // Shortest path s -> ... -> s inside the component (BFS over edges).
    std::vector<std::optional<std::size_t>> via(n);  // edge that reached the node
    std::vector<std::size_t> queue{s};
    std::optional<std::size_t> closing;
    for (std::size_t qi = 0; qi < queue.size() && !closing; ++qi) {
      std::size_t v = queue[qi];
      for (std::size_t e : out[v]) {
        std::size_t w = g.edges[e].to;
        if (comp[w] != c) continue;
        if (w == s) {
          closing = e;
          break;
        }
        if (!via[w]) {
          via[w] = e;
          queue.push_back(w);
        }
      }
    }
    if (!closing) continue;  // a single bot without a self-loop
    reported[static_cast<std::size_t>(c)] = true;
    std::vector<std::size_t> path_edges{*closing};
    for (std::size_t v = g.edges[*closing].from; v != s; v = g.edges[*via[v]].from)
      path_edges.push_back(*via[v]);
    std::reverse(path_edges.begin(), path_edges.end());
    std::string text = g.bots[s].id;
    for (std::size_t e : path_edges) text += " -> " + g.bots[g.edges[e].to].id;
    error(
        edge_locs_[path_edges.front()], g.bots[s].id, {},
        "cycle in the graph: " + text + " (via queue '" + g.edges[path_edges.front()].queue + "')");
  }
}

// ---------------------------------------------------------------------------

LoadResult Loader::run(const std::string& text) {
  LoadResult result;
  GraphConfig g;
  g.file = file_;
  YAML::Node root;
  bool parsed = false;
  try {
    root = YAML::Load(text);
    parsed = true;
  } catch (const YAML::Exception& e) {
    // IntelMQ falls back to JSON when YAML fails on tabs; JSON only has tabs
    // as whitespace outside strings, so blanks keep every position.
    auto first = text.find_first_not_of(" \t\r\n");
    if (text.find('\t') != std::string::npos && first != std::string::npos &&
        (text[first] == '{' || text[first] == '[')) {
      std::string untabbed = text;
      std::replace(untabbed.begin(), untabbed.end(), '\t', ' ');
      try {
        root = YAML::Load(untabbed);
        parsed = true;
      } catch (const YAML::Exception&) {
      }
    }
    if (!parsed) error(at(e.mark), {}, {}, "YAML syntax error: " + e.msg);
  }

  std::vector<PendingBot> bots;
  if (parsed) {
    if (!root.IsMap()) {
      error(at(root).line > 0 ? at(root) : SourceLoc{file_, 1, 1}, {}, {},
            root.IsNull() ? "the file is empty: expected a mapping of bot ids to bots"
                          : "the top level must be a mapping of bot ids to bots");
    } else {
      const auto top = entries(root);
      const YamlEntry* engine = nullptr;
      for (const auto& e : top) {
        if (e.key == "global") {
          if (e.value.IsMap())
            global_ = entries(e.value);
          else if (!e.value.IsNull())
            error(at(e.value), {}, {}, "'global' must be a mapping of parameters");
        } else if (e.key == "engine") {
          engine = &e;
        }
      }
      if (engine != nullptr) load_engine(engine->key_node, engine->value, g.engine);
      for (const auto& e : top) {
        if (e.key == "global" || e.key == "engine") continue;
        PendingBot b;
        b.cfg.id = e.key;
        b.cfg.loc = at(e.key_node);
        if (!e.key_node.IsScalar() || !valid_bot_id(e.key)) {
          b.broken = true;
          error(b.cfg.loc, e.key, {}, "invalid bot id: only letters, digits and '-' are allowed");
          bots.push_back(std::move(b));
          continue;
        }
        load_bot(b, e.key_node, e.value);
        bots.push_back(std::move(b));
      }
      if (bots.empty()) error(SourceLoc{file_, 1, 1}, {}, {}, "no bots configured");
    }
  }

  // Which bots are loaded.
  for (auto& b : bots) {
    if (b.cfg.info == nullptr) {
      b.excluded = true;
      if (!b.cfg.enabled)
        warn(b.cfg.loc, b.cfg.id, {}, "the bot is disabled and cannot be loaded: it is skipped");
      continue;
    }
    if (!b.cfg.enabled && (!opts_.include_disabled || b.broken)) {
      b.excluded = true;
      if (b.broken)
        warn(b.cfg.loc, b.cfg.id, {},
             "the bot is disabled and has problems (see above): it is skipped");
    }
  }
  // Global keys no bot uses.
  for (const auto& e : global_) {
    if (api::is_ignored_intelmq_param(e.key)) continue;
    bool used = false;
    for (const auto& b : bots)
      used =
          used || std::find(b.param_keys.begin(), b.param_keys.end(), e.key) != b.param_keys.end();
    if (!used && !bots.empty())
      warn(at(e.key_node), {}, e.key, "global parameter is not used by any bot");
  }

  for (const auto& b : bots)
    if (!b.excluded) g.bots.push_back(b.cfg);
  build_edges(bots, g);
  find_cycles(bots, g);

  // Engine paths.
  if (opts_.state_dir) g.engine.state_dir = *opts_.state_dir;
  if (g.engine.state_dir.empty()) g.engine.state_dir = std::string(kDefaultStateDir);
  if (g.engine.wal_dir.empty()) g.engine.wal_dir = g.engine.state_dir + "/wal";
  if (g.engine.log_dir.empty()) g.engine.log_dir = g.engine.state_dir + "/log";

  std::stable_sort(issues_.begin(), issues_.end(), [](const ConfigIssue& a, const ConfigIssue& b) {
    auto key = [](const ConfigIssue& i) {
      return std::pair(i.loc.line > 0 ? i.loc.line : INT_MAX, i.loc.column);
    };
    return key(a) < key(b);
  });
  const bool has_error = std::any_of(issues_.begin(), issues_.end(),
                                     [](const ConfigIssue& i) { return i.level == Level::Error; });
  result.issues = std::move(issues_);
  if (!has_error) result.graph = std::move(g);
  return result;
}

}  // namespace

LoadResult load_graph_text(const std::string& text, const std::string& file_name,
                           const LoadOptions& opts) {
  Loader loader(file_name, opts);
  return loader.run(text);
}

LoadResult load_graph(const std::string& path, const LoadOptions& opts) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.issues.push_back(ConfigIssue{Level::Error,
                                   SourceLoc{path, 0, 0},
                                   {},
                                   {},
                                   "cannot read the file: " + std::string(std::strerror(errno))});
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_graph_text(ss.str(), path, opts);
}

}  // namespace intelflow::config
