// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The compiled form of a sieve rule file (experts.sieve.expert, bots.md
/// §2.3): statements, conditions and actions with every literal converted,
/// every regular expression compiled and every IP network parsed at load.
/// Immutable after parse_sieve(); evaluated concurrently by the bot.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/pyregex.hpp"
#include "harmonization/harmonization.hpp"
#include "harmonization/value.hpp"

namespace intelflow::bots::sieve {

/// A position in the rule file (1-based line and column).
struct Pos {
  std::size_t line = 0;
  std::size_t col = 0;
};

/// A field name, or a `$variable` (index into the per-event variable slots).
struct Key {
  std::string name;  ///< field name, or the variable name with its '$'
  bool is_var = false;
  std::size_t var = 0;
};

/// A literal value or a variable reference. A literal regex is compiled once.
struct Operand {
  harm::Value literal;
  bool is_var = false;
  std::size_t var = 0;
  std::string var_name;
  std::shared_ptr<const PyRegex> regex;  ///< literal of =~, !~, :regexin
};

__extension__ typedef unsigned __int128 u128;

/// An IPv4/IPv6 network, normalised (host bits cleared).
struct Network {
  int version = 4;
  u128 base = 0;
  int prefix = 0;
};

/// The date argument of :before / :after.
struct DateArg {
  bool relative = false;
  std::int64_t micros = 0;  ///< absolute: UTC epoch µs; relative: the span in µs
};

enum class CondKind : std::uint8_t {
  Exists,
  NotExists,
  StrEq,
  StrNe,
  Contains,
  RegexMatch,
  RegexNoMatch,
  StrIn,
  ContainsAny,
  RegexIn,
  NumEq,
  NumNe,
  NumLe,
  NumGe,
  NumLt,
  NumGt,
  NumIn,
  IpRange,
  Before,
  After,
  ListEquals,
  SetEquals,
  Overlaps,
  SubsetOf,
  SupersetOf,
  BoolEq,
  BoolNe,
  Group,
};

struct Expr;

/// One condition, optionally negated.
struct Cond {
  CondKind kind = CondKind::Exists;
  bool negate = false;
  Key key;
  std::vector<Operand> values;    ///< string / numeric / list / bool operands
  std::vector<Network> networks;  ///< IpRange
  std::optional<DateArg> date;    ///< Before/After with a literal argument
  std::unique_ptr<Expr> group;    ///< Group: "( expr )"
  Pos pos;
};

/// Conjunctions joined by `||`; each is conditions joined by `&&`.
struct Expr {
  std::vector<std::vector<Cond>> disjuncts;
};

enum class ActKind : std::uint8_t {
  Drop,
  Keep,
  Path,
  Add,
  AddForce,
  Update,
  Remove,
  Append,
  AppendForce,
  Assign,
};

enum class AssignOp : std::uint8_t { Set, Plus, Minus };

struct Action {
  ActKind kind = ActKind::Drop;
  Key key;                                    ///< target field (Assign: the source field)
  AssignOp op = AssignOp::Set;                ///< add / add! / update
  Operand value;                              ///< add / add! / update / append / append!
  std::optional<std::int64_t> delta_minutes;  ///< literal relative time of += / -=
  std::vector<std::string> paths;             ///< Path
  std::size_t var = 0;                        ///< Assign: target variable slot
  std::string note;                           ///< Drop: "drop at <line>:<col>" (the drop reason)
  Pos pos;
};

struct Statement;

/// if / elif / else: `expr` is null for else.
struct Clause {
  std::unique_ptr<Expr> expr;
  std::vector<Statement> body;
  Pos pos;
};

struct Statement {
  bool is_action = true;
  Action action;
  std::vector<Clause> clauses;  ///< branching
};

/// A whole rule file.
struct Program {
  std::vector<Statement> statements;
  std::vector<std::string> variables;  ///< slot → name (with '$')
};

/// Parses and validates a rule file's text. Throws std::runtime_error with
/// "<origin>:<line>:<col>: reason" on a syntax or validation error.
Program parse_sieve(std::string_view text, const std::string& origin,
                    const harm::Harmonization& harmonization);

/// The argument of :before / :after: a relative time ("2 days") or an
/// absolute date/time (any form DateTime accepts; date only = midnight UTC).
std::optional<DateArg> parse_date_argument(std::string_view s);

/// IntelMQ's parse_relative: "<int> <unit>[s]" → whole minutes (seconds
/// floor-divided by 60); nullopt if it is no relative time.
std::optional<std::int64_t> parse_relative_minutes(std::string_view s);

/// DateTime.parse_utc_isoformat: "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00" → UTC
/// epoch µs.
std::optional<std::int64_t> parse_utc_isoformat(std::string_view s);
/// datetime.isoformat() of an aware UTC datetime: microseconds only when
/// non-zero.
std::string format_utc_isoformat(std::int64_t micros);

}  // namespace intelflow::bots::sieve
