// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/value.hpp"

#include <algorithm>
#include <cmath>

namespace intelflow::harm {

bool Value::truthy() const noexcept {
  switch (kind_) {
    case Kind::Null:
      return false;
    case Kind::Bool:
      return b_;
    case Kind::Int:
      return i_ != 0;
    case Kind::BigInt:
      return true;
    case Kind::Float:
      return f_ != 0.0;  // NaN is truthy, as in Python
    case Kind::String:
    case Kind::Bytes:
      return !s_.empty();
    case Kind::List:
      return !list_->empty();
    case Kind::Dict:
      return !dict_->empty();
  }
  return false;
}

namespace {
bool numeric(const Value& v) {
  return v.is_bool() || v.is_int() || v.is_float();
}
long double num(const Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1 : 0;
  if (v.is_int()) return static_cast<long double>(v.as_int());
  return v.as_float();
}
}  // namespace

bool operator==(const Value& a, const Value& b) noexcept {
  if (numeric(a) && numeric(b)) {
    if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
    return num(a) == num(b);
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Null:
      return true;
    case Kind::BigInt:
    case Kind::String:
    case Kind::Bytes:
      return a.as_string() == b.as_string();
    case Kind::List:
      return a.as_list() == b.as_list();
    case Kind::Dict: {
      const auto& da = a.as_dict();
      const auto& db = b.as_dict();
      if (da.size() != db.size()) return false;
      for (const auto& [k, v] : da) {
        auto it = std::find_if(db.begin(), db.end(), [&](const auto& p) { return p.first == k; });
        if (it == db.end() || !(it->second == v)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace intelflow::harm
