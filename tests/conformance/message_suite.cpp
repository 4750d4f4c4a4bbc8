// SPDX-License-Identifier: AGPL-3.0-or-later
// Suite "message": message_vectors.json scenarios, run against harmonization/message.hpp.
#include <algorithm>
#include <fstream>
#include <optional>

#include "harmonization/datetime.hpp"
#include "harmonization/harmonization.hpp"
#include "harmonization/message.hpp"
#include "tests/conformance/compare.hpp"
#include "tests/conformance/suite.hpp"

namespace intelflow::conformance {

namespace {

using harm::AddOptions;
using harm::AddResult;
using harm::Message;
using harm::MessageKind;
using harm::Value;
using HarmPtr = std::shared_ptr<const harm::Harmonization>;
using Pairs = std::vector<std::pair<std::string, Value>>;

constexpr std::string_view kSuite = "message";

/// Signals a malformed or unsupported scenario (a runner problem, not a port failure).
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::optional<MessageKind> kind_by_name(const Json& j) {
  if (!j.is_string()) return std::nullopt;
  const auto& s = j.get_ref<const std::string&>();
  if (s == "Event") return MessageKind::Event;
  if (s == "Report") return MessageKind::Report;
  return std::nullopt;
}

Pairs to_pairs(const Json& j) {
  Pairs out;
  if (j.is_null()) return out;
  if (j.is_object()) {  // tolerate {k: v} as well as [[k, v], ...]
    for (auto it = j.begin(); it != j.end(); ++it) out.emplace_back(it.key(), to_value(it.value()));
    return out;
  }
  if (!j.is_array()) throw ScenarioError("expected a list of [key, value] pairs: " + brief(j));
  for (const auto& p : j) {
    if (!p.is_array() || p.size() != 2 || !p[0].is_string())
      throw ScenarioError("bad [key, value] pair: " + brief(p));
    out.emplace_back(p[0].get<std::string>(), to_value(p[1]));
  }
  return out;
}

std::vector<std::string> to_strings(const Json& j) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (j.is_string()) return {j.get<std::string>()};
  for (const auto& e : j) {
    if (!e.is_string()) throw ScenarioError("expected a list of strings: " + brief(j));
    out.push_back(e.get<std::string>());
  }
  return out;
}

Value add_result(AddResult r) {
  switch (r) {
    case AddResult::Added:
      return Value::boolean(true);
    case AddResult::Rejected:
      return Value::boolean(false);
    case AddResult::Ignored:
      return Value();
  }
  return Value();
}

Value string_list(const std::vector<std::string>& keys) {
  Value::List l;
  l.reserve(keys.size());
  for (const auto& k : keys) l.push_back(Value::string(k));
  return Value::list(std::move(l));
}

/// dict(message): the stored flat items.
Value flat_dict(const Message& m) {
  Value::Dict d;
  d.reserve(m.entries().size());
  for (const auto& e : m.entries()) d.emplace_back(e.key, e.value);
  return Value::dict(std::move(d));
}

/// {kind, dict, keys} as the copy/deep_copy ops record it.
Value describe(const Message& m) {
  Value::Dict d;
  d.emplace_back("kind", Value::string(std::string(harm::kind_name(m.kind()))));
  d.emplace_back("dict", flat_dict(m));
  d.emplace_back("keys", string_list(m.keys()));
  return Value::dict(std::move(d));
}

/// Builds a message as a scenario's `init` says (VECTORS.md).
Message build(std::optional<MessageKind> kind, const Json& init, const HarmPtr& harm) {
  if (init.is_null()) {
    if (!kind) throw ScenarioError("init null needs a kind");
    return Message(*kind, harm);  // Event() / Report(auto=true)
  }
  if (!init.is_object()) throw ScenarioError("unsupported init " + brief(init));
  if (init.contains("from_report")) {
    Message report = build(MessageKind::Report, init["from_report"], harm);
    std::vector<std::string> copy_fields;
    if (init.contains("copy_collector_provided_fields"))
      copy_fields = to_strings(init["copy_collector_provided_fields"]);
    return Message::event_from_report(report, copy_fields);
  }
  if (init.contains("from_event")) {
    Message event = build(MessageKind::Event, init["from_event"], harm);
    return Message::report_from_event(event, init.value("auto", false));
  }
  if (init.contains("unserialize")) {
    const auto& text = init["unserialize"];
    if (!text.is_string()) throw ScenarioError("unserialize needs a JSON text");
    std::optional<MessageKind> dflt;
    if (init.contains("default_type") && !init["default_type"].is_null()) {
      dflt = kind_by_name(init["default_type"]);
      if (!dflt) throw ScenarioError("unsupported default_type " + brief(init["default_type"]));
    }
    return Message::unserialize(text.get_ref<const std::string&>(), harm, dflt);
  }
  if (init.contains("from_dict")) {
    std::optional<MessageKind> dflt;
    if (init.contains("default_type") && !init["default_type"].is_null())
      dflt = kind_by_name(init["default_type"]);
    return Message::from_dict(to_pairs(init["from_dict"]), harm, dflt);
  }
  if (init.contains("fields")) {
    if (!kind) throw ScenarioError("init fields needs a kind");
    // Event(fields) / Report(fields, auto); Python's default is auto=False.
    return Message::from_pairs(*kind, to_pairs(init["fields"]), harm, init.value("auto", false));
  }
  throw ScenarioError("unsupported init " + brief(init));
}

/// One scenario's message.
struct State {
  HarmPtr harm;
  Message msg;
};

bool jsondict_key(const State& st, std::string_view key) {
  if (const auto* f = st.harm->find(st.msg.kind(), key)) return f->type == harm::TypeId::JSONDict;
  return key == "extra";
}

const Json& arg(const Json& args, const char* name) {
  static const Json kNull;
  auto it = args.find(name);
  return it == args.end() ? kNull : *it;
}

std::string arg_string(const Json& args, const char* name) {
  const auto& a = arg(args, name);
  if (!a.is_string()) throw ScenarioError(std::string("op argument ") + name + " must be a string");
  return a.get<std::string>();
}

bool arg_bool(const Json& args, const char* name, bool dflt) {
  const auto& a = arg(args, name);
  if (a.is_null()) return dflt;
  if (!a.is_boolean()) throw ScenarioError(std::string("op argument ") + name + " must be a bool");
  return a.get<bool>();
}

/// The arguments each op takes (VECTORS.md); anything else is a runner error, so a
/// new argument in the vectors is never silently ignored.
void check_args(const std::string& op, const Json& args) {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kArgs = {
      {"add", {"key", "value", "sanitize", "overwrite", "ignore", "raise_failure"}},
      {"change", {"key", "value", "sanitize"}},
      {"update", {"items"}},
      {"get", {"key", "default"}},
      {"getitem", {"key"}},
      {"contains", {"key"}},
      {"delete", {"key"}},
      {"keys", {}},
      {"finditems", {"prefix"}},
      {"is_valid", {"key", "value", "sanitize"}},
      {"hash", {"filter_keys", "filter_type"}},
      {"to_dict", {"hierarchical", "with_type", "jsondict_as_string"}},
      {"to_json", {"hierarchical", "with_type", "jsondict_as_string"}},
      {"serialize", {}},
      {"copy", {}},
      {"deep_copy", {}},
      {"set_default_value", {"value"}},
      {"equals_fresh", {"kind", "init"}},
  };
  for (const auto& [name, known] : kArgs) {
    if (name != op) continue;
    for (auto it = args.begin(); it != args.end(); ++it) {
      if (std::find(known.begin(), known.end(), it.key()) == known.end())
        throw ScenarioError("unsupported argument " + it.key() + " of op " + op);
    }
    return;
  }
  throw ScenarioError("unknown op " + op);
}

/// Runs one op; returns its Outcome. `json_text` is set when the result is a JSON text.
Outcome run_op(State& st, const std::string& op, const Json& args, bool& json_text) {
  json_text = false;
  check_args(op, args);
  if (op == "add") {
    const std::string key = arg_string(args, "key");
    Value value = to_value(arg(args, "value"));
    AddOptions o;
    o.sanitize = arg_bool(args, "sanitize", true);
    if (const auto& ow = arg(args, "overwrite"); !ow.is_null())
      o.overwrite = arg_bool(args, "overwrite", false);
    o.raise_failure = arg_bool(args, "raise_failure", true);
    std::optional<Value> ignore;
    if (args.contains("ignore")) ignore = to_value(args["ignore"]);
    if (ignore) o.ignore = &*ignore;
    return Outcome::capture([&] { return add_result(st.msg.add(key, std::move(value), o)); });
  }
  if (op == "change") {
    const std::string key = arg_string(args, "key");
    Value value = to_value(arg(args, "value"));
    const bool sanitize = arg_bool(args, "sanitize", true);
    return Outcome::capture(
        [&] { return add_result(st.msg.change(key, std::move(value), sanitize)); });
  }
  if (op == "update") {
    Pairs items = to_pairs(arg(args, "items"));
    return Outcome::capture([&] {
      st.msg.update(items);
      return Value();
    });
  }
  if (op == "get" || op == "getitem") {
    const std::string key = arg_string(args, "key");
    json_text = jsondict_key(st, key);
    if (op == "getitem") return Outcome::capture([&] { return st.msg.getitem(key); });
    Value dflt = to_value(arg(args, "default"));
    return Outcome::capture([&] { return st.msg.get(key, dflt); });
  }
  if (op == "contains") {
    const std::string key = arg_string(args, "key");
    return Outcome::capture([&] { return Value::boolean(st.msg.contains(key)); });
  }
  if (op == "delete") {
    const std::string key = arg_string(args, "key");
    return Outcome::capture([&] {
      st.msg.remove(key);
      return Value();
    });
  }
  if (op == "keys") return Outcome::capture([&] { return string_list(st.msg.keys()); });
  if (op == "finditems") {
    const std::string prefix = arg_string(args, "prefix");
    return Outcome::capture([&] {
      Value::List l;
      for (auto& [k, v] : st.msg.finditems(prefix))
        l.push_back(Value::list({Value::string(k), std::move(v)}));
      return Value::list(std::move(l));
    });
  }
  if (op == "is_valid") {
    const std::string key = arg_string(args, "key");
    Value value = to_value(arg(args, "value"));
    const bool sanitize = arg_bool(args, "sanitize", true);
    return Outcome::capture([&] { return Value::boolean(st.msg.is_valid(key, value, sanitize)); });
  }
  if (op == "hash") {
    std::vector<std::string> keys = to_strings(arg(args, "filter_keys"));
    std::string type =
        arg(args, "filter_type").is_null() ? "blacklist" : arg_string(args, "filter_type");
    return Outcome::capture([&] { return Value::string(st.msg.hash(keys, type)); });
  }
  if (op == "to_dict") {
    const bool h = arg_bool(args, "hierarchical", false);
    const bool t = arg_bool(args, "with_type", false);
    const bool j = arg_bool(args, "jsondict_as_string", false);
    return Outcome::capture([&] { return st.msg.to_dict(h, t, j); });
  }
  if (op == "to_json") {
    // The reference's to_json ignores jsondict_as_string (core.md §1.4).
    const bool h = arg_bool(args, "hierarchical", false);
    const bool t = arg_bool(args, "with_type", false);
    json_text = true;
    return Outcome::capture([&] { return Value::string(st.msg.to_json(h, t)); });
  }
  if (op == "serialize") {
    json_text = true;
    return Outcome::capture([&] { return Value::string(st.msg.serialize()); });
  }
  if (op == "copy") return Outcome::capture([&] { return describe(st.msg.copy()); });
  if (op == "deep_copy") return Outcome::capture([&] { return describe(st.msg.deep_copy()); });
  if (op == "set_default_value") {
    Value v = to_value(arg(args, "value"));
    return Outcome::capture([&] {
      st.msg.set_default_value(std::move(v));
      return Value();
    });
  }
  if (op == "equals_fresh") {
    const auto kind = kind_by_name(arg(args, "kind"));
    if (!kind) throw ScenarioError("equals_fresh needs kind Event or Report");
    const Json& init = arg(args, "init");
    return Outcome::capture([&] {
      Message fresh = build(kind, init, st.harm);
      return Value::boolean(st.msg == fresh);
    });
  }
  throw ScenarioError("unknown op " + op);
}

void check_final(const State& st, const Json& final_, std::vector<std::string>& diffs) {
  const Message& m = st.msg;
  if (final_.contains("keys"))
    compare_outcome(final_["keys"], nullptr,
                    Outcome::capture([&] { return string_list(m.keys()); }), "final.keys", diffs);
  if (final_.contains("dict"))
    compare_outcome(final_["dict"], nullptr, Outcome::capture([&] { return flat_dict(m); }),
                    "final.dict", diffs);
  if (final_.contains("hash") || final_.contains("hash_error"))
    compare_outcome(final_.value("hash", Json()),
                    final_.contains("hash_error") ? &final_["hash_error"] : nullptr,
                    Outcome::capture([&] { return Value::string(m.hash()); }), "final.hash", diffs);
  if (final_.contains("serialize") || final_.contains("serialize_error"))
    compare_outcome(final_.value("serialize", Json()),
                    final_.contains("serialize_error") ? &final_["serialize_error"] : nullptr,
                    Outcome::capture([&] { return Value::string(m.serialize()); }),
                    "final.serialize", diffs, true);
  if (final_.contains("hierarchical") || final_.contains("hierarchical_error"))
    compare_outcome(final_.value("hierarchical", Json()),
                    final_.contains("hierarchical_error") ? &final_["hierarchical_error"] : nullptr,
                    Outcome::capture([&] { return m.to_dict(true); }), "final.hierarchical", diffs);
}

void run_scenario(const Json& sc, const HarmPtr& harm, std::vector<std::string>& diffs) {
  const auto kind = kind_by_name(sc.value("kind", Json()));
  const Json& init = sc.contains("init") ? sc["init"] : Json();
  const Json* init_error = sc.contains("init_error") ? &sc["init_error"] : nullptr;
  const bool expect_init_error = init_error && init_error->is_string();

  std::optional<Message> built;
  Outcome init_out = Outcome::capture([&] {
    built.emplace(build(kind, init, harm));
    return Value();
  });
  if (expect_init_error) {
    if (!init_out.threw())
      diffs.push_back("init " + brief(init) + ": expected error " + init_error->get<std::string>() +
                      ", got a message " + render(flat_dict(*built)));
    else
      compare_outcome(Json(), init_error, init_out, "init " + brief(init), diffs);
    return;  // the ops are recorded as skipped and final is null
  }
  if (init_out.threw()) {
    diffs.push_back("init " + brief(init) + ": expected a message, got " +
                    init_out.describe_error());
    return;
  }
  if (kind && built->kind() != *kind) {
    diffs.push_back("init: expected a " + std::string(harm::kind_name(*kind)) + ", got a " +
                    std::string(harm::kind_name(built->kind())));
  }

  State st{harm, std::move(*built)};
  const Json& ops = sc.contains("ops") ? sc["ops"] : Json::array();
  std::size_t index = 0;
  for (const auto& op : ops) {
    const std::size_t n = index++;
    if (op.value("skipped", false)) continue;
    const std::string name = op.value("op", "?");
    const Json& args = op.contains("args") && op["args"].is_object() ? op["args"] : Json::object();
    const std::string label = "op#" + std::to_string(n) + " " + name + brief(args);
    bool json_text = false;
    Outcome out;
    try {
      out = run_op(st, name, args, json_text);
    } catch (const std::exception& ex) {  // ScenarioError, Unsupported, JSON access errors
      diffs.push_back(label + ": runner: " + ex.what());
      continue;
    }
    compare_outcome(op.value("result", Json()), op.contains("error") ? &op["error"] : nullptr, out,
                    label, diffs, json_text);
  }
  if (sc.contains("final") && sc["final"].is_object()) check_final(st, sc["final"], diffs);
}

class MessageSuite final : public Suite {
 public:
  std::string_view name() const noexcept override { return kSuite; }
  bool present(const Options& opts) const override {
    return std::filesystem::is_regular_file(opts.message_vectors_file());
  }

  void run(const Options& opts, Report& report) override {
    Json doc;
    {
      std::ifstream in(opts.message_vectors_file());
      doc = Json::parse(in);
    }
    std::optional<std::int64_t> meta_clock;
    if (doc.contains("meta") && doc["meta"].contains("clock") && doc["meta"]["clock"].is_string())
      meta_clock = parse_clock(doc["meta"]["clock"].get<std::string>());

    HarmPtr harm;
    std::string harm_error;
    try {
      const auto conf = opts.dir / "harmonization.conf";
      harm = std::filesystem::is_regular_file(conf) ? harm::Harmonization::from_file(conf.string())
                                                    : harm::Harmonization::default_instance();
    } catch (const std::exception& ex) {
      harm_error = std::string("cannot load the harmonization: ") + ex.what();
    }

    for (const auto& sc : doc.value("scenarios", Json::array())) {
      std::string id = sc.value("id", "scenario/?");
      if (!opts.selected(id, sc.value("name", ""))) continue;
      if (sc.contains("tags") && sc["tags"].is_array() && !sc["tags"].empty()) {
        std::string tags;
        for (const auto& t : sc["tags"]) tags += (tags.empty() ? "" : ",") + t.get<std::string>();
        report.skip(std::move(id), kSuite, "tags " + tags);
        continue;
      }
      set_current_item(id);
      std::vector<std::string> diffs;
      if (!harm) {
        diffs.push_back(harm_error);
      } else {
        std::optional<std::int64_t> clock = meta_clock;
        if (sc.contains("clock") && sc["clock"].is_string())
          if (auto c = parse_clock(sc["clock"].get<std::string>())) clock = c;
        harm::datetime::set_clock_override(clock);
        try {
          run_scenario(sc, harm, diffs);
        } catch (const std::exception& ex) {
          diffs.push_back(std::string("runner: ") + ex.what());
        }
      }
      report.add(std::move(id), kSuite, std::move(diffs), sc.value("name", ""));
    }
    harm::datetime::set_clock_override(std::nullopt);
  }
};

}  // namespace

std::unique_ptr<Suite> make_message_suite() {
  return std::make_unique<MessageSuite>();
}

}  // namespace intelflow::conformance
