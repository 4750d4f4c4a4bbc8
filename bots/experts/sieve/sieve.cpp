// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.sieve.expert: filters, modifies and routes events by the rules of a
// sieve file.

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "bots/experts/sieve/sieve_program.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types_detail.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;
using namespace sieve;  // NOLINT(google-build-using-namespace)

enum class Flow : std::uint8_t { Continue, Keep, Drop };

/// Per-event evaluation state: the event, the variables, the chosen paths.
struct State {
  Message& ev;
  api::Emitter& out;
  std::vector<std::optional<Value>> vars;
  const std::vector<std::string>* paths = nullptr;
  Value scratch;      ///< the value of a key that is not stored as such ("extra")
  std::string buf_l;  ///< stringified left-hand side
  std::string buf_r;  ///< stringified right-hand side
};

/// A value as text for :contains / =~: strings as they are, lists and
/// objects as JSON, everything else as Python's str().
std::string_view stringify(const Value& v, std::string& buf) {
  if (v.is_string()) return v.as_string();
  buf.clear();
  if (v.is_list() || v.is_dict())
    harm::py::append_json(buf, v);
  else
    harm::py::append_str(buf, v);
  return buf;
}

enum class Order : std::uint8_t { Less, Equal, Greater, Unordered };

double to_double(const Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_float()) return v.as_float();
  return std::strtod(v.as_string().c_str(), nullptr);  // BigInt digits
}

/// Python's numeric comparison of two values; nullopt if one is no number.
std::optional<Order> compare_numbers(const Value& a, const Value& b) {
  const bool an = a.is_number() || a.is_bool();
  const bool bn = b.is_number() || b.is_bool();
  if (!an || !bn) return std::nullopt;
  auto as_int = [](const Value& v) { return v.is_bool() ? std::int64_t{v.as_bool()} : v.as_int(); };
  if ((a.is_int() || a.is_bool()) && (b.is_int() || b.is_bool())) {
    const std::int64_t x = as_int(a), y = as_int(b);
    return x < y ? Order::Less : x > y ? Order::Greater : Order::Equal;
  }
  const double x = to_double(a), y = to_double(b);
  if (std::isnan(x) || std::isnan(y)) return Order::Unordered;
  return x < y ? Order::Less : x > y ? Order::Greater : Order::Equal;
}

bool list_contains(const Value::List& l, const Value& x) {
  for (const Value& e : l)
    if (e == x) return true;
  return false;
}

/// Filters, modifies and routes events by a sieve rule file. The program is
/// immutable after init; all per-event state lives in a local State, so the
/// bot runs concurrently.
class SieveExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const std::string file = params().get_string("file");
    if (file.empty()) throw ConfigError("file", "a sieve rule file is required");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError("file", file + ": cannot open the file (does it exist?)");
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
      prog_ = parse_sieve(ss.str(), file, *ctx.harmonization);
    } catch (const std::exception& e) {
      throw ConfigError("file", e.what());
    }
  }

  void process(Message& ev, api::Emitter& out) override {
    State st{ev, out, {}, nullptr, {}, {}, {}};
    st.vars.resize(prog_.variables.size());
    Flow flow = Flow::Continue;
    for (const Statement& s : prog_.statements) {
      flow = run(s, st);
      if (flow != Flow::Continue) break;
    }
    if (flow == Flow::Drop) return;  // drop() was reported by the action
    if (st.paths == nullptr || st.paths->empty()) {
      out.send(std::move(ev));
      return;
    }
    const std::vector<std::string>& paths = *st.paths;
    for (std::size_t i = 0; i + 1 < paths.size(); ++i) {
      Message copy = ev;
      out.send(std::move(copy), paths[i]);
    }
    out.send(std::move(ev), paths.back());
  }

 private:
  // --- statements
  // -----------------------------------------------------------------

  Flow run(const Statement& s, State& st) const {
    if (s.is_action) return run_action(s.action, st);
    for (const Clause& c : s.clauses) {
      if (c.expr && !eval(*c.expr, st)) continue;
      for (const Statement& b : c.body) {
        const Flow f = run(b, st);
        if (f != Flow::Continue) return f;
      }
      return Flow::Continue;
    }
    return Flow::Continue;
  }

  const Value& operand(const Operand& o, const State& st) const {
    if (!o.is_var) return o.literal;
    const auto& slot = st.vars[o.var];
    if (!slot) throw std::runtime_error("sieve: variable " + o.var_name + " is not set");
    return *slot;
  }

  const Value* lookup(const Key& k, State& st) const {
    if (k.is_var) return st.vars[k.var] ? &*st.vars[k.var] : nullptr;
    if (const Value* v = st.ev.find(k.name)) return v;
    if (st.ev.contains(k.name)) {
      st.scratch = st.ev.getitem(k.name);
      return &st.scratch;
    }
    return nullptr;
  }

  /// The value an add / add! / update writes: the operand, or with += / -=
  /// the current timestamp moved by the relative time.
  Value new_value(const Action& a, State& st) const {
    const Value& v = operand(a.value, st);
    if (a.op == AssignOp::Set) return v;
    std::optional<std::int64_t> minutes = a.delta_minutes;
    if (!minutes) {
      if (!v.is_string() || !(minutes = parse_relative_minutes(v.as_string())))
        throw std::runtime_error("sieve: " + harm::py::repr(v) + " is no relative time");
    }
    const Value* cur = lookup(a.key, st);
    if (cur == nullptr) throw std::runtime_error("sieve: KeyError: '" + a.key.name + "'");
    std::optional<std::int64_t> t;
    if (cur->is_string()) t = parse_utc_isoformat(cur->as_string());
    if (!t)
      throw std::runtime_error("sieve: " + a.key.name + " = " + harm::py::repr(*cur) +
                               " is no UTC timestamp");
    const std::int64_t delta = *minutes * 60'000'000;
    return Value::string(format_utc_isoformat(a.op == AssignOp::Plus ? *t + delta : *t - delta));
  }

  Flow run_action(const Action& a, State& st) const {
    Message& ev = st.ev;
    switch (a.kind) {
      case ActKind::Drop:
        st.out.drop(a.note);
        return Flow::Drop;
      case ActKind::Keep:
        return Flow::Keep;
      case ActKind::Path:
        st.paths = &a.paths;
        break;
      case ActKind::Add:
        if (!ev.contains(a.key.name)) ev.add(a.key.name, new_value(a, st));
        break;
      case ActKind::AddForce:
        ev.add(a.key.name, new_value(a, st), {.overwrite = true});
        break;
      case ActKind::Update:
        if (ev.contains(a.key.name)) ev.change(a.key.name, new_value(a, st));
        break;
      case ActKind::Remove:
        if (ev.contains(a.key.name)) ev.remove(a.key.name);
        break;
      case ActKind::Append: {
        const Value& item = operand(a.value, st);
        if (const Value* cur = lookup(a.key, st)) {
          if (cur->is_list()) {  // an existing non-list value is left alone
            Value l = *cur;
            l.as_list().push_back(item);
            ev.add(a.key.name, std::move(l), {.overwrite = true});
          }
        } else {
          ev.add(a.key.name, Value::list({item}));
        }
        break;
      }
      case ActKind::AppendForce: {
        const Value& item = operand(a.value, st);
        Value l = Value::list({});
        if (const Value* cur = lookup(a.key, st)) {
          if (cur->is_list())
            l = *cur;
          else
            l.as_list().push_back(*cur);
        }
        l.as_list().push_back(item);
        ev.add(a.key.name, std::move(l), {.overwrite = true});
        break;
      }
      case ActKind::Assign: {
        const Value* v = lookup(a.key, st);
        if (v == nullptr)
          throw std::runtime_error("sieve: cannot assign " + prog_.variables[a.var] + ": field " +
                                   a.key.name + " is absent");
        st.vars[a.var] = *v;
        break;
      }
    }
    return Flow::Continue;
  }

  // --- conditions
  // -----------------------------------------------------------------

  bool eval(const Expr& e, State& st) const {
    for (const auto& conj : e.disjuncts) {
      bool all = true;
      for (const Cond& c : conj)
        if (!test(c, st)) {
          all = false;
          break;
        }
      if (all) return true;
    }
    return false;
  }

  bool test(const Cond& c, State& st) const { return c.negate != test_plain(c, st); }

  bool regex_search(const Operand& o, std::string_view subject, const State& st) const {
    if (o.regex) return o.regex->search(subject);
    std::string pattern;
    harm::py::append_str(pattern, operand(o, st));
    return PyRegex(pattern).search(subject);
  }

  bool test_plain(const Cond& c, State& st) const {
    if (c.kind == CondKind::Group) return eval(*c.group, st);
    const Value* v = lookup(c.key, st);
    switch (c.kind) {
      case CondKind::Exists:
        return v != nullptr;
      case CondKind::NotExists:
        return v == nullptr;
      case CondKind::StrEq:
        return v != nullptr && *v == operand(c.values[0], st);
      case CondKind::StrNe:
        return v == nullptr || !(*v == operand(c.values[0], st));
      case CondKind::Contains:
      case CondKind::ContainsAny: {
        if (v == nullptr) return false;
        const std::string_view lhs = stringify(*v, st.buf_l);
        for (const Operand& o : c.values)
          if (lhs.find(stringify(operand(o, st), st.buf_r)) != std::string_view::npos) return true;
        return false;
      }
      case CondKind::RegexMatch:
      case CondKind::RegexIn: {
        if (v == nullptr) return false;
        const std::string_view lhs = stringify(*v, st.buf_l);
        for (const Operand& o : c.values)
          if (regex_search(o, lhs, st)) return true;
        return false;
      }
      case CondKind::RegexNoMatch:
        return v == nullptr || !regex_search(c.values[0], stringify(*v, st.buf_l), st);
      case CondKind::StrIn:
        if (v == nullptr) return false;
        for (const Operand& o : c.values)
          if (*v == operand(o, st)) return true;
        return false;
      case CondKind::NumEq:
      case CondKind::NumNe:
      case CondKind::NumLe:
      case CondKind::NumGe:
      case CondKind::NumLt:
      case CondKind::NumGt:
      case CondKind::NumIn:
        return v != nullptr && numeric(c, *v, st);
      case CondKind::IpRange:
        return v != nullptr && in_networks(c, *v, st);
      case CondKind::Before:
      case CondKind::After:
        return v != nullptr && date_match(c, *v, st);
      case CondKind::ListEquals:
      case CondKind::SetEquals:
      case CondKind::Overlaps:
      case CondKind::SubsetOf:
      case CondKind::SupersetOf:
        return v != nullptr && v->is_list() && list_match(c, v->as_list(), st);
      case CondKind::BoolEq:
        return v != nullptr && v->is_bool() && *v == operand(c.values[0], st);
      case CondKind::BoolNe:
        return v != nullptr && v->is_bool() && !(*v == operand(c.values[0], st));
      case CondKind::Group:
        break;
    }
    return false;
  }

  bool numeric(const Cond& c, const Value& v, const State& st) const {
    for (const Operand& o : c.values) {
      const std::optional<Order> ord = compare_numbers(v, operand(o, st));
      if (!ord) continue;
      bool r = false;
      switch (c.kind) {
        case CondKind::NumEq:
        case CondKind::NumIn:
          r = *ord == Order::Equal;
          break;
        case CondKind::NumNe:
          r = *ord != Order::Equal;
          break;
        case CondKind::NumLe:
          r = *ord == Order::Less || *ord == Order::Equal;
          break;
        case CondKind::NumGe:
          r = *ord == Order::Greater || *ord == Order::Equal;
          break;
        case CondKind::NumLt:
          r = *ord == Order::Less;
          break;
        case CondKind::NumGt:
          r = *ord == Order::Greater;
          break;
        default:
          break;
      }
      if (r) return true;
    }
    return false;
  }

  bool in_networks(const Cond& c, const Value& v, const State& st) const {
    std::optional<harm::detail::IpAddr> addr;
    if (v.is_string()) {
      addr = harm::detail::parse_ip_address(v.as_string());
    } else if (v.is_int() && v.as_int() >= 0) {  // ipaddress.ip_address(int)
      addr = harm::detail::IpAddr{};
      addr->value = static_cast<u128>(v.as_int());
      addr->version = v.as_int() <= 0xFFFFFFFFLL ? 4 : 6;
    }
    if (!addr) {
      log().warn("Could not parse IP address {}={} in {}.", c.key.name, harm::py::str(v),
                 st.ev.serialize());
      return false;
    }
    for (const Network& n : c.networks) {
      if (n.version != addr->version) continue;
      const int bits = n.version == 4 ? 32 : 128;
      const u128 mask = n.prefix == 0 ? 0 : (~u128{0}) << (bits - n.prefix);
      if ((addr->value & mask) == n.base) return true;
    }
    return false;
  }

  bool date_match(const Cond& c, const Value& v, const State& st) const {
    std::optional<std::int64_t> t;
    if (v.is_string()) t = parse_utc_isoformat(v.as_string());
    if (!t)
      throw std::runtime_error("sieve: " + c.key.name + " = " + harm::py::repr(v) +
                               " is no UTC timestamp");
    std::optional<DateArg> arg = c.date;
    if (!arg) {
      const Value& a = operand(c.values[0], st);
      if (a.is_string()) arg = parse_date_argument(a.as_string());
      if (!arg)
        throw std::runtime_error("sieve: " + harm::py::repr(a) + " is no date or relative time");
    }
    const std::int64_t limit =
        arg->relative ? harm::datetime::now_epoch_seconds() * 1'000'000 - arg->micros : arg->micros;
    return c.kind == CondKind::Before ? *t < limit : *t > limit;
  }

  bool list_match(const Cond& c, const Value::List& lhs, const State& st) const {
    auto in_rhs = [&](const Value& x) {
      for (const Operand& o : c.values)
        if (operand(o, st) == x) return true;
      return false;
    };
    switch (c.kind) {
      case CondKind::ListEquals: {
        if (lhs.size() != c.values.size()) return false;
        for (std::size_t i = 0; i < lhs.size(); ++i)
          if (!(lhs[i] == operand(c.values[i], st))) return false;
        return true;
      }
      case CondKind::SetEquals: {
        for (const Value& x : lhs)
          if (!in_rhs(x)) return false;
        for (const Operand& o : c.values)
          if (!list_contains(lhs, operand(o, st))) return false;
        return true;
      }
      case CondKind::Overlaps:
        for (const Value& x : lhs)
          if (in_rhs(x)) return true;
        return false;
      case CondKind::SubsetOf:
        for (const Value& x : lhs)
          if (!in_rhs(x)) return false;
        return true;
      case CondKind::SupersetOf:
        for (const Operand& o : c.values)
          if (!list_contains(lhs, operand(o, st))) return false;
        return true;
      default:
        return false;
    }
  }

  Program prog_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.sieve.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Filters, modifies and routes events with a sieve-like rule language "
                   "(conditions on strings, numbers, IP ranges, dates, lists and "
                   "booleans; "
                   "actions drop, keep, path, add, add!, update, remove, append, "
                   "append!).",
    .params =
        {
            {"file", api::ParamType::String, "null", true,
             "Path of the sieve rule file, read once at start. Syntax or "
             "validation errors "
             "refuse the start with `<file>:<line>:<col>: reason`."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<SieveExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
