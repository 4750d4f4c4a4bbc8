// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Small helpers shared by the feed-specific parsers: Python string splitting
/// (`str.split(sep)`, `str.split()`, `str.strip(chars)`), the JSON splitting of
/// IntelMQ's `parse_json` / `parse_json_stream` and the matching
/// `recover_line_json` text. Stateless, thread-safe.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/parser.hpp"
#include "harmonization/value.hpp"

namespace intelflow::bots::putil {

/// Python `s.split(sep)`: every piece, empty ones included.
std::vector<std::string_view> split(std::string_view s, char sep);
/// Python `s.split()`: runs of Unicode whitespace separate; no empty pieces.
std::vector<std::string_view> split_ws(std::string_view s);
/// Python `s.strip(chars)` for ASCII `chars`.
std::string_view strip_chars(std::string_view s, std::string_view chars);
/// Python `s.strip()` (Unicode whitespace).
std::string_view strip(std::string_view s);
/// Python `s.splitlines()` (line ends dropped).
std::vector<std::string_view> splitlines(std::string_view text);

/// Python `int(text)` for decimal text (surrounding whitespace, sign, `_`
/// between digits); nullopt where Python raises ValueError or beyond int64.
std::optional<std::int64_t> py_int(std::string_view text);

/// json.loads of a whole text; throws ParseError (a std::runtime_error) on a syntax error.
harm::Value json_loads(std::string_view text);

/// IntelMQ's `parse_json`: the decoded raw is one JSON document whose
/// elements (list items; for an object, its keys as Python iterates it) become
/// the parser's elements. Invalid JSON or a scalar document throws.
void split_json_document(std::string_view text, std::vector<api::ParserBot::Element>& out);
/// IntelMQ's `parse_json_stream`: one JSON document per `splitlines()` line,
/// `el.line` keeps the text line. An invalid line throws (whole report fails).
void split_json_stream(std::string_view text, std::vector<api::ParserBot::Element>& out);

/// `json.dumps([obj])`: Python default separators, ASCII escapes, key order kept.
std::string recover_json(const harm::Value& obj);
/// `json.dumps(obj, sort_keys=True)`.
std::string dumps_sorted(const harm::Value& obj);

/// Python `d[key]` on a JSON object: the member or a KeyError-like exception.
const harm::Value& at(const harm::Value& obj, std::string_view key);
/// The member or nullptr (also when `obj` is not an object).
const harm::Value* find(const harm::Value& obj, std::string_view key) noexcept;

/// Thrown where the reference raised a plain Python exception (KeyError, ValueError ...).
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace intelflow::bots::putil
