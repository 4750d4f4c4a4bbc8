// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/parser_util.hpp"

#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots::putil {

using harm::Value;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0, start = 0;
  bool in_word = false;
  while (i < s.size()) {
    const std::size_t at = i;
    const char32_t cp = harm::uni::next_code_point(s, i);
    const bool space = harm::uni::is_space(cp);
    if (space && in_word) {
      out.push_back(s.substr(start, at - start));
      in_word = false;
    } else if (!space && !in_word) {
      start = at;
      in_word = true;
    }
  }
  if (in_word) out.push_back(s.substr(start));
  return out;
}

std::string_view strip_chars(std::string_view s, std::string_view chars) {
  const std::size_t b = s.find_first_not_of(chars);
  if (b == std::string_view::npos) return {};
  const std::size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}

std::string_view strip(std::string_view s) {
  return harm::uni::strip(s);
}

std::vector<std::string_view> splitlines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0, i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t brk = 0;
    if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) {
      brk = 1;
    } else if (c == '\r') {
      brk = i + 1 < n && text[i + 1] == '\n' ? 2 : 1;
    } else if (c == 0xC2 && i + 1 < n && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      brk = 2;  // U+0085
    } else if (c == 0xE2 && i + 2 < n && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
      brk = 3;  // U+2028, U+2029
    }
    if (brk == 0) {
      ++i;
      continue;
    }
    out.push_back(text.substr(start, i - start));
    i += brk;
    start = i;
  }
  if (start < n) out.push_back(text.substr(start));
  return out;
}

std::optional<std::int64_t> py_int(std::string_view text) {
  std::string_view s = strip(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_') return std::nullopt;
  std::uint64_t value = 0;
  char prev = 0;
  for (char c : s) {
    if (c == '_') {
      if (prev == '_') return std::nullopt;
    } else if (c >= '0' && c <= '9') {
      if (value > (UINT64_MAX - 9) / 10) return std::nullopt;
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
    } else {
      return std::nullopt;  // (non-ASCII digits are not accepted here)
    }
    prev = c;
  }
  if (value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  const auto v = static_cast<std::int64_t>(value);
  return negative ? -v : v;
}

Value json_loads(std::string_view text) {
  Value v;
  if (!harm::py::json_loads(text, v))
    throw ParseError("JSONDecodeError: the text is not valid JSON");
  return v;
}

void split_json_document(std::string_view text, std::vector<api::ParserBot::Element>& out) {
  Value doc = json_loads(text);
  if (doc.is_list()) {
    for (Value& item : doc.as_list()) {
      api::ParserBot::Element el;
      el.json = std::move(item);
      out.push_back(std::move(el));
    }
  } else if (doc.is_dict()) {
    for (auto& [k, v] : doc.as_dict()) {
      api::ParserBot::Element el;
      el.json = Value::string(k);
      out.push_back(std::move(el));
    }
  } else {
    throw ParseError("TypeError: the JSON document is not iterable");
  }
}

void split_json_stream(std::string_view text, std::vector<api::ParserBot::Element>& out) {
  for (std::string_view line : splitlines(text)) {
    api::ParserBot::Element el;
    el.json = json_loads(line);
    el.line = std::string(line);
    out.push_back(std::move(el));
  }
}

std::string recover_json(const Value& obj) {
  std::string out = "[";
  harm::py::append_json(out, obj);
  out += ']';
  return out;
}

std::string dumps_sorted(const Value& obj) {
  return harm::py::json_dumps(obj, {.sort_keys = true, .ensure_ascii = true});
}

const Value* find(const Value& obj, std::string_view key) noexcept {
  if (!obj.is_dict()) return nullptr;
  const Value* found = nullptr;
  for (const auto& [k, v] : obj.as_dict())
    if (k == key) found = &v;  // duplicate keys: the last one wins (json.loads)
  return found;
}

const Value& at(const Value& obj, std::string_view key) {
  if (!obj.is_dict())
    throw ParseError("TypeError: indices of a " + std::string(harm::py::type_name(obj)) +
                     " must be integers, not '" + std::string(key) + "'");
  const Value* v = find(obj, key);
  if (v == nullptr) throw ParseError("KeyError: '" + std::string(key) + "'");
  return *v;
}

}  // namespace intelflow::bots::putil
