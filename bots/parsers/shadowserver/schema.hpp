// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The Shadowserver report schema (Shadowserver's `schema.json`, as IntelMQ
/// 3.3 downloads it): one entry per report with `feed_name`, `file_name`,
/// optional `url`, `required_fields` / `optional_fields` mappings
/// `[intelmq_key, column, conversion?, needs_row?]` and `constant_fields`.
/// Loaded once (and again when the file changes); immutable afterwards.

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "harmonization/value.hpp"

namespace intelflow::bots::shadowserver {

/// A schema that cannot be used; what() names the file, the report and the reason.
class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Conversion functions of the schema (`_config.py` of the reference).
enum class Conv : std::uint8_t {
  None,
  AddUtc,              ///< add_UTC_to_timestamp
  Bool,                ///< convert_bool
  ToNone,              ///< validate_to_none
  Int,                 ///< convert_int
  Float,               ///< convert_float
  HttpHostAndUrl,      ///< convert_http_host_and_url (row-aware)
  InvalidateZero,      ///< invalidate_zero
  ValidateIp,          ///< validate_ip
  ValidateNetwork,     ///< validate_network
  ValidateFqdn,        ///< validate_fqdn
  Date,                ///< convert_date
  DateUtc,             ///< convert_date_utc
  ForceBase64,         ///< force_base64
  CategoryOrDetail,    ///< category_or_detail (row-aware)
  ExtractCve,          ///< extract_cve_from_tag
  ExchangeTaxonomy,    ///< scan_exchange_taxonomy
  ExchangeType,        ///< scan_exchange_type
  ExchangeIdentifier,  ///< scan_exchange_identifier
  Unknown,             ///< a name this port does not know: rows using it fail
};
/// nullopt for an unknown name.
std::optional<Conv> conv_from_name(std::string_view name) noexcept;
/// Functions that take the whole row as second argument.
bool needs_row(Conv c) noexcept;
/// A `cve-<digits>-<digits>` tag (case-insensitive), as extract_cve_from_tag keeps them.
bool is_cve_tag(std::string_view tag) noexcept;

/// Where a column's value goes.
enum class Target : std::uint8_t {
  Field,          ///< the IntelMQ field `key`
  ExtraSameName,  ///< "extra.": extra.<column>
  ExtraNamed,     ///< "extra.x": extra.<key> (key = "x")
  Ignore,         ///< false: consumed, not stored
};

struct Mapping {
  Target target = Target::Field;
  std::string key;     ///< field name, or the extra name for ExtraNamed
  std::string column;  ///< CSV column
  Conv conv = Conv::None;
  std::string conv_name;
  bool with_row = false;  ///< 4th element: the function also gets the row
};

struct ReportSchema {
  std::string feed_name;
  std::string file_name;
  std::optional<std::string> url;  ///< → feed.documentation
  std::vector<Mapping> required;
  std::vector<Mapping> optional;
  std::vector<std::pair<std::string, harm::Value>> constant_fields;
};

class Schema {
 public:
  /// Parses schema JSON text; `origin` names it in errors. Throws SchemaError.
  static Schema parse(std::string_view json_text, const std::string& origin);
  /// Reads and parses a file, remembering its modification time. Throws SchemaError.
  static Schema load_file(const std::filesystem::path& path);

  /// Lookup by `feed_name` / `file_name`; a later report with the same name wins.
  const ReportSchema* by_feed_name(std::string_view name) const noexcept;
  const ReportSchema* by_file_name(std::string_view name) const noexcept;
  const std::vector<ReportSchema>& reports() const noexcept { return reports_; }
  /// Conversion names used by the schema that this port does not know.
  const std::vector<std::string>& unknown_conversions() const noexcept { return unknown_; }

  std::filesystem::file_time_type mtime() const noexcept { return mtime_; }
  void set_mtime(std::filesystem::file_time_type t) noexcept { mtime_ = t; }

 private:
  std::vector<ReportSchema> reports_;
  std::unordered_map<std::string, std::size_t> by_feed_, by_file_;
  std::vector<std::string> unknown_;
  std::filesystem::file_time_type mtime_{};
};

/// The schema of IntelMQ's test suite (reports test_smb, test_telnet,
/// test_afs), used with `test_mode`.
const Schema& test_schema();

}  // namespace intelflow::bots::shadowserver
