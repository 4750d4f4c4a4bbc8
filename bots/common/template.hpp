// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Python `str.format` templates as IntelMQ bots use them (`{msg[field]}`,
/// `{matches[field][1]}`, `{event[time.source]:%Y-%m-%d}`): parsed once into
/// literal and replacement-field pieces, rendered per event by the bot, which
/// resolves each field itself. `format_arg` implements Python's format-spec
/// mini-language for str, int, float, bool, None and datetime values.
/// Immutable after parse; rendering is thread-safe.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/value.hpp"

namespace intelflow::bots {

/// A template that cannot be parsed or rendered (Python raised ValueError,
/// KeyError, IndexError or TypeError).
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One `[...]` or `.name` step of a replacement field.
struct FieldStep {
  std::string key;       ///< text inside the brackets or the attribute name
  bool is_int = false;   ///< all digits: Python passes an int index
  bool is_attr = false;  ///< `.name` (attribute access)
  std::int64_t index = 0;
};

/// One piece of a template: literal text, or a replacement field.
struct TemplatePiece {
  bool is_field = false;
  std::string literal;           ///< literal text ({{ and }} already unescaped)
  std::string root;              ///< argument name ("msg"); empty or digits = positional
  std::vector<FieldStep> steps;  ///< subscripts / attributes after the root
  char conversion = 0;           ///< 0, 's', 'r' or 'a'
  std::string spec;              ///< format spec after ':'
};

/// A parsed `str.format` template.
class FormatTemplate {
 public:
  FormatTemplate() = default;
  /// Parses Python format syntax. Throws FormatError with Python's wording for
  /// syntax errors ("Single '}' encountered in format string", ...). Nested
  /// replacement fields inside a format spec are not supported (FormatError).
  static FormatTemplate parse(std::string_view text);

  const std::vector<TemplatePiece>& pieces() const noexcept { return pieces_; }
  /// No replacement fields: the text renders to itself (after {{ }} unescaping).
  bool is_literal() const noexcept { return fields_ == 0; }
  const std::string& source() const noexcept { return source_; }

 private:
  std::vector<TemplatePiece> pieces_;
  std::string source_;
  std::size_t fields_ = 0;
};

/// A naive datetime (as produced by Python's strptime) for formatting.
struct DateTimeArg {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, microsecond = 0;
};

/// A value handed to format_arg without building a Value: text (Python str),
/// a Value, None, or a datetime.
struct FormatArg {
  enum class Kind : std::uint8_t { None, Text, Value, DateTime };
  Kind kind = Kind::None;
  std::string_view text;
  const harm::Value* value = nullptr;
  DateTimeArg dt;

  static FormatArg none() { return {}; }
  static FormatArg of_text(std::string_view t) {
    FormatArg a;
    a.kind = Kind::Text;
    a.text = t;
    return a;
  }
  static FormatArg of_value(const harm::Value& v) {
    FormatArg a;
    a.kind = Kind::Value;
    a.value = &v;
    return a;
  }
  static FormatArg of_datetime(const DateTimeArg& d) {
    FormatArg a;
    a.kind = Kind::DateTime;
    a.dt = d;
    return a;
  }
};

/// Appends `format(conversion(arg), spec)` to out as Python does. Throws
/// FormatError for a spec the value's type rejects.
void format_arg(std::string& out, const FormatArg& arg, char conversion, std::string_view spec);

/// Python subscript `v[step]` for the rare multi-step fields (`{msg[f][0]}`):
/// str[int] → one character, list[int], dict[str]. Throws FormatError
/// (TypeError / IndexError / KeyError wording) otherwise.
harm::Value subscript(const harm::Value& v, const FieldStep& step);

/// Parses "YYYY-MM-DDTHH:MM:SS+00:00" or "YYYY-MM-DDTHH:MM:SS.ffffff+00:00"
/// (IntelMQ's canonical form) as strptime would; false if it does not match.
bool parse_intelmq_datetime(std::string_view s, DateTimeArg& out);

}  // namespace intelflow::bots
