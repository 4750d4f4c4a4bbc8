// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.sieve.expert: the rule-file grammar (PEGTL) and its conversion into a
// Program.

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/parse_tree.hpp>

#include "bots/experts/sieve/sieve_program.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/types.hpp"
#include "harmonization/types_detail.hpp"

namespace intelflow::bots::sieve {
namespace {

namespace pegtl = tao::pegtl;

// ------------------------------------------------------------------------------------
// Grammar (bots.md §2.3, experts.sieve.expert). Ordered choice: the first
// alternative that parses wins. Every token swallows the whitespace and
// comments after it. Terminals carry `expected` (used for error messages).

namespace g {
using namespace pegtl;  // NOLINT(google-build-using-namespace)

struct line_comment : seq<sor<one<'#'>, two<'/'>>, until<eolf>> {};
struct skip : sor<space, line_comment> {};
struct ws : star<skip> {};

/// A token followed by whitespace.
template <typename R>
struct t : seq<R, ws> {};

struct keychar : sor<range<'a', 'z'>, digit, one<'_', '.'>> {};
struct wordchar : sor<keychar, one<'!'>> {};

struct keylit : plus<keychar> {
  static constexpr const char* expected = "a field name";
};
struct varname : seq<one<'$'>, plus<sor<range<'a', 'z'>, digit, one<'_'>>>> {
  static constexpr const char* expected = "a $variable";
};
struct key : sor<keylit, varname> {};

/// '…' or "…": \' and \" escape a quote, other backslashes stay. Like the
/// reference's regular expression, an unterminated string ends at the last
/// escaped quote if there is one (backtracking).
template <char Q>
struct quoted {
  using rule_t = quoted;
  using subs_t = pegtl::type_list<>;
  template <typename ParseInput>
  static bool match(ParseInput& in) {
    const char* b = in.current();
    const char* e = in.end();
    if (b == e || *b != Q) return false;
    const char* last_escaped = nullptr;
    for (const char* p = b + 1; p < e; ++p) {
      if (*p == '\\' && p + 1 < e && p[1] == Q) {
        last_escaped = p + 1;
        ++p;
        continue;
      }
      if (*p == Q) {
        in.bump(static_cast<std::size_t>(p + 1 - b));
        return true;
      }
    }
    if (last_escaped != nullptr) {
      in.bump(static_cast<std::size_t>(last_escaped + 1 - b));
      return true;
    }
    return false;
  }
};
struct str_lit : sor<quoted<'"'>, quoted<'\''>> {
  static constexpr const char* expected = "a string";
};

struct sign : opt<one<'+', '-'>> {};
struct exponent : seq<one<'e', 'E'>, sign, plus<digit>> {};
struct num_end : not_at<sor<keychar, one<'.'>>> {};
struct float_lit : seq<sign,
                       sor<seq<plus<digit>, one<'.'>, star<digit>, opt<exponent>>,
                           seq<one<'.'>, plus<digit>, opt<exponent>>, seq<plus<digit>, exponent>>,
                       num_end> {
  static constexpr const char* expected = "a number";
};
struct int_lit : seq<sign, plus<digit>, num_end> {
  static constexpr const char* expected = "a number";
};
struct bool_lit : seq<sor<TAO_PEGTL_STRING("true"), TAO_PEGTL_STRING("false"),
                          TAO_PEGTL_STRING("True"), TAO_PEGTL_STRING("False")>,
                      not_at<keychar>> {
  static constexpr const char* expected = "true or false";
};

struct strval : sor<str_lit, varname> {};
struct numval : sor<float_lit, int_lit, varname> {};
struct typed : sor<float_lit, int_lit, bool_lit, str_lit, varname> {
  static constexpr const char* expected = "a value (string, number, boolean or $variable)";
};

struct lbr : one<'['> {
  static constexpr const char* expected = "'['";
};
struct rbr : one<']'> {
  static constexpr const char* expected = "']'";
};
struct comma : one<','> {
  static constexpr const char* expected = "','";
};
struct lpar : one<'('> {
  static constexpr const char* expected = "'('";
};
struct rpar : one<')'> {
  static constexpr const char* expected = "')'";
};
struct lbrace : one<'{'> {
  static constexpr const char* expected = "'{'";
};
struct rbrace : one<'}'> {
  static constexpr const char* expected = "'}'";
};
struct equals : seq<one<'='>, not_at<one<'=', '~'>>> {
  static constexpr const char* expected = "'='";
};

/// `[ V {, V} ]` and the same with an empty list allowed.
template <typename V>
struct vlist : seq<t<lbr>, t<V>, star<t<comma>, t<V>>, t<rbr>> {};
template <typename V>
struct vlist0 : seq<t<lbr>, opt<t<V>, star<t<comma>, t<V>>>, t<rbr>> {};

/// A word-like operator (":contains") must not run into a following word.
template <typename S>
struct word_op : seq<S, not_at<keychar>> {};

struct str_op1
    : sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!="), word_op<TAO_PEGTL_STRING(":contains")>,
          TAO_PEGTL_STRING("=~"), TAO_PEGTL_STRING("!~")> {
  static constexpr const char* expected = "an operator";
};
struct str_opm : sor<word_op<TAO_PEGTL_STRING(":in")>, word_op<TAO_PEGTL_STRING(":containsany")>,
                     word_op<TAO_PEGTL_STRING(":regexin")>> {
  static constexpr const char* expected = "an operator";
};
struct num_op : sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!="), TAO_PEGTL_STRING("<="),
                    TAO_PEGTL_STRING(">="), seq<one<'<'>, not_at<one<'<'>>>, one<'>'>> {
  static constexpr const char* expected = "an operator";
};
struct num_in : word_op<TAO_PEGTL_STRING(":in")> {
  static constexpr const char* expected = "an operator";
};
struct ip_op : TAO_PEGTL_STRING("<<") {
  static constexpr const char* expected = "an operator";
};
struct date_op : sor<word_op<TAO_PEGTL_STRING(":before")>, word_op<TAO_PEGTL_STRING(":after")>> {
  static constexpr const char* expected = "an operator";
};
struct exist_op
    : sor<word_op<TAO_PEGTL_STRING(":exists")>, word_op<TAO_PEGTL_STRING(":notexists")>> {
  static constexpr const char* expected = "a condition";
};
struct list_op : sor<word_op<TAO_PEGTL_STRING(":equals")>, word_op<TAO_PEGTL_STRING(":setequals")>,
                     word_op<TAO_PEGTL_STRING(":overlaps")>, word_op<TAO_PEGTL_STRING(":subsetof")>,
                     word_op<TAO_PEGTL_STRING(":supersetof")>> {
  static constexpr const char* expected = "an operator";
};
struct bool_op : sor<TAO_PEGTL_STRING("=="), TAO_PEGTL_STRING("!=")> {
  static constexpr const char* expected = "an operator";
};
struct assign_op : sor<TAO_PEGTL_STRING("+="), TAO_PEGTL_STRING("-="), equals> {
  static constexpr const char* expected = "'=', '+=' or '-='";
};
struct neg : seq<one<'!'>, not_at<one<'=', '~'>>> {};
struct op_and : TAO_PEGTL_STRING("&&") {
  static constexpr const char* expected = "'&&'";
};
struct op_or : TAO_PEGTL_STRING("||") {
  static constexpr const char* expected = "'||'";
};

struct strmatch_single : seq<t<key>, t<str_op1>, t<strval>> {};
struct strmatch_multi : seq<t<key>, t<str_opm>, vlist<strval>> {};
struct nummatch_single : seq<t<key>, t<num_op>, t<numval>> {};
struct nummatch_multi : seq<t<key>, t<num_in>, vlist<numval>> {};
struct ipmatch : seq<t<key>, t<ip_op>, sor<t<str_lit>, vlist<str_lit>>> {};
struct datematch : seq<t<key>, t<date_op>, t<strval>> {};
struct existmatch : seq<t<exist_op>, t<key>> {};
struct listmatch : seq<t<key>, t<list_op>, vlist0<typed>> {};
struct boolmatch : seq<t<key>, t<bool_op>, t<sor<bool_lit, varname>>> {};

struct expr;
struct group : seq<t<lpar>, must<expr, t<rpar>>> {};
struct cond : seq<opt<t<neg>>, sor<strmatch_single, strmatch_multi, nummatch_single, nummatch_multi,
                                   ipmatch, datematch, existmatch, listmatch, boolmatch, group>> {};
struct conj : seq<cond, star<t<op_and>, must<cond>>> {};
struct expr : seq<conj, star<t<op_or>, must<conj>>> {};

template <typename S>
struct kw : seq<S, not_at<wordchar>> {};
struct kw_if : kw<TAO_PEGTL_STRING("if")> {
  static constexpr const char* expected = "'if'";
};
struct kw_elif : kw<TAO_PEGTL_STRING("elif")> {
  static constexpr const char* expected = "'elif'";
};
struct kw_else : kw<TAO_PEGTL_STRING("else")> {
  static constexpr const char* expected = "'else'";
};
struct kw_drop : kw<TAO_PEGTL_STRING("drop")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_keep : kw<TAO_PEGTL_STRING("keep")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_path : kw<TAO_PEGTL_STRING("path")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_add_force : TAO_PEGTL_STRING("add!") {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_add : kw<TAO_PEGTL_STRING("add")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_update : kw<TAO_PEGTL_STRING("update")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_remove : kw<TAO_PEGTL_STRING("remove")> {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_append_force : TAO_PEGTL_STRING("append!") {
  static constexpr const char* expected = "an action or 'if'";
};
struct kw_append : kw<TAO_PEGTL_STRING("append")> {
  static constexpr const char* expected = "an action or 'if'";
};

struct statement;
struct block : seq<t<lbrace>, star<statement>, must<t<rbrace>>> {};
struct if_clause : seq<t<kw_if>, must<expr, block>> {};
struct elif_clause : seq<t<kw_elif>, must<expr, block>> {};
struct else_clause : seq<t<kw_else>, must<block>> {};
struct branching : seq<if_clause, star<elif_clause>, opt<else_clause>> {};

struct act_drop : t<kw_drop> {};
struct act_keep : t<kw_keep> {};
struct act_path : seq<t<kw_path>, must<sor<t<str_lit>, vlist<str_lit>>>> {};
struct act_add_force : seq<t<kw_add_force>, must<t<key>, t<assign_op>, t<typed>>> {};
struct act_add : seq<t<kw_add>, must<t<key>, t<assign_op>, t<typed>>> {};
struct act_update : seq<t<kw_update>, must<t<key>, t<assign_op>, t<typed>>> {};
struct act_remove : seq<t<kw_remove>, must<t<key>>> {};
struct act_append_force : seq<t<kw_append_force>, must<t<key>, t<typed>>> {};
struct act_append : seq<t<kw_append>, must<t<key>, t<typed>>> {};
struct act_assign : seq<t<varname>, t<equals>, must<t<keylit>>> {};
struct action : sor<act_drop, act_keep, act_path, act_add_force, act_add, act_update, act_remove,
                    act_append_force, act_append, act_assign> {};
struct statement : sor<action, branching> {};
struct end_of_file : eof {
  static constexpr const char* expected = "end of file";
};
struct file : seq<ws, star<statement>, must<end_of_file>> {};

template <typename Rule>
using selector = pegtl::parse_tree::selector<
    Rule,
    pegtl::parse_tree::store_content::on<
        keylit, varname, str_lit, float_lit, int_lit, bool_lit, str_op1, str_opm, num_op, num_in,
        ip_op, date_op, exist_op, list_op, bool_op, assign_op, neg, strmatch_single, strmatch_multi,
        nummatch_single, nummatch_multi, ipmatch, datematch, existmatch, listmatch, boolmatch, expr,
        conj, cond, if_clause, elif_clause, else_clause, branching, act_drop, act_keep, act_path,
        act_add_force, act_add, act_update, act_remove, act_append_force, act_append, act_assign>>;

}  // namespace g

// ------------------------------------------------------------------------------------
// Error positions: the farthest point a terminal failed, with what was expected
// there.

struct Farthest {
  const char* at = nullptr;
  std::vector<const char*> expected;
};
thread_local Farthest* tl_farthest = nullptr;

template <typename Rule>
struct control : pegtl::normal<Rule> {
  template <typename ParseInput, typename... States>
  static void failure(const ParseInput& in, States&&... /*unused*/) {
    if constexpr (requires { Rule::expected; }) {
      Farthest* f = tl_farthest;
      if (f == nullptr) return;
      const char* at = in.current();
      if (f->at == nullptr || at > f->at) {
        f->at = at;
        f->expected.clear();
      }
      if (at == f->at && std::find(f->expected.begin(), f->expected.end(),
                                   std::string_view(Rule::expected)) == f->expected.end())
        f->expected.push_back(Rule::expected);
    }
  }
  template <typename ParseInput, typename... States>
  [[noreturn]] static void raise(const ParseInput& in, States&&... /*unused*/) {
    throw pegtl::parse_error("syntax error", in);
  }
};

/// 1-based line and column (in code points) of byte offset `off`.
Pos position_of(std::string_view text, std::size_t off) {
  Pos p{1, 1};
  off = std::min(off, text.size());
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < off; ++i)
    if (text[i] == '\n') {
      ++p.line;
      line_start = i + 1;
    }
  for (std::size_t i = line_start; i < off; ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++p.col;
  return p;
}

/// What stands at `off`, for "unexpected …".
std::string found_at(std::string_view text, std::size_t off) {
  if (off >= text.size()) return "end of file";
  std::size_t e = off;
  while (e < text.size() && e - off < 20 && text[e] != '\n' && text[e] != ' ' && text[e] != '\t' &&
         text[e] != '\r')
    ++e;
  if (e == off) return "a line break";
  return "'" + std::string(text.substr(off, e - off)) + "'";
}

// ------------------------------------------------------------------------------------
// Parse tree → Program.

using Node = pegtl::parse_tree::node;

class Builder {
 public:
  Builder(std::string_view text, const std::string& origin, const harm::Harmonization& h,
          Program& prog)
      : text_(text), origin_(origin), harm_(h), prog_(prog) {}

  void build(const Node& root) {
    for (const auto& c : root.children) prog_.statements.push_back(statement(*c));
  }

 private:
  [[noreturn]] void fail(const Node& n, const std::string& reason) const {
    const Pos p = pos(n);
    throw std::runtime_error(origin_ + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) +
                             ": " + reason);
  }
  Pos pos(const Node& n) const {
    return position_of(text_, static_cast<std::size_t>(n.m_begin.data - text_.data()));
  }

  std::size_t var_slot(std::string_view name) {
    for (std::size_t i = 0; i < prog_.variables.size(); ++i)
      if (prog_.variables[i] == name) return i;
    prog_.variables.emplace_back(name);
    return prog_.variables.size() - 1;
  }

  Key key(const Node& n) {
    Key k;
    k.name = n.string();
    if (n.is_type<g::varname>()) {
      k.is_var = true;
      k.var = var_slot(k.name);
    }
    return k;
  }

  static std::string unquote(std::string_view lit) {
    std::string s(lit.substr(1, lit.size() - 2));
    auto replace = [&](std::string_view from, std::string_view to) {
      std::size_t p = 0;
      while ((p = s.find(from, p)) != std::string::npos) {
        s.replace(p, from.size(), to);
        p += to.size();
      }
    };
    replace("\\\"", "\"");
    replace("\\'", "'");
    return s;
  }

  harm::Value literal(const Node& n) const {
    const std::string_view sv = n.string_view();
    if (n.is_type<g::str_lit>()) return harm::Value::string(unquote(sv));
    if (n.is_type<g::bool_lit>()) return harm::Value::boolean(sv == "true" || sv == "True");
    if (n.is_type<g::float_lit>()) {
      const std::string s(sv);
      return harm::Value::floating(std::strtod(s.c_str(), nullptr));
    }
    if (n.is_type<g::int_lit>()) {
      std::string_view d = sv;
      bool negative = false;
      if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
        negative = d[0] == '-';
        d.remove_prefix(1);
      }
      while (d.size() > 1 && d[0] == '0') d.remove_prefix(1);
      std::string digits = negative && d != "0" ? "-" + std::string(d) : std::string(d);
      return harm::detail::make_integer(digits);
    }
    fail(n, "expected a value");
  }

  Operand operand(const Node& n) {
    Operand o;
    if (n.is_type<g::varname>()) {
      o.is_var = true;
      o.var_name = n.string();
      o.var = var_slot(o.var_name);
    } else {
      o.literal = literal(n);
    }
    return o;
  }

  void compile_regex(const Node& n, Operand& o) const {
    if (o.is_var) return;
    try {
      o.regex = std::make_shared<const PyRegex>(o.literal.as_string());
    } catch (const std::exception& e) {
      fail(n, "invalid regular expression " + o.literal.as_string() + ": " + e.what());
    }
  }

  const harm::FieldSpec* field(const Key& k) const {
    if (k.is_var) return nullptr;
    return harm_.find(harm::MessageKind::Event, k.name);
  }

  // --- conditions
  // ---------------------------------------------------------------------

  std::unique_ptr<Expr> expr(const Node& n) {
    auto e = std::make_unique<Expr>();
    for (const auto& conj : n.children) {
      std::vector<Cond> conds;
      for (const auto& c : conj->children) conds.push_back(cond(*c));
      e->disjuncts.push_back(std::move(conds));
    }
    return e;
  }

  Cond cond(const Node& n) {
    Cond c;
    c.pos = pos(n);
    std::size_t i = 0;
    if (!n.children.empty() && n.children[0]->is_type<g::neg>()) {
      c.negate = true;
      ++i;
    }
    const Node& m = *n.children.at(i);
    if (m.is_type<g::expr>()) {
      c.kind = CondKind::Group;
      c.group = expr(m);
      return c;
    }
    if (m.is_type<g::existmatch>()) {
      c.kind = m.children[0]->string_view() == ":exists" ? CondKind::Exists : CondKind::NotExists;
      c.key = key(*m.children[1]);
      return c;
    }
    c.key = key(*m.children[0]);
    const Node& opn = *m.children[1];
    const std::string_view op = opn.string_view();
    for (std::size_t j = 2; j < m.children.size(); ++j) c.values.push_back(operand(*m.children[j]));

    if (m.is_type<g::strmatch_single>() || m.is_type<g::strmatch_multi>()) {
      if (op == "==")
        c.kind = CondKind::StrEq;
      else if (op == "!=")
        c.kind = CondKind::StrNe;
      else if (op == ":contains")
        c.kind = CondKind::Contains;
      else if (op == "=~")
        c.kind = CondKind::RegexMatch;
      else if (op == "!~")
        c.kind = CondKind::RegexNoMatch;
      else if (op == ":in")
        c.kind = CondKind::StrIn;
      else if (op == ":containsany")
        c.kind = CondKind::ContainsAny;
      else
        c.kind = CondKind::RegexIn;
      if (c.kind == CondKind::RegexMatch || c.kind == CondKind::RegexNoMatch ||
          c.kind == CondKind::RegexIn)
        for (std::size_t j = 0; j < c.values.size(); ++j)
          compile_regex(*m.children[j + 2], c.values[j]);
      // Values compared with an IPAddress field must be IP addresses.
      if (const harm::FieldSpec* f = field(c.key); f && f->type == harm::TypeId::IPAddress) {
        for (std::size_t j = 0; j < c.values.size(); ++j) {
          const Operand& o = c.values[j];
          if (!o.is_var && !harm::detail::parse_ip_address(o.literal.as_string()))
            fail(*m.children[j + 2], "invalid IP address: " + o.literal.as_string());
        }
      }
      return c;
    }
    if (m.is_type<g::nummatch_single>() || m.is_type<g::nummatch_multi>()) {
      if (op == "==")
        c.kind = CondKind::NumEq;
      else if (op == "!=")
        c.kind = CondKind::NumNe;
      else if (op == "<=")
        c.kind = CondKind::NumLe;
      else if (op == ">=")
        c.kind = CondKind::NumGe;
      else if (op == "<")
        c.kind = CondKind::NumLt;
      else if (op == ">")
        c.kind = CondKind::NumGt;
      else
        c.kind = CondKind::NumIn;
      if (!c.key.is_var) {
        const harm::FieldSpec* f = field(c.key);
        if (f == nullptr)
          fail(*m.children[0], "invalid key for a numeric comparison: " + c.key.name);
        if (f->type != harm::TypeId::Integer && f->type != harm::TypeId::Float &&
            f->type != harm::TypeId::Accuracy && f->type != harm::TypeId::ASN)
          fail(*m.children[0], "incompatible type for a numeric comparison: " + c.key.name +
                                   " is " + std::string(harm::type_name(f->type)));
      }
      return c;
    }
    if (m.is_type<g::ipmatch>()) {
      c.kind = CondKind::IpRange;
      for (std::size_t j = 0; j < c.values.size(); ++j) {
        const std::string& s = c.values[j].literal.as_string();
        auto net = harm::detail::parse_ip_network(s, false);
        if (!net) fail(*m.children[j + 2], "invalid IP range: " + s);
        Network nw;
        nw.version = net->addr.version;
        nw.prefix = net->prefix;
        const int bits = nw.version == 4 ? 32 : 128;
        const u128 mask = nw.prefix == 0 ? 0 : (~u128{0}) << (bits - nw.prefix);
        nw.base = net->addr.value & mask;
        c.networks.push_back(nw);
      }
      c.values.clear();
      return c;
    }
    if (m.is_type<g::datematch>()) {
      c.kind = op == ":before" ? CondKind::Before : CondKind::After;
      if (!c.values[0].is_var) {
        const std::string& s = c.values[0].literal.as_string();
        auto d = parse_date_arg(s);
        if (!d) fail(*m.children[2], "invalid date or relative time: " + s);
        c.date = d;
      }
      return c;
    }
    if (m.is_type<g::listmatch>()) {
      if (op == ":equals")
        c.kind = CondKind::ListEquals;
      else if (op == ":setequals")
        c.kind = CondKind::SetEquals;
      else if (op == ":overlaps")
        c.kind = CondKind::Overlaps;
      else if (op == ":subsetof")
        c.kind = CondKind::SubsetOf;
      else
        c.kind = CondKind::SupersetOf;
      return c;
    }
    // boolmatch
    c.kind = op == "==" ? CondKind::BoolEq : CondKind::BoolNe;
    return c;
  }

 public:
  static std::optional<DateArg> parse_date_arg(std::string_view s) {
    if (auto minutes = parse_relative_minutes(s)) return DateArg{true, *minutes * 60'000'000};
    harm::Value canon;
    try {
      canon = harm::datetime::sanitize(harm::Value::string(s));
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (!canon.is_string()) return std::nullopt;
    auto micros = parse_utc_isoformat(canon.as_string());
    if (!micros) return std::nullopt;
    return DateArg{false, *micros};
  }

 private:
  // --- statements
  // ---------------------------------------------------------------------

  Statement statement(const Node& n) {
    Statement s;
    if (n.is_type<g::branching>()) {
      s.is_action = false;
      for (const auto& cl : n.children) {
        Clause c;
        c.pos = pos(*cl);
        std::size_t i = 0;
        if (!cl->is_type<g::else_clause>()) {
          c.expr = expr(*cl->children.at(0));
          i = 1;
        }
        for (; i < cl->children.size(); ++i) c.body.push_back(statement(*cl->children[i]));
        s.clauses.push_back(std::move(c));
      }
      return s;
    }
    s.action = action(n);
    return s;
  }

  void field_key(const Node& n, const Key& k) const {
    if (k.is_var) fail(n, "a $variable cannot be the target of an action: " + k.name);
  }

  Action action(const Node& n) {
    Action a;
    a.pos = pos(n);
    if (n.is_type<g::act_drop>()) {
      a.kind = ActKind::Drop;
      a.note = "drop at " + std::to_string(a.pos.line) + ":" + std::to_string(a.pos.col);
      return a;
    }
    if (n.is_type<g::act_keep>()) {
      a.kind = ActKind::Keep;
      return a;
    }
    if (n.is_type<g::act_path>()) {
      a.kind = ActKind::Path;
      for (const auto& c : n.children) a.paths.push_back(literal(*c).as_string());
      return a;
    }
    if (n.is_type<g::act_assign>()) {
      a.kind = ActKind::Assign;
      a.var = var_slot(n.children.at(0)->string());
      a.key = key(*n.children.at(1));
      return a;
    }
    if (n.is_type<g::act_remove>()) {
      a.kind = ActKind::Remove;
      a.key = key(*n.children.at(0));
      field_key(*n.children[0], a.key);
      return a;
    }
    if (n.is_type<g::act_append>() || n.is_type<g::act_append_force>()) {
      a.kind = n.is_type<g::act_append>() ? ActKind::Append : ActKind::AppendForce;
      a.key = key(*n.children.at(0));
      field_key(*n.children[0], a.key);
      a.value = operand(*n.children.at(1));
      return a;
    }
    // add / add! / update
    a.kind = n.is_type<g::act_add>()         ? ActKind::Add
             : n.is_type<g::act_add_force>() ? ActKind::AddForce
                                             : ActKind::Update;
    a.key = key(*n.children.at(0));
    field_key(*n.children[0], a.key);
    const std::string_view op = n.children.at(1)->string_view();
    a.op = op.starts_with("+=")   ? AssignOp::Plus
           : op.starts_with("-=") ? AssignOp::Minus
                                  : AssignOp::Set;
    a.value = operand(*n.children.at(2));
    if (a.op != AssignOp::Set && !a.value.is_var) {
      if (!a.value.literal.is_string())
        fail(*n.children[2], "'+=' and '-=' need a relative time such as '1 hour'");
      a.delta_minutes = parse_relative_minutes(a.value.literal.as_string());
      if (!a.delta_minutes)
        fail(*n.children[2], "invalid relative time: " + a.value.literal.as_string());
    }
    return a;
  }

  std::string_view text_;
  const std::string& origin_;
  const harm::Harmonization& harm_;
  Program& prog_;
};

struct FarthestScope {
  Farthest f;
  FarthestScope() { tl_farthest = &f; }
  ~FarthestScope() { tl_farthest = nullptr; }
  FarthestScope(const FarthestScope&) = delete;
  FarthestScope& operator=(const FarthestScope&) = delete;
};

}  // namespace

std::optional<std::int64_t> parse_relative_minutes(std::string_view s) {
  // ^(\d+)\s+(\w+[^s])s?$ with the unit in the table; `$` also before a final
  // "\n".
  if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
  std::size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  std::int64_t n = 0;
  if (std::from_chars(s.data(), s.data() + i, n).ec != std::errc()) return std::nullopt;
  std::size_t j = i;
  while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' ||
                          s[j] == '\f' || s[j] == '\v'))
    ++j;
  if (j == i) return std::nullopt;
  std::string_view unit = s.substr(j);
  static constexpr std::pair<std::string_view, std::int64_t> kSpans[] = {
      {"second", 1},    {"minute", 60},        {"hour", 3600},        {"day", 86400},
      {"week", 604800}, {"month", 30 * 86400}, {"year", 365 * 86400},
  };
  auto lookup = [&](std::string_view u) -> std::optional<std::int64_t> {
    for (const auto& [name, secs] : kSpans)
      if (name == u) return n * secs / 60;
    return std::nullopt;
  };
  if (auto r = lookup(unit)) return r;
  if (unit.size() > 1 && unit.back() == 's') return lookup(unit.substr(0, unit.size() - 1));
  return std::nullopt;
}

namespace {
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}
}  // namespace

std::optional<std::int64_t> parse_utc_isoformat(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  std::size_t p = 19;
  std::int64_t frac = 0;
  if (p < s.size() && s[p] == '.') {
    std::size_t q = p + 1;
    int nd = 0;
    while (q < s.size() && s[q] >= '0' && s[q] <= '9' && nd < 6) {
      frac = frac * 10 + (s[q] - '0');
      ++q;
      ++nd;
    }
    if (nd == 0) return std::nullopt;
    for (int k = nd; k < 6; ++k) frac *= 10;
    p = q;
  }
  if (s.substr(p) != "+00:00") return std::nullopt;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 61)
    return std::nullopt;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return std::nullopt;
  if (se > 59) return std::nullopt;  // datetime rejects leap seconds
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + se) * 1'000'000) + frac;
}

std::string format_utc_isoformat(std::int64_t micros) {
  std::int64_t secs = micros / 1'000'000;
  std::int64_t frac = micros % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(rem / 3600),
                        static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  std::string out(buf, static_cast<std::size_t>(n));
  if (frac != 0) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    out.append(buf, static_cast<std::size_t>(n));
  }
  out += "+00:00";
  return out;
}

std::optional<DateArg> parse_date_argument(std::string_view s) {
  return Builder::parse_date_arg(s);
}

Program parse_sieve(std::string_view text, const std::string& origin,
                    const harm::Harmonization& harmonization) {
  Program prog;
  std::unique_ptr<Node> root;
  {
    FarthestScope scope;
    pegtl::memory_input<pegtl::tracking_mode::eager, pegtl::eol::lf_crlf, const char*> in(
        text.data(), text.data() + text.size(), origin.c_str());
    try {
      root = pegtl::parse_tree::parse<g::file, Node, g::selector, pegtl::nothing, control>(in);
    } catch (const pegtl::parse_error& e) {
      const Farthest& f = scope.f;
      std::size_t off = 0;
      if (!e.positions().empty()) off = e.positions().front().byte;
      if (f.at != nullptr && static_cast<std::size_t>(f.at - text.data()) >= off)
        off = static_cast<std::size_t>(f.at - text.data());
      const Pos p = position_of(text, off);
      std::string msg = origin + ":" + std::to_string(p.line) + ":" + std::to_string(p.col) +
                        ": unexpected " + found_at(text, off);
      if (f.at != nullptr && static_cast<std::size_t>(f.at - text.data()) == off &&
          !f.expected.empty()) {
        msg += ", expected ";
        for (std::size_t i = 0; i < f.expected.size(); ++i) {
          if (i > 0) msg += i + 1 == f.expected.size() ? " or " : ", ";
          msg += f.expected[i];
        }
      }
      throw std::runtime_error(msg);
    }
  }
  if (!root) throw std::runtime_error(origin + ":1:1: cannot parse the rule file");
  Builder(text, origin, harmonization, prog).build(*root);
  return prog;
}

}  // namespace intelflow::bots::sieve
