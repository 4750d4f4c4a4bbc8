// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Declared bot parameters (ParamSpec) and the resolved parameter set a bot
/// receives (Params). One ParamSpec table per bot is the single source for
/// validation, defaults, type conversion and the generated documentation.
/// Params is immutable after the config loader built it; read from any thread.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harmonization/value.hpp"

namespace intelflow::api {

using harm::Value;

enum class ParamType : std::uint8_t {
  String,        ///< text
  Int,           ///< integer
  Float,         ///< number (ints accepted)
  Bool,          ///< true/false
  StringList,    ///< list of strings
  StringOrList,  ///< a string (bots split it, e.g. on commas) or a list of strings
  Dict,          ///< mapping
  List,          ///< list of anything
  Any,           ///< any JSON/YAML value
};
std::string_view param_type_name(ParamType t) noexcept;

/// One declared parameter. `default_json` is JSON text ("null" = no default value).
struct ParamSpec {
  std::string_view key;
  ParamType type;
  std::string_view default_json;
  bool required;
  std::string_view doc;
  bool nullable = true;  ///< null is accepted as "unset"
};

/// The resolved parameters of one bot instance (defaults applied, types checked).
class Params {
 public:
  Params() = default;
  explicit Params(std::vector<std::pair<std::string, Value>> items) : items_(std::move(items)) {}

  const Value* find(std::string_view key) const noexcept;
  bool has(std::string_view key) const noexcept;  ///< present and not null
  void set(std::string key, Value v);

  std::string get_string(std::string_view key, std::string_view dflt = "") const;
  std::optional<std::string> get_optional_string(std::string_view key) const;
  std::int64_t get_int(std::string_view key, std::int64_t dflt = 0) const;
  double get_float(std::string_view key, double dflt = 0) const;
  bool get_bool(std::string_view key, bool dflt = false) const;
  /// List of strings; a string value is split on `sep` (after trimming each part) when given.
  std::vector<std::string> get_string_list(std::string_view key, char sep = '\0') const;

  const std::vector<std::pair<std::string, Value>>& items() const noexcept { return items_; }

 private:
  std::vector<std::pair<std::string, Value>> items_;
};

/// Parses a ParamSpec default (JSON text) into a Value.
Value parse_default(std::string_view default_json);

/// Checks that `v` fits `t`; on mismatch returns a reason like "expected a list of strings".
std::optional<std::string> check_param_type(ParamType t, const Value& v);

}  // namespace intelflow::api
