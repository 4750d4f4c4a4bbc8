// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/config/yaml_value.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <regex>
#include <unordered_map>
#include <vector>

namespace intelflow::config {

using harm::Value;

namespace {

// PyYAML 6 implicit resolvers (resolver.py), anchored.
const std::regex& bool_re() {
  static const std::regex re(
      "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
  return re;
}
const std::regex& float_re() {
  static const std::regex re(
      "[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?"
      "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
      "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*"
      "|[-+]?\\.(?:inf|Inf|INF)"
      "|\\.(?:nan|NaN|NAN)");
  return re;
}
const std::regex& int_re() {
  static const std::regex re(
      "[-+]?0b[0-1_]+"
      "|[-+]?0[0-7_]+"
      "|[-+]?(?:0|[1-9][0-9_]*)"
      "|[-+]?0x[0-9a-fA-F_]+"
      "|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+");
  return re;
}

bool full_match(std::string_view s, const std::regex& re) {
  return std::regex_match(s.begin(), s.end(), re);
}

std::string without_underscores(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '_') out.push_back(c);
  return out;
}

// Decimal digits of a non-negative number given in `base`, for values beyond int64.
std::string to_decimal(std::string_view digits, int base) {
  std::string dec = "0";  // little-endian decimal digits
  for (char c : digits) {
    int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
    int carry = d;
    for (char& x : dec) {
      int v = (x - '0') * base + carry;
      x = static_cast<char>('0' + v % 10);
      carry = v / 10;
    }
    while (carry > 0) {
      dec.push_back(static_cast<char>('0' + carry % 10));
      carry /= 10;
    }
  }
  while (dec.size() > 1 && dec.back() == '0') dec.pop_back();
  return std::string(dec.rbegin(), dec.rend());
}

Value make_int(bool negative, std::string_view digits, int base) {
  std::uint64_t u = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), u, base);
  if (ec == std::errc() && p == digits.data() + digits.size()) {
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative && u <= kMax) return Value::integer(static_cast<std::int64_t>(u));
    if (negative && u <= kMax + 1) return Value::integer(static_cast<std::int64_t>(0 - u));
  }
  std::string dec = to_decimal(digits, base);
  return Value::big_integer(negative ? "-" + dec : dec);
}

// PyYAML construct_yaml_int; nullopt when Python's int() would fail.
std::optional<Value> construct_int(std::string_view text) {
  std::string v = without_underscores(text);
  bool negative = false;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    negative = v[0] == '-';
    v.erase(0, 1);
  }
  if (v.empty()) return std::nullopt;
  if (v == "0") return Value::integer(0);
  if (v.starts_with("0b")) {
    if (v.size() == 2) return std::nullopt;
    return make_int(negative, std::string_view(v).substr(2), 2);
  }
  if (v.starts_with("0x")) {
    if (v.size() == 2) return std::nullopt;
    return make_int(negative, std::string_view(v).substr(2), 16);
  }
  if (v[0] == '0') return make_int(negative, std::string_view(v).substr(1), 8);
  if (v.find(':') != std::string::npos) {
    std::int64_t total = 0;
    std::size_t start = 0;
    while (true) {
      auto pos = v.find(':', start);
      std::string part =
          v.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      total = total * 60 + std::stoll(part);
      if (pos == std::string::npos) break;
      start = pos + 1;
    }
    return Value::integer(negative ? -total : total);
  }
  return make_int(negative, v, 10);
}

// PyYAML construct_yaml_float.
std::optional<Value> construct_float(std::string_view text) {
  std::string v = without_underscores(text);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double sign = 1;
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
    if (v[0] == '-') sign = -1;
    v.erase(0, 1);
  }
  if (v == ".inf") return Value::floating(sign * std::numeric_limits<double>::infinity());
  if (v == ".nan") return Value::floating(std::numeric_limits<double>::quiet_NaN());
  if (v.find(':') != std::string::npos) {
    double total = 0;
    std::size_t start = 0;
    while (true) {
      auto pos = v.find(':', start);
      std::string part =
          v.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
      total = total * 60 + std::strtod(part.c_str(), nullptr);
      if (pos == std::string::npos) break;
      start = pos + 1;
    }
    return Value::floating(sign * total);
  }
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (end != v.c_str() + v.size()) return std::nullopt;
  return Value::floating(sign * d);
}

bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Tag() == "?" && key.Scalar() == "<<";
}

std::string key_text(const YAML::Node& key) {
  if (key.IsNull()) return "null";
  if (!key.IsScalar()) throw YamlValueError(key.Mark(), "mapping keys must be scalars");
  return key.Scalar();
}

void collect_pairs(const YAML::Node& map, std::vector<std::pair<YAML::Node, YAML::Node>>& out,
                   int depth);

// The entries a merge key's value contributes (PyYAML flatten_mapping order).
void collect_merge(const YAML::Node& value, std::vector<std::pair<YAML::Node, YAML::Node>>& out,
                   int depth) {
  if (depth > 64) throw YamlValueError(value.Mark(), "merge keys nested too deeply");
  if (value.IsMap()) {
    collect_pairs(value, out, depth + 1);
    return;
  }
  if (value.IsSequence()) {
    std::vector<YAML::Node> maps(value.begin(), value.end());
    for (auto it = maps.rbegin(); it != maps.rend(); ++it) {
      if (!it->IsMap()) throw YamlValueError(it->Mark(), "expected a mapping for merging");
      collect_pairs(*it, out, depth + 1);
    }
    return;
  }
  throw YamlValueError(value.Mark(), "expected a mapping or list of mappings for merging");
}

void collect_pairs(const YAML::Node& map, std::vector<std::pair<YAML::Node, YAML::Node>>& out,
                   int depth) {
  std::vector<std::pair<YAML::Node, YAML::Node>> own;
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (is_merge_key(it->first))
      collect_merge(it->second, out, depth);
    else
      own.emplace_back(it->first, it->second);
  }
  out.insert(out.end(), own.begin(), own.end());
}

}  // namespace

bool yaml_is_plain(const YAML::Node& node) {
  if (node.IsNull()) return node.Tag().empty() || node.Tag() == "?";
  return node.IsScalar() && node.Tag() == "?";
}

Value resolve_plain_scalar(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Value();
  const char c = s[0];
  if (std::string_view("yYnNtTfFoO").find(c) != std::string_view::npos && full_match(s, bool_re()))
    return Value::boolean(c == 'y' || c == 'Y' || c == 't' || c == 'T' || s == "on" || s == "On" ||
                          s == "ON");
  if (std::string_view("-+0123456789.").find(c) != std::string_view::npos) {
    if (full_match(s, float_re()))
      if (auto v = construct_float(s)) return std::move(*v);
    if (c != '.' && full_match(s, int_re())) {
      try {
        if (auto v = construct_int(s)) return std::move(*v);
      } catch (const std::exception&) {  // a sexagesimal value beyond int64: keep the text
      }
    }
  }
  return Value::string(s);
}

std::vector<YamlEntry> yaml_map_entries(
    const YAML::Node& map, std::vector<std::pair<YAML::Node, YAML::Node>>* duplicates) {
  std::vector<YamlEntry> out;
  if (!map.IsMap()) return out;
  // Own (non-merge) keys, to report only real repetitions, not merge overrides.
  std::vector<std::pair<YAML::Node, YAML::Node>> pairs;
  collect_pairs(map, pairs, 0);
  std::vector<std::pair<std::string, YAML::Node>> own_seen;
  if (duplicates != nullptr) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (is_merge_key(it->first)) continue;
      std::string k = key_text(it->first);
      for (const auto& [sk, sn] : own_seen) {
        if (sk == k) {
          duplicates->emplace_back(sn, it->first);
          break;
        }
      }
      own_seen.emplace_back(std::move(k), it->first);
    }
  }
  // yaml-cpp's Node::operator= rebinds the shared node (it would rewrite the
  // document): entries are only ever constructed, never assigned.
  std::unordered_map<std::string, std::size_t> last;  // key -> index of its last pair
  std::vector<std::string> keys;
  keys.reserve(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    keys.push_back(key_text(pairs[i].first));
    last[keys.back()] = i;
  }
  std::unordered_map<std::string, bool> emitted;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (emitted[keys[i]]) continue;
    emitted[keys[i]] = true;
    const auto& [kn, vn] = pairs[last[keys[i]]];
    out.push_back(YamlEntry{keys[i], kn, vn});
  }
  return out;
}

Value yaml_to_value(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: {
      const std::string& tag = node.Tag();
      if (tag == "tag:yaml.org,2002:str") return Value::string("");
      return Value();
    }
    case YAML::NodeType::Scalar: {
      const std::string& tag = node.Tag();
      const std::string& text = node.Scalar();
      if (tag == "?") return resolve_plain_scalar(text);
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return Value::string(text);
      if (tag == "tag:yaml.org,2002:null") return Value();
      if (tag == "tag:yaml.org,2002:bool") {
        Value v = resolve_plain_scalar(text);
        if (!v.is_bool()) throw YamlValueError(node.Mark(), "not a boolean: '" + text + "'");
        return v;
      }
      if (tag == "tag:yaml.org,2002:int") {
        auto v = construct_int(text);
        if (!v) throw YamlValueError(node.Mark(), "not an integer: '" + text + "'");
        return std::move(*v);
      }
      if (tag == "tag:yaml.org,2002:float") {
        auto v = construct_float(text);
        if (!v) throw YamlValueError(node.Mark(), "not a number: '" + text + "'");
        return std::move(*v);
      }
      if (tag == "tag:yaml.org,2002:timestamp") return Value::string(text);
      throw YamlValueError(node.Mark(), "unsupported YAML tag '" + tag + "'");
    }
    case YAML::NodeType::Sequence: {
      Value::List list;
      list.reserve(node.size());
      for (const auto& item : node) list.push_back(yaml_to_value(item));
      return Value::list(std::move(list));
    }
    case YAML::NodeType::Map: {
      Value::Dict dict;
      for (auto& e : yaml_map_entries(node)) dict.emplace_back(e.key, yaml_to_value(e.value));
      return Value::dict(std::move(dict));
    }
  }
  return Value();
}

}  // namespace intelflow::config
