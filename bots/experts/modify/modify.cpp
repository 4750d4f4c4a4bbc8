// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.modify.expert: rule-file driven field rewriting (bots.md §2.3).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bots/common/pyregex.hpp"
#include "bots/common/template.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;
using harm::ErrorKind;
using harm::HarmonizationError;

// ------------------------------------------------------------------ rule model

/// One `if` entry.
struct Condition {
  enum class Kind : std::uint8_t { Absent, Regex, Equals };
  std::string field;
  Kind kind = Kind::Equals;
  std::unique_ptr<PyRegex> re;  ///< Regex
  Value expected;               ///< Equals
  int slot = -1;                ///< Regex: index of its match in the rule's match slots
  bool captured = false;        ///< a template reads this match: keep subject + groups
};

/// A replacement field of a `then` template, resolved at load time.
struct FieldRef {
  enum class Kind : std::uint8_t { Msg, Match, Attribute };
  Kind kind = Kind::Msg;
  std::string key;       ///< Msg: event key
  int slot = -1;         ///< Match: condition slot
  int group = 0;         ///< Match: group number
  std::size_t rest = 0;  ///< index of the first step after the resolved ones
  bool int_key = false;  ///< Msg with an int index: always KeyError
};

/// One `then` entry.
struct Action {
  std::string field;
  bool is_template = false;
  FormatTemplate tmpl;
  std::vector<FieldRef> refs;  ///< one per field piece of tmpl, in order
  Value literal;               ///< non-string values, and templates without fields
};

struct Rule {
  std::string name;
  std::vector<Condition> conditions;
  std::vector<Action> actions;
  int slots = 0;
};

/// Per-thread scratch: copies of matched subjects and their group offsets
/// (a rule's actions may change a matched field before a later action reads
/// the match, as Python's match objects keep the old string), and the render
/// buffer. Reused across events: no allocation after warm-up.
struct Scratch {
  std::vector<std::string> subjects;
  std::vector<std::vector<std::size_t>> groups;
  std::string render;
  std::string text;
};

// ------------------------------------------------------------------ YAML → Value

bool is_int_literal(const std::string& s) {
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

bool is_float_literal(const std::string& s) {
  // YAML 1.2 core: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  bool exp = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exp = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t e0 = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == e0) return false;
  }
  return i == s.size() && (dot || exp);
}

Value scalar_value(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return Value::string(s);  // quoted / block scalar
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value::null();
  if (s == "true" || s == "True" || s == "TRUE") return Value::boolean(true);
  if (s == "false" || s == "False" || s == "FALSE") return Value::boolean(false);
  if (is_int_literal(s)) {
    try {
      return Value::integer(std::stoll(s));
    } catch (const std::out_of_range&) {
      std::string d = s[0] == '+' ? s.substr(1) : s;
      return Value::big_integer(d);
    }
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    try {
      return Value::integer(std::stoll(s.substr(2), nullptr, s[1] == 'x' ? 16 : 8));
    } catch (const std::exception&) {
      return Value::string(s);
    }
  }
  if (is_float_literal(s)) return Value::floating(std::stod(s));
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf" || s == "+.Inf" || s == "+.INF")
    return Value::floating(HUGE_VAL);
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return Value::floating(-HUGE_VAL);
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return Value::floating(std::nan(""));
  return Value::string(s);
}

Value yaml_to_value(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return scalar_value(n);
    case YAML::NodeType::Sequence: {
      Value::List l;
      for (const auto& e : n) l.push_back(yaml_to_value(e));
      return Value::list(std::move(l));
    }
    case YAML::NodeType::Map: {
      Value::Dict d;
      for (const auto& kv : n) d.emplace_back(kv.first.as<std::string>(), yaml_to_value(kv.second));
      return Value::dict(std::move(d));
    }
    default:
      return Value::null();
  }
}

// ------------------------------------------------------------------ loading

class RuleLoader {
 public:
  RuleLoader(std::string path, bool ignore_case, const harm::Harmonization& harm)
      : path_(std::move(path)), ignore_case_(ignore_case), harm_(harm) {}

  std::vector<Rule> load() {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path_);
    } catch (const YAML::BadFile&) {
      throw ConfigError("configuration_path", path_ + ": cannot open the rule file");
    } catch (const YAML::Exception& e) {
      throw ConfigError("configuration_path",
                        path_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (!root.IsSequence())
      fail(root, root.IsMap()
                     ? "expected a list of rules (the pre-3.0 dict format is not supported)"
                     : "expected a list of rules");
    std::vector<Rule> rules;
    for (const auto& node : root) rules.push_back(load_rule(node));
    return rules;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& at, const std::string& reason) const {
    int line = at.Mark().line >= 0 ? at.Mark().line + 1 : 1;
    throw ConfigError("configuration_path", path_ + ":" + std::to_string(line) + ": " + reason);
  }

  std::string key_text(const YAML::Node& k) const {
    if (!k.IsScalar()) fail(k, "field names must be strings");
    return k.Scalar();
  }

  void check_field(const YAML::Node& at, const std::string& key, const std::string& rule) const {
    if (harm_.find(harm::MessageKind::Event, key) != nullptr) return;
    auto dot = key.find('.');
    std::string_view first = std::string_view(key).substr(0, dot);
    if (harm_.is_jsondict_field(harm::MessageKind::Event, first) &&
        (dot == std::string::npos || harm::valid_key_syntax(key)))
      return;
    fail(at, "rule '" + rule + "': '" + key + "' is not a valid event field");
  }

  Rule load_rule(const YAML::Node& node) {
    if (!node.IsMap()) fail(node, "a rule must be a mapping with rulename, if and then");
    Rule r;
    YAML::Node name = node["rulename"];
    YAML::Node cond = node["if"];
    YAML::Node then = node["then"];
    if (!name) fail(node, "rule without 'rulename'");
    r.name = name.IsScalar() ? name.Scalar() : std::string("?");
    if (!cond || !cond.IsMap())
      fail(cond ? cond : node, "rule '" + r.name + "': 'if' must be a mapping");
    if (!then || !then.IsMap())
      fail(then ? then : node, "rule '" + r.name + "': 'then' must be a mapping");

    for (const auto& kv : cond) {
      Condition c;
      c.field = key_text(kv.first);
      Value v = yaml_to_value(kv.second);
      if (v.is_string() && v.as_string().empty()) {
        c.kind = Condition::Kind::Absent;
      } else if (v.is_string()) {
        c.kind = Condition::Kind::Regex;
        try {
          c.re = std::make_unique<PyRegex>(v.as_string(), ignore_case_);
        } catch (const RegexError& e) {
          fail(kv.second, "rule '" + r.name + "', field '" + c.field + "': " + e.what());
        }
        c.slot = r.slots++;
      } else {
        c.kind = Condition::Kind::Equals;
        c.expected = std::move(v);
      }
      r.conditions.push_back(std::move(c));
    }

    for (const auto& kv : then) {
      Action a;
      a.field = key_text(kv.first);
      check_field(kv.first, a.field, r.name);
      Value v = yaml_to_value(kv.second);
      if (v.is_string()) {
        try {
          a.tmpl = FormatTemplate::parse(v.as_string());
        } catch (const FormatError& e) {
          fail(kv.second,
               "rule '" + r.name + "', field '" + a.field + "': bad template: " + e.what());
        }
        if (a.tmpl.is_literal()) {
          std::string lit;
          for (const auto& p : a.tmpl.pieces()) lit += p.literal;
          a.literal = Value::string(std::move(lit));
        } else {
          a.is_template = true;
          for (const auto& p : a.tmpl.pieces())
            if (p.is_field) a.refs.push_back(resolve(kv.second, r, a.field, p));
        }
      } else {
        a.literal = std::move(v);
      }
      r.actions.push_back(std::move(a));
    }
    return r;
  }

  FieldRef resolve(const YAML::Node& at, Rule& r, const std::string& field,
                   const TemplatePiece& p) const {
    auto where = "rule '" + r.name + "', field '" + field + "': ";
    FieldRef ref;
    if (p.root.empty() ||
        std::all_of(p.root.begin(), p.root.end(), [](char c) { return c >= '0' && c <= '9'; }))
      fail(at, where + "positional replacement field '{" + p.root +
                   "}' (use {msg[...]} or {matches[...][...]})");
    if (p.root == "msg") {
      if (p.steps.empty()) fail(at, where + "'{msg}' needs a field: {msg[field]}");
      if (p.steps[0].is_attr) {
        ref.kind = FieldRef::Kind::Attribute;  // Python: AttributeError → template used verbatim
        return ref;
      }
      ref.kind = FieldRef::Kind::Msg;
      ref.key = p.steps[0].key;
      ref.int_key = p.steps[0].is_int;
      ref.rest = 1;
      return ref;
    }
    if (p.root == "matches") {
      if (p.steps.size() < 2 || p.steps[0].is_attr || p.steps[1].is_attr)
        fail(at, where + "use {matches[field][group]}");
      const std::string& mf = p.steps[0].key;
      Condition* c = nullptr;
      for (auto& cc : r.conditions)
        if (cc.field == mf && cc.kind == Condition::Kind::Regex) c = &cc;
      if (c == nullptr || p.steps[0].is_int)
        fail(at, where + "no regular-expression condition on '" + mf + "' in this rule");
      ref.kind = FieldRef::Kind::Match;
      ref.slot = c->slot;
      c->captured = true;
      if (p.steps[1].is_int) {
        if (p.steps[1].index > c->re->capture_count())
          fail(at, where + "no group " + p.steps[1].key + " in the pattern of '" + mf + "'");
        ref.group = static_cast<int>(p.steps[1].index);
      } else {
        auto g = c->re->group_number(p.steps[1].key);
        if (!g)
          fail(at,
               where + "no group named '" + p.steps[1].key + "' in the pattern of '" + mf + "'");
        ref.group = *g;
      }
      ref.rest = 2;
      return ref;
    }
    fail(at, where + "unknown name '" + p.root + "' (only msg and matches exist)");
  }

  std::string path_;
  bool ignore_case_;
  const harm::Harmonization& harm_;
};

// ------------------------------------------------------------------ the bot

/// Applies the rules of a modify rule file to every event, in order; rules
/// are read-only after init, so the bot is safe to run concurrently.
class ModifyExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    overwrite_ = p.get_bool("overwrite", true);
    max_matches_ = p.get_int("maximum_matches", 0);
    auto path = p.get_optional_string("configuration_path");
    if (!path || path->empty()) throw ConfigError("configuration_path", "is required");
    RuleLoader loader(*path, !p.get_bool("case_sensitive", true), *ctx.harmonization);
    rules_ = loader.load();
    log().debug("Loaded {} rules from {}.", rules_.size(), *path);
  }

  void process(Message& ev, api::Emitter& out) override {
    thread_local Scratch s;
    std::int64_t applied = 0;
    for (const Rule& r : rules_) {
      if (!matches(r, ev, s)) continue;
      ++applied;
      apply(r, ev, s);
      if (max_matches_ != 0 && applied >= max_matches_) break;
    }
    out.send(std::move(ev));
  }

 private:
  /// The condition value as Python's event[name] returns it (extra → JSON text).
  static const Value* lookup(const Message& ev, const std::string& key, Value& tmp) {
    if (const Value* v = ev.find(key)) return v;
    if (!ev.contains(key)) return nullptr;
    tmp = ev.getitem(key);
    return &tmp;
  }

  bool matches(const Rule& r, const Message& ev, Scratch& s) const {
    if (s.subjects.size() < static_cast<std::size_t>(r.slots)) {
      s.subjects.resize(r.slots);
      s.groups.resize(r.slots);
    }
    Value tmp;
    for (const Condition& c : r.conditions) {
      if (c.kind == Condition::Kind::Absent) {
        if (ev.contains(c.field)) return false;
        continue;
      }
      const Value* v = lookup(ev, c.field, tmp);
      if (v == nullptr) return false;
      if (c.kind == Condition::Kind::Equals) {
        if (!(*v == c.expected)) return false;
        continue;
      }
      if (!c.captured && v->is_string()) {  // nothing reads the match: no copy
        if (!c.re->search(v->as_string())) return false;
        continue;
      }
      std::string& subject = c.captured ? s.subjects[c.slot] : s.text;
      switch (v->kind()) {
        case harm::Kind::String:
        case harm::Kind::BigInt:
          subject.assign(v->as_string());
          break;
        case harm::Kind::Int: {
          char buf[24];
          auto res = std::to_chars(buf, buf + sizeof buf, v->as_int());
          subject.assign(buf, res.ptr);
          break;
        }
        case harm::Kind::Float:
        case harm::Kind::Bool:
          subject = harm::py::str(*v);
          break;
        default:
          throw HarmonizationError(ErrorKind::ValueError,
                                   "rule '" + r.name +
                                       "': cannot match a regular expression on the list/object "
                                       "value of '" +
                                       c.field +
                                       "' (TypeError: expected string or bytes-like object)");
      }
      if (!c.re->search(subject, c.captured ? &s.groups[c.slot] : nullptr)) return false;
    }
    return true;
  }

  void apply(const Rule& r, Message& ev, Scratch& s) const {
    harm::AddOptions opts;
    opts.overwrite = overwrite_;
    for (const Action& a : r.actions) {
      if (!a.is_template) {
        ev.add(a.field, a.literal, opts);
        continue;
      }
      if (render(a, ev, s))
        ev.add(a.field, Value::string(std::string_view(s.render)), opts);
      else  // AttributeError in str.format: the reference stores the template unchanged
        ev.add(a.field, Value::string(a.tmpl.source()), opts);
    }
  }

  /// Renders a template into s.render; false on Python's AttributeError.
  bool render(const Action& a, const Message& ev, Scratch& s) const {
    s.render.clear();
    std::size_t ref_i = 0;
    for (const auto& p : a.tmpl.pieces()) {
      if (!p.is_field) {
        s.render += p.literal;
        continue;
      }
      const FieldRef& ref = a.refs[ref_i++];
      if (ref.kind == FieldRef::Kind::Attribute) return false;
      FormatArg arg;
      Value tmp;
      if (ref.kind == FieldRef::Kind::Msg) {
        const Value* v = ref.int_key ? nullptr : lookup(ev, ref.key, tmp);
        if (v == nullptr) throw HarmonizationError(ErrorKind::KeyError, "'" + ref.key + "'");
        if (v != &tmp && ref.rest < p.steps.size()) {
          tmp = *v;
          v = &tmp;
        }
        arg = FormatArg::of_value(*v);
      } else {
        const auto& g = s.groups[ref.slot];
        std::size_t b = g[2 * ref.group], e = g[2 * ref.group + 1];
        if (b == kRegexUnset) {
          arg = FormatArg::none();
        } else {
          arg = FormatArg::of_text(std::string_view(s.subjects[ref.slot]).substr(b, e - b));
          if (ref.rest < p.steps.size()) {
            tmp = Value::string(arg.text);
            arg = FormatArg::of_value(tmp);
          }
        }
      }
      for (std::size_t k = ref.rest; k < p.steps.size(); ++k) {
        if (p.steps[k].is_attr) return false;
        if (arg.kind == FormatArg::Kind::None)
          throw HarmonizationError(ErrorKind::ValueError, "'NoneType' object is not subscriptable");
        tmp = subscript(tmp, p.steps[k]);
        arg = FormatArg::of_value(tmp);
      }
      try {
        format_arg(s.render, arg, p.conversion, p.spec);
      } catch (const FormatError& e) {
        throw HarmonizationError(ErrorKind::ValueError, e.what());
      }
    }
    return true;
  }

  std::vector<Rule> rules_;
  bool overwrite_ = true;
  std::int64_t max_matches_ = 0;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.modify.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Rewrites fields by the rules of a JSON/YAML rule file: regular-expression and "
                   "value conditions, str.format templates with {msg[field]} and "
                   "{matches[field][group]}.",
    .params =
        {
            api::ParamSpec{"configuration_path", api::ParamType::String, "null", true,
                           "Rule file (JSON or YAML): a list of {rulename, if, then} objects. "
                           "Loaded and compiled once at start; errors refuse the start with "
                           "file:line."},
            api::ParamSpec{"case_sensitive", api::ParamType::Bool, "true", false,
                           "false: regular expressions match case-insensitively."},
            api::ParamSpec{"maximum_matches", api::ParamType::Int, "null", false,
                           "Stop after this many applied rules (null or 0: no limit)."},
            api::ParamSpec{"overwrite", api::ParamType::Bool, "true", false,
                           "Replace fields that already exist (false: keep them)."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<ModifyExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
