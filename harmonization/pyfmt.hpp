// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Python-compatible rendering of Values: str(), repr(), json.dumps(), and
/// float repr. These decide the exact bytes of serialized messages and of the
/// deduplicator hash, so they follow CPython 3.11 to the byte.

#include <cstddef>
#include <string>
#include <string_view>

#include "harmonization/value.hpp"

namespace intelflow::harm::py {

/// repr(float): shortest round-trip digits; "100.0", "1e+16", "1e-05", "nan", "inf".
void append_float_repr(std::string& out, double d);
std::string float_repr(double d);

/// str(v): strings as is, ints decimal, floats repr, True/False/None, lists and
/// dicts as their repr. Bytes as b'...'.
std::string str(const Value& v);
/// Appends str(v) to out.
void append_str(std::string& out, const Value& v);
/// repr(v), used by the message hash (quote choice, escapes, non-printables).
void append_repr(std::string& out, const Value& v);
std::string repr(const Value& v);
/// repr() of a str given as UTF-8 text.
void append_str_repr(std::string& out, std::string_view s);
/// len(str(v)) in code points, without building the string for text values.
std::size_t str_len(const Value& v);
/// Number of code points of UTF-8 text (continuation bytes are not counted).
std::size_t utf8_length(std::string_view s) noexcept;
/// Python's class name of a value's type: "str", "int", "float", "bool",
/// "NoneType", "bytes", "list", "dict".
std::string_view type_name(const Value& v) noexcept;

struct JsonOptions {
  bool sort_keys = false;
  bool ensure_ascii = true;  ///< \uXXXX escapes (surrogate pairs above the BMP)
};
/// json.dumps(v) with ", " / ": " separators. NaN/Infinity written bare.
/// Bytes are not JSON serializable: throws HarmonizationError(ValueError).
void append_json(std::string& out, const Value& v, const JsonOptions& opts = {});
std::string json_dumps(const Value& v, const JsonOptions& opts = {});
/// A JSON string literal of UTF-8 text (with the quotes).
void append_json_string(std::string& out, std::string_view s, bool ensure_ascii = true);
/// Room write_json_string needs for text of n bytes: every byte may become a
/// 6-character escape, plus the quotes and 16 bytes of scratch for block stores.
constexpr std::size_t json_string_bound(std::size_t n) noexcept {
  return 6 * n + 2 + 16;
}
/// Writes the literal append_json_string appends at p (which has room for
/// json_string_bound(s.size()) bytes); returns the end of what it wrote.
char* write_json_string(char* p, std::string_view s, bool ensure_ascii = true) noexcept;

/// Parses JSON text into a Value as Python's json.loads does (ints stay ints,
/// big ints become BigInt, floats Float, NaN/Infinity accepted, object order kept,
/// duplicate keys: last wins). Returns false on a syntax error.
bool json_loads(std::string_view text, Value& out);

/// Appends the UTF-8 encoding of a code point (lone surrogates as 3-byte
/// sequences, as Python's "surrogatepass" would).
void append_utf8(std::string& out, char32_t cp);

/// Low-level JSON reader with Python json.loads semantics, used by json_loads
/// and by the message deserializer (which streams the top-level object).
/// Not thread-safe; one per parse.
class JsonReader {
 public:
  JsonReader(const char* begin, const char* end) noexcept : p_(begin), end_(end) {}

  /// Skips JSON whitespace (space, \t, \n, \r).
  void skip_ws() noexcept {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool at_end() const noexcept { return p_ >= end_; }
  /// Current byte (0 at the end).
  char peek() const noexcept { return p_ < end_ ? *p_ : '\0'; }
  bool consume(char c) noexcept {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  const char* pos() const noexcept { return p_; }
  /// Moves the cursor (to a position inside the text it was made for).
  void seek(const char* p) noexcept { p_ = p; }
  /// True if a string read so far may hold non-ASCII bytes (bytes outside
  /// strings must be ASCII for a successful parse anyway).
  bool saw_non_ascii() const noexcept { return non_ascii_; }

  /// Parses any value at the cursor (whitespace already skipped).
  bool parse_value(Value& out, int depth = 0);
  /// Parses a string at the cursor ('"' expected). When it has no escapes,
  /// `out` views the input; otherwise it is decoded into `scratch` and views it.
  bool parse_string(std::string_view& out, std::string& scratch);
  /// Parses a string at the cursor into `out` (replacing its content).
  bool parse_string_into(std::string& out);

 private:
  bool parse_number(Value& out);
  bool parse_literal(std::string_view word) noexcept;
  bool decode_escapes(const char* start, std::string& out);

  const char* p_;
  const char* end_;
  std::string scratch_;  // decoded strings with escapes
  bool non_ascii_ = false;
};

}  // namespace intelflow::harm::py
