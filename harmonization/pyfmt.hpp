// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Python-compatible rendering of Values: str(), repr(), json.dumps(), and
/// float repr. These decide the exact bytes of serialized messages and of the
/// deduplicator hash, so they follow CPython 3.11 to the byte.

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
/// repr(v), used by the message hash (quote choice, escapes, non-printables).
void append_repr(std::string& out, const Value& v);
std::string repr(const Value& v);

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

/// Parses JSON text into a Value as Python's json.loads does (ints stay ints,
/// big ints become BigInt, floats Float, NaN/Infinity accepted, object order kept,
/// duplicate keys: last wins). Returns false on a syntax error.
bool json_loads(std::string_view text, Value& out);

}  // namespace intelflow::harm::py
