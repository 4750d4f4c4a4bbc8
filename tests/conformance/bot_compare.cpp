// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/conformance/bot_compare.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harmonization/pyfmt.hpp"
#include "tests/conformance/compare.hpp"

namespace intelflow::conformance {

using harm::Kind;
using harm::Value;

namespace {

/// A number as a long double plus, for integers, the exact text (big ints).
bool is_num(const Value& v) {
  return v.is_int() || v.is_bigint() || v.is_float();
}

bool numbers_equal(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
  if (a.is_bigint() && b.is_bigint()) return a.as_string() == b.as_string();
  auto as_ld = [](const Value& v) -> long double {
    if (v.is_int()) return static_cast<long double>(v.as_int());
    if (v.is_float()) return static_cast<long double>(v.as_float());
    return std::strtold(v.as_string().c_str(), nullptr);
  };
  const long double x = as_ld(a), y = as_ld(b);
  if (std::isnan(x) && std::isnan(y)) return true;  // NaN fields: same special value
  return x == y;
}

const Value* dict_get(const Value& d, std::string_view key) {
  if (!d.is_dict()) return nullptr;
  for (const auto& [k, v] : d.as_dict())
    if (k == key) return &v;
  return nullptr;
}

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
    if (d < 0) continue;
    acc = (acc << 6) | static_cast<unsigned>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

/// "…" + up to 30 characters either side of the first difference.
std::string around(std::string_view s, std::size_t pos) {
  constexpr std::size_t kSide = 30;
  std::size_t from = pos > kSide ? pos - kSide : 0;
  std::size_t len = std::min(s.size() - std::min(s.size(), from), 2 * kSide);
  std::string out = render(Value::string(std::string(s.substr(from, len))));
  if (from > 0) out = "…" + out;
  if (from + len < s.size()) out += "…";
  return out;
}

std::size_t first_diff(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

/// expected vs got for two differing values; long strings shown around the
/// first difference.
std::string describe(const Value& expected, const Value& got, bool is_raw = false) {
  if (expected.is_string() && got.is_string()) {
    const auto& e = expected.as_string();
    const auto& g = got.as_string();
    if (is_raw) {
      std::string de = b64_decode(e), dg = b64_decode(g);
      if (de != dg || e.size() + g.size() > 80) {
        auto p = first_diff(de, dg);
        return "decoded raw differs at byte " + std::to_string(p) + ": expected " + around(de, p) +
               ", got " + around(dg, p);
      }
    }
    if (e.size() + g.size() > 160) {
      auto p = first_diff(e, g);
      return "differs at offset " + std::to_string(p) + ": expected " + around(e, p) + ", got " +
             around(g, p);
    }
  }
  return "expected " + short_render(expected) + ", got " + short_render(got);
}

/// Drops the ignored keys and decodes `output`; returns a dict Value.
Value normalize(const Value& msg, const std::vector<std::string>& ignore_fields) {
  Value::Dict out;
  if (!msg.is_dict()) return msg;
  std::vector<std::string_view> drop_output;
  for (const auto& f : ignore_fields)
    if (f.starts_with("output.")) drop_output.push_back(std::string_view(f).substr(7));
  for (const auto& [k, v] : msg.as_dict()) {
    if (k == "time.observation") continue;
    if (std::find(ignore_fields.begin(), ignore_fields.end(), k) != ignore_fields.end()) continue;
    if (k == "output" && v.is_string()) {
      Value decoded;
      if (harm::py::json_loads(v.as_string(), decoded)) {
        if (decoded.is_dict() && !drop_output.empty()) {
          Value::Dict kept;
          for (auto& [dk, dv] : decoded.as_dict())
            if (std::find(drop_output.begin(), drop_output.end(), dk) == drop_output.end())
              kept.emplace_back(dk, std::move(dv));
          decoded = Value::dict(std::move(kept));
        }
        out.emplace_back(k, std::move(decoded));
        continue;
      }
    }
    out.emplace_back(k, v);
  }
  return Value::dict(std::move(out));
}

void compare_one(const std::string& label, const Value& expected, const Value& actual,
                 std::vector<std::string>& diffs) {
  if (!expected.is_dict() || !actual.is_dict()) {
    if (!same_json_value(expected, actual))
      diffs.push_back(label + ": " + describe(expected, actual));
    return;
  }
  for (const auto& [k, ev] : expected.as_dict()) {
    const Value* av = dict_get(actual, k);
    if (av == nullptr) {
      diffs.push_back(label + " key \"" + k + "\": missing (expected " + short_render(ev) + ")");
    } else if (!same_json_value(ev, *av)) {
      diffs.push_back(label + " key \"" + k + "\": " + describe(ev, *av, k == "raw"));
    }
  }
  for (const auto& [k, av] : actual.as_dict()) {
    if (dict_get(expected, k) == nullptr)
      diffs.push_back(label + " key \"" + k + "\": unexpected (got " + short_render(av) + ")");
  }
}

}  // namespace

bool same_json_value(const Value& a, const Value& b) {
  if (is_num(a) && is_num(b)) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return a.as_bool() == b.as_bool();
    case Kind::String:
    case Kind::Bytes:
      return a.as_string() == b.as_string();
    case Kind::List: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!same_json_value(x[i], y[i])) return false;
      return true;
    }
    case Kind::Dict: {
      const auto& x = a.as_dict();
      if (x.size() != b.as_dict().size()) return false;
      for (const auto& [k, v] : x) {
        const Value* w = dict_get(b, k);
        if (w == nullptr || !same_json_value(v, *w)) return false;
      }
      return true;
    }
    default:
      return false;  // numbers handled above
  }
}

std::string short_render(const Value& v, std::size_t max_len) {
  std::string s = render(v);
  if (s.size() <= max_len) return s;
  // Cut on a UTF-8 boundary.
  std::size_t cut = max_len;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut) + "…(" + std::to_string(s.size()) + " chars)";
}

void compare_messages(const std::string& label, const Value::List& expected,
                      const std::vector<Value>& actual,
                      const std::vector<std::string>& ignore_fields,
                      std::vector<std::string>& diffs) {
  if (expected.size() != actual.size())
    diffs.push_back(label + ": expected " + std::to_string(expected.size()) + " message(s), got " +
                    std::to_string(actual.size()));
  const std::size_t n = std::min(expected.size(), actual.size());
  for (std::size_t i = 0; i < n; ++i) {
    compare_one(label + " msg#" + std::to_string(i), normalize(expected[i], ignore_fields),
                normalize(actual[i], ignore_fields), diffs);
  }
  // Show what the surplus messages are (their first keys), so a count
  // mismatch is readable on its own.
  for (std::size_t i = n; i < actual.size() && i < n + 2; ++i)
    diffs.push_back(label + " msg#" + std::to_string(i) + ": unexpected message " +
                    short_render(normalize(actual[i], ignore_fields)));
  for (std::size_t i = n; i < expected.size() && i < n + 2; ++i)
    diffs.push_back(label + " msg#" + std::to_string(i) + ": missing message " +
                    short_render(normalize(expected[i], ignore_fields)));
}

void compare_cache(const Value& expected, const std::map<std::string, CacheEntry>& actual,
                   std::vector<std::string>& diffs) {
  if (!expected.is_dict()) {
    diffs.push_back("cache_after: not an object in the case");
    return;
  }
  for (const auto& [key, e] : expected.as_dict()) {
    const std::string label = "cache key \"" + key + "\"";
    auto it = actual.find(key);
    if (it == actual.end()) {
      diffs.push_back(label + ": missing");
      continue;
    }
    const CacheEntry& got = it->second;
    const Value* type = dict_get(e, "type");
    if (type && type->is_string() && type->as_string() != got.type) {
      diffs.push_back(label + ": type expected " + type->as_string() + ", got " + got.type);
      continue;
    }
    if (const Value* v = dict_get(e, "value"); v && !same_json_value(*v, got.value))
      diffs.push_back(label + " value: " + describe(*v, got.value));
    const Value* ttl = dict_get(e, "ttl");
    const bool expect_expiry = ttl && (ttl->is_int() || ttl->is_float()) &&
                               (ttl->is_int() ? ttl->as_int() > 0 : ttl->as_float() > 0);
    if (expect_expiry) {
      const double bound = ttl->is_int() ? static_cast<double>(ttl->as_int()) : ttl->as_float();
      if (got.ttl < 0)
        diffs.push_back(label + " ttl: expected an expiry (at most " + short_render(*ttl) +
                        "s), got none");
      else if (static_cast<double>(got.ttl) > bound)
        diffs.push_back(label + " ttl: expected at most " + short_render(*ttl) + "s, got " +
                        std::to_string(got.ttl) + "s");
    } else if (got.ttl >= 0) {
      diffs.push_back(label + " ttl: expected no expiry, got " + std::to_string(got.ttl) + "s");
    }
  }
  for (const auto& [key, got] : actual) {
    if (dict_get(expected, key) == nullptr)
      diffs.push_back("cache key \"" + key + "\": unexpected (" + got.type + " " +
                      short_render(got.value) + ")");
  }
}

FileState read_file_state(const std::string& path) {
  namespace fs = std::filesystem;
  FileState st;
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return st;
  st.exists = true;
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  if (fs::is_directory(status)) {
    st.is_dir = true;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (!entry.is_regular_file()) continue;
      st.files[fs::relative(entry.path(), path).generic_string()] = slurp(entry.path());
    }
  } else {
    st.content = slurp(path);
  }
  return st;
}

void compare_file(const std::string& path, const Value& expected, const FileState& actual,
                  bool names_random, std::vector<std::string>& diffs) {
  const std::string label = "file " + path;
  const Value* type = dict_get(expected, "type");
  const Value* content = dict_get(expected, "content");
  const bool want_dir = type && type->is_string() && type->as_string() == "dir";
  if (!actual.exists) {
    diffs.push_back(label + ": missing");
    return;
  }
  if (want_dir != actual.is_dir) {
    diffs.push_back(label + ": expected a " + (want_dir ? "directory" : "file") + ", got a " +
                    (actual.is_dir ? "directory" : "file"));
    return;
  }
  if (!want_dir) {
    Value got = Value::string(actual.content);
    if (content && !same_json_value(*content, got))
      diffs.push_back(label + " content: " + describe(*content, got));
    return;
  }
  if (!content || !content->is_dict()) return;
  if (names_random) {
    std::vector<std::string> want, got;
    for (const auto& [name, c] : content->as_dict())
      want.push_back(c.is_string() ? c.as_string() : render(c));
    for (const auto& [name, c] : actual.files) got.push_back(c);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want.size() != got.size())
      diffs.push_back(label + ": expected " + std::to_string(want.size()) + " file(s), got " +
                      std::to_string(got.size()));
    for (std::size_t i = 0; i < std::min(want.size(), got.size()); ++i)
      if (want[i] != got[i])
        diffs.push_back(label + " file#" + std::to_string(i) + " (names are generated): " +
                        describe(Value::string(want[i]), Value::string(got[i])));
    return;
  }
  for (const auto& [name, c] : content->as_dict()) {
    auto it = actual.files.find(name);
    if (it == actual.files.end()) {
      diffs.push_back(label + "/" + name + ": missing");
      continue;
    }
    Value got = Value::string(it->second);
    if (!same_json_value(c, got)) diffs.push_back(label + "/" + name + ": " + describe(c, got));
  }
  for (const auto& [name, c] : actual.files)
    if (dict_get(*content, name) == nullptr)
      diffs.push_back(label + "/" + name + ": unexpected file (" + short_render(Value::string(c)) +
                      ")");
}

}  // namespace intelflow::conformance
