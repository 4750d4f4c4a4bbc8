// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/api/params.hpp"

#include <algorithm>
#include <stdexcept>

#include "harmonization/pyfmt.hpp"

namespace intelflow::api {

std::string_view param_type_name(ParamType t) noexcept {
  switch (t) {
    case ParamType::String:
      return "string";
    case ParamType::Int:
      return "integer";
    case ParamType::Float:
      return "number";
    case ParamType::Bool:
      return "boolean";
    case ParamType::StringList:
      return "list of strings";
    case ParamType::StringOrList:
      return "string or list of strings";
    case ParamType::Dict:
      return "mapping";
    case ParamType::List:
      return "list";
    case ParamType::Any:
      return "any";
  }
  return "?";
}

const Value* Params::find(std::string_view key) const noexcept {
  for (const auto& [k, v] : items_)
    if (k == key) return &v;
  return nullptr;
}

bool Params::has(std::string_view key) const noexcept {
  const Value* v = find(key);
  return v != nullptr && !v->is_null();
}

void Params::set(std::string key, Value v) {
  for (auto& [k, old] : items_) {
    if (k == key) {
      old = std::move(v);
      return;
    }
  }
  items_.emplace_back(std::move(key), std::move(v));
}

std::string Params::get_string(std::string_view key, std::string_view dflt) const {
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return std::string(dflt);
  if (v->is_string()) return v->as_string();
  return harm::py::str(*v);
}

std::optional<std::string> Params::get_optional_string(std::string_view key) const {
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) return v->as_string();
  return harm::py::str(*v);
}

std::int64_t Params::get_int(std::string_view key, std::int64_t dflt) const {
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return dflt;
  if (v->is_int()) return v->as_int();
  if (v->is_bool()) return v->as_bool() ? 1 : 0;
  if (v->is_float()) return static_cast<std::int64_t>(v->as_float());
  if (v->is_string()) return std::stoll(v->as_string());
  return dflt;
}

double Params::get_float(std::string_view key, double dflt) const {
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return dflt;
  if (v->is_int()) return static_cast<double>(v->as_int());
  if (v->is_float()) return v->as_float();
  if (v->is_bool()) return v->as_bool() ? 1.0 : 0.0;
  if (v->is_string()) return std::stod(v->as_string());
  return dflt;
}

bool Params::get_bool(std::string_view key, bool dflt) const {
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return dflt;
  if (v->is_bool()) return v->as_bool();
  return v->truthy();
}

namespace {
std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

std::vector<std::string> Params::get_string_list(std::string_view key, char sep) const {
  std::vector<std::string> out;
  const Value* v = find(key);
  if (v == nullptr || v->is_null()) return out;
  if (v->is_list()) {
    for (const auto& e : v->as_list())
      out.push_back(e.is_string() ? e.as_string() : harm::py::str(e));
    return out;
  }
  std::string s = v->is_string() ? v->as_string() : harm::py::str(*v);
  if (sep == '\0') {
    out.push_back(s);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    auto part = trim(std::string_view(s).substr(
        start, pos == std::string::npos ? std::string::npos : pos - start));
    if (!part.empty()) out.push_back(std::move(part));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

Value parse_default(std::string_view default_json) {
  Value v;
  if (default_json.empty()) return v;
  if (!harm::py::json_loads(default_json, v))
    throw std::logic_error("bad ParamSpec default: " + std::string(default_json));
  return v;
}

std::optional<std::string> check_param_type(ParamType t, const Value& v) {
  switch (t) {
    case ParamType::Any:
      return std::nullopt;
    case ParamType::String:
      if (v.is_string()) return std::nullopt;
      return "expected a string";
    case ParamType::Int:
      if (v.is_int()) return std::nullopt;
      return "expected an integer";
    case ParamType::Float:
      if (v.is_int() || v.is_float()) return std::nullopt;
      return "expected a number";
    case ParamType::Bool:
      if (v.is_bool()) return std::nullopt;
      return "expected true or false";
    case ParamType::StringList:
      if (v.is_list() && std::all_of(v.as_list().begin(), v.as_list().end(),
                                     [](const Value& e) { return e.is_string(); }))
        return std::nullopt;
      return "expected a list of strings";
    case ParamType::StringOrList:
      if (v.is_string()) return std::nullopt;
      if (v.is_list() && std::all_of(v.as_list().begin(), v.as_list().end(),
                                     [](const Value& e) { return e.is_string(); }))
        return std::nullopt;
      return "expected a string or a list of strings";
    case ParamType::Dict:
      if (v.is_dict()) return std::nullopt;
      return "expected a mapping";
    case ParamType::List:
      if (v.is_list()) return std::nullopt;
      return "expected a list";
  }
  return std::nullopt;
}

}  // namespace intelflow::api
