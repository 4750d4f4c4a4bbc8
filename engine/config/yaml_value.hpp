// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// YAML nodes (yaml-cpp) to harm::Value, typed the way IntelMQ sees them:
/// PyYAML's `safe_load` (YAML 1.1 implicit resolvers). Plain scalars become
/// bool/int/float/null by PyYAML's rules; quoted and block scalars are always
/// strings; sequences become lists and mappings dicts (file order, merge keys
/// `<<` applied, a repeated key replaces the earlier one). Pure functions,
/// used at configuration time only.

#include <stdexcept>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "harmonization/value.hpp"

namespace intelflow::config {

/// A node that has no Value (unsupported tag, bad explicit conversion).
class YamlValueError : public std::runtime_error {
 public:
  YamlValueError(const YAML::Mark& mark, const std::string& what)
      : std::runtime_error(what), mark_(mark) {}
  const YAML::Mark& mark() const noexcept { return mark_; }

 private:
  YAML::Mark mark_;
};

/// Types an untagged plain scalar like PyYAML: `true/True/TRUE/yes/on/...`
/// bool, `0x1F`/`017`/`0b101`/`1_000`/`1:30` int, `1.5`/`.5`/`1.5e+3`/`.inf`
/// float (`1e5` stays a string, as in YAML 1.1), `~`/`null`/empty null.
/// Dates and everything else stay strings.
harm::Value resolve_plain_scalar(std::string_view text);

/// Converts a whole node. Throws YamlValueError for tags PyYAML's safe_load
/// rejects (e.g. `!foo`).
harm::Value yaml_to_value(const YAML::Node& node);

/// Beware: assigning to a YAML::Node that already refers to a node rebinds
/// that node everywhere (yaml-cpp semantics); copy-construct instead.
///
/// A mapping's entries as `yaml_to_value` sees them: merge keys (`<<`)
/// expanded, a repeated key replacing the earlier one (at the earlier one's
/// position). `duplicates`, if given, receives each replaced key node.
struct YamlEntry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};
std::vector<YamlEntry> yaml_map_entries(
    const YAML::Node& map, std::vector<std::pair<YAML::Node, YAML::Node>>* duplicates = nullptr);

/// True for a plain (unquoted, untagged) scalar or an implicit null.
bool yaml_is_plain(const YAML::Node& node);

}  // namespace intelflow::config
