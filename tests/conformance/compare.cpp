// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/conformance/compare.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace intelflow::conformance {

using harm::Kind;
using harm::Value;

namespace {

int b64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string b64_decode(std::string_view s) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : s) {
    int d = b64_digit(c);
    if (d < 0) continue;  // padding, whitespace
    acc = (acc << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

bool is_tag(const Json& j) {
  return j.is_object() && j.size() == 1 && !j.begin().key().empty() && j.begin().key()[0] == '$';
}

std::optional<double> special_float(const Json& tag) {
  if (!tag.is_string()) return std::nullopt;
  const auto& s = tag.get_ref<const std::string&>();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::nullopt;
}

void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void append_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view txt(buf, static_cast<std::size_t>(res.ptr - buf));
  out += txt;
  if (txt.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void append_render(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::Null:
      out += "null";
      break;
    case Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      break;
    case Kind::Int:
      out += std::to_string(v.as_int());
      break;
    case Kind::BigInt:
      out += v.as_string() + " (bigint)";
      break;
    case Kind::Float:
      append_float(out, v.as_float());
      break;
    case Kind::String:
      append_quoted(out, v.as_string());
      break;
    case Kind::Bytes: {
      out += "b\"";
      for (unsigned char c : v.as_string()) {
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
          out.push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        }
      }
      out += "\"";
      break;
    }
    case Kind::List: {
      out += "[";
      bool first = true;
      for (const auto& e : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_render(out, e);
      }
      out += "]";
      break;
    }
    case Kind::Dict: {
      out += "{";
      bool first = true;
      for (const auto& [k, e] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_quoted(out, k);
        out += ": ";
        append_render(out, e);
      }
      out += "}";
      break;
    }
  }
}

std::string key_path(const std::string& path, std::string_view key) {
  std::string p = path;
  p += "[";
  append_quoted(p, key);
  p += "]";
  return p;
}

/// " (first difference at byte N)" for long strings, to spot a one-character slip.
std::string first_difference(std::string_view a, std::string_view b) {
  if (a.size() < 24 && b.size() < 24) return {};
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return " (first difference at byte " + std::to_string(i) + ")";
}

bool structurally_equal(const std::string& a, const std::string& b) {
  auto ja = nlohmann::json::parse(a, nullptr, false);
  auto jb = nlohmann::json::parse(b, nullptr, false);
  if (ja.is_discarded() || jb.is_discarded()) return false;
  return ja == jb;
}

bool looks_like_json_container(std::string_view s) {
  auto p = s.find_first_not_of(" \t\r\n");
  return p != std::string_view::npos && (s[p] == '{' || s[p] == '[');
}

bool numeric_equal(const Json& e, const Value& a) {
  if (a.is_int()) {
    if (e.is_number_integer()) return e.get<std::int64_t>() == a.as_int();
    if (e.is_number_unsigned()) return false;  // > int64 max cannot be an Int
    return e.get<double>() == static_cast<double>(a.as_int());
  }
  if (a.is_float()) return e.get<double>() == a.as_float();
  if (a.is_bigint()) {
    if (e.is_number_unsigned()) return std::to_string(e.get<std::uint64_t>()) == a.as_string();
    if (e.is_number_integer()) return std::to_string(e.get<std::int64_t>()) == a.as_string();
  }
  return false;
}

}  // namespace

Value to_value(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return Value();
    case Json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer:
      return Value::integer(j.get<std::int64_t>());
    case Json::value_t::number_unsigned: {
      auto u = j.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Value::integer(static_cast<std::int64_t>(u));
      return Value::big_integer(std::to_string(u));
    }
    case Json::value_t::number_float:
      return Value::floating(j.get<double>());
    case Json::value_t::string:
      return Value::string(j.get_ref<const std::string&>());
    case Json::value_t::array: {
      Value::List l;
      l.reserve(j.size());
      for (const auto& e : j) l.push_back(to_value(e));
      return Value::list(std::move(l));
    }
    case Json::value_t::object: {
      if (is_tag(j)) {
        const auto& tag = j.begin().key();
        const auto& payload = j.begin().value();
        if (tag == "$float") {
          if (auto d = special_float(payload)) return Value::floating(*d);
        } else if (tag == "$bigint" && payload.is_string()) {
          return Value::big_integer(payload.get<std::string>());
        } else if (tag == "$bytes_b64" && payload.is_string()) {
          return Value::bytes(b64_decode(payload.get_ref<const std::string&>()));
        }
        throw Unsupported("value tag " + j.dump() + " has no C++ counterpart");
      }
      Value::Dict d;
      d.reserve(j.size());
      for (auto it = j.begin(); it != j.end(); ++it) d.emplace_back(it.key(), to_value(it.value()));
      return Value::dict(std::move(d));
    }
    default:
      throw Unsupported("unsupported JSON value " + j.dump());
  }
}

std::string render(const Value& v) {
  std::string out;
  append_render(out, v);
  return out;
}

std::string render(const Json& j) {
  try {
    return render(to_value(j));
  } catch (const Unsupported&) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

std::string brief(const Json& j, std::size_t max_len) {
  std::string s;
  if (j.is_object()) {
    s = "{";
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!first) s += ", ";
      first = false;
      s += it.key();
      s += "=";
      s += render(it.value());
    }
    s += "}";
  } else {
    s = render(j);
  }
  if (s.size() > max_len) {
    s.resize(max_len);
    s += "...";
  }
  return s;
}

std::string kind_label(const Value& v) {
  switch (v.kind()) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::BigInt:
      return "bigint";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
  }
  return "?";
}

std::string Outcome::describe_error() const {
  if (state == State::OtherError)
    return "C++ exception that is not a HarmonizationError (\"" + what + "\")";
  return "error " + std::string(harm::error_kind_name(kind)) + " (\"" + what + "\")";
}

bool error_matches(std::string_view recorded, const Outcome& got, std::string& why) {
  if (!got.threw()) return false;
  if (got.what.rfind("not implemented", 0) == 0) {
    why = " [stub: not implemented]";
    return false;
  }
  if (got.state == Outcome::State::OtherError) {
    why = " [must be a HarmonizationError]";
    return false;
  }
  static constexpr std::string_view kExact[] = {"InvalidValue",   "InvalidKey", "KeyExists",
                                                "KeyNotExists",   "KeyError",   "DecodingError",
                                                "InvalidArgument"};
  for (auto name : kExact) {
    if (recorded == name) return harm::error_kind_name(got.kind) == name;
  }
  // A Python crash leaking through the API (ValueError, binascii.Error, ...): any error.
  return true;
}

bool compare_value(const Json& expected, const Value& actual, const std::string& path,
                   std::vector<std::string>& diffs, bool json_text) {
  auto mismatch = [&](const std::string& detail) {
    diffs.push_back(path + ": expected " + render(expected) + ", got " + render(actual) + detail);
    return false;
  };
  auto kind_mismatch = [&](std::string_view want) {
    return mismatch(" [kind: expected " + std::string(want) + ", got " + kind_label(actual) + "]");
  };

  if (is_tag(expected)) {
    const auto& tag = expected.begin().key();
    const auto& payload = expected.begin().value();
    if (tag == "$float") {
      auto d = special_float(payload);
      if (!d) return mismatch(" [runner: bad $float tag]");
      if (!actual.is_float()) return kind_mismatch("float");
      double a = actual.as_float();
      if (std::isnan(*d) ? std::isnan(a) : a == *d) return true;
      return mismatch("");
    }
    if (tag == "$bigint") {
      if (!actual.is_bigint()) return kind_mismatch("bigint");
      if (payload.is_string() && payload.get<std::string>() == actual.as_string()) return true;
      return mismatch("");
    }
    if (tag == "$bytes_b64") {
      if (!actual.is_bytes()) return kind_mismatch("bytes");
      if (payload.is_string() && b64_decode(payload.get<std::string>()) == actual.as_string())
        return true;
      return mismatch("");
    }
    diffs.push_back(path + ": runner cannot compare tagged value " + expected.dump());
    return false;
  }

  switch (expected.type()) {
    case Json::value_t::null:
      if (actual.is_null()) return true;
      return mismatch("");
    case Json::value_t::boolean:
      if (!actual.is_bool()) return kind_mismatch("bool");
      if (actual.as_bool() == expected.get<bool>()) return true;
      return mismatch("");
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      if (!actual.is_int() && !actual.is_bigint()) {
        if (actual.is_float() && numeric_equal(expected, actual)) return kind_mismatch("int");
        if (!actual.is_float()) return kind_mismatch("int");
        return mismatch("");
      }
      if (numeric_equal(expected, actual)) return true;
      return mismatch("");
    case Json::value_t::number_float:
      if (!actual.is_float()) {
        if (actual.is_int() && numeric_equal(expected, actual)) return kind_mismatch("float");
        if (!actual.is_int()) return kind_mismatch("float");
        return mismatch("");
      }
      if (numeric_equal(expected, actual)) return true;
      return mismatch("");
    case Json::value_t::string: {
      if (!actual.is_string()) return kind_mismatch("str");
      const auto& e = expected.get_ref<const std::string&>();
      const auto& a = actual.as_string();
      if (e == a) return true;
      std::string detail = first_difference(e, a);
      if ((json_text || (looks_like_json_container(e) && looks_like_json_container(a))) &&
          structurally_equal(e, a))
        detail += " [structurally equal JSON, but not byte-identical]";
      return mismatch(detail);
    }
    case Json::value_t::array: {
      if (!actual.is_list()) return kind_mismatch("list");
      const auto& l = actual.as_list();
      std::vector<std::string> inner;
      if (l.size() == expected.size()) {
        for (std::size_t i = 0; i < l.size(); ++i)
          compare_value(expected[i], l[i], path + "[" + std::to_string(i) + "]", inner, json_text);
        if (inner.empty()) return true;
        if (inner.size() == 1) {
          diffs.push_back(std::move(inner.front()));
          return false;
        }
      }
      return mismatch(l.size() == expected.size()
                          ? ""
                          : " [length: expected " + std::to_string(expected.size()) + ", got " +
                                std::to_string(l.size()) + "]");
    }
    case Json::value_t::object: {
      if (!actual.is_dict()) return kind_mismatch("dict");
      const auto& d = actual.as_dict();
      bool ok = true;
      for (auto it = expected.begin(); it != expected.end(); ++it) {
        const Value* found = nullptr;
        int count = 0;
        for (const auto& [k, v] : d) {
          if (k == it.key()) {
            if (!found) found = &v;
            ++count;
          }
        }
        if (!found) {
          diffs.push_back(key_path(path, it.key()) + ": missing (expected " + render(it.value()) +
                          ")");
          ok = false;
          continue;
        }
        if (count > 1) {
          diffs.push_back(key_path(path, it.key()) + ": key present " + std::to_string(count) +
                          " times");
          ok = false;
        }
        if (!compare_value(it.value(), *found, key_path(path, it.key()), diffs, json_text))
          ok = false;
      }
      for (const auto& [k, v] : d) {
        if (!expected.contains(k)) {
          diffs.push_back(key_path(path, k) + ": unexpected key (got " + render(v) + ")");
          ok = false;
        }
      }
      return ok;
    }
    default:
      diffs.push_back(path + ": runner cannot compare " + expected.dump());
      return false;
  }
}

bool compare_outcome(const Json& expected_value, const Json* expected_error, const Outcome& got,
                     const std::string& label, std::vector<std::string>& diffs, bool json_text) {
  if (expected_error && expected_error->is_string()) {
    const auto& name = expected_error->get_ref<const std::string&>();
    if (!got.threw()) {
      diffs.push_back(label + ": expected error " + name + ", got " + render(got.value));
      return false;
    }
    std::string why;
    if (error_matches(name, got, why)) return true;
    diffs.push_back(label + ": expected error " + name + ", got " + got.describe_error() + why);
    return false;
  }
  if (got.threw()) {
    diffs.push_back(label + ": expected " + render(expected_value) + ", got " +
                    got.describe_error());
    return false;
  }
  return compare_value(expected_value, got.value, label, diffs, json_text);
}

std::optional<std::int64_t> parse_clock(std::string_view iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  std::string txt(iso);
  int consumed = 0;
  if (std::sscanf(txt.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
      6)
    return std::nullopt;
  std::string_view rest = iso.substr(static_cast<std::size_t>(consumed));
  if (!rest.empty() && rest[0] == '.') {  // fractional seconds: ignored (clock is whole seconds)
    std::size_t p = 1;
    while (p < rest.size() && rest[p] >= '0' && rest[p] <= '9') ++p;
    rest.remove_prefix(p);
  }
  std::int64_t offset = 0;
  if (rest == "Z" || rest.empty()) {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = (rest[1] - '0') * 10 + (rest[2] - '0');
    int om = (rest[4] - '0') * 10 + (rest[5] - '0');
    offset = (oh * 3600 + om * 60) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  // days_from_civil (proleptic Gregorian)
  y -= mo <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy =
      (153 * static_cast<unsigned>(mo + (mo > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
  return days * 86400 + h * 3600 + mi * 60 + s - offset;
}

}  // namespace intelflow::conformance
