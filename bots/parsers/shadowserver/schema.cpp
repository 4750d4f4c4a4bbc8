// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/parsers/shadowserver/schema.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "harmonization/pyfmt.hpp"

namespace intelflow::bots::shadowserver {

namespace {

constexpr std::array<std::pair<std::string_view, Conv>, 18> kConversions{{
    {"add_UTC_to_timestamp", Conv::AddUtc},
    {"convert_bool", Conv::Bool},
    {"validate_to_none", Conv::ToNone},
    {"convert_int", Conv::Int},
    {"convert_float", Conv::Float},
    {"convert_http_host_and_url", Conv::HttpHostAndUrl},
    {"invalidate_zero", Conv::InvalidateZero},
    {"validate_ip", Conv::ValidateIp},
    {"validate_network", Conv::ValidateNetwork},
    {"validate_fqdn", Conv::ValidateFqdn},
    {"convert_date", Conv::Date},
    {"convert_date_utc", Conv::DateUtc},
    {"force_base64", Conv::ForceBase64},
    {"category_or_detail", Conv::CategoryOrDetail},
    {"extract_cve_from_tag", Conv::ExtractCve},
    {"scan_exchange_taxonomy", Conv::ExchangeTaxonomy},
    {"scan_exchange_type", Conv::ExchangeType},
    {"scan_exchange_identifier", Conv::ExchangeIdentifier},
}};

using harm::Value;

const Value* member(const Value& obj, std::string_view key) {
  for (const auto& [k, v] : obj.as_dict())
    if (k == key) return &v;
  return nullptr;
}

[[noreturn]] void fail(const std::string& origin, std::string_view report, const std::string& why) {
  std::string msg = origin;
  if (!report.empty()) msg += ": report '" + std::string(report) + "'";
  msg += ": " + why;
  throw SchemaError(msg);
}

Mapping parse_mapping(const Value& item, const std::string& origin, std::string_view report,
                      std::string_view list, std::size_t index, std::vector<std::string>& unknown) {
  const std::string where = std::string(list) + "[" + std::to_string(index) + "]";
  if (!item.is_list() || item.as_list().size() < 2)
    fail(origin, report, where + " must be a list [intelmq_key, column, conversion?, row?]");
  const auto& l = item.as_list();
  Mapping m;
  const Value& key = l[0];
  if (key.is_null() || (key.is_bool() && !key.as_bool())) {
    m.target = Target::Ignore;
  } else if (key.is_string()) {
    const std::string& k = key.as_string();
    if (k == "extra.") {
      m.target = Target::ExtraSameName;
    } else if (k.starts_with("extra.")) {
      m.target = Target::ExtraNamed;
      m.key = k.substr(6);
    } else {
      m.target = Target::Field;
      m.key = k;
    }
  } else {
    fail(origin, report, where + ": the IntelMQ key must be a string or false");
  }
  if (!l[1].is_string()) fail(origin, report, where + ": the column name must be a string");
  m.column = l[1].as_string();
  if (l.size() > 2 && !l[2].is_null()) {
    if (!l[2].is_string()) fail(origin, report, where + ": the conversion must be a name");
    m.conv_name = l[2].as_string();
    if (auto c = conv_from_name(m.conv_name)) {
      m.conv = *c;
    } else {
      m.conv = Conv::Unknown;
      if (std::find(unknown.begin(), unknown.end(), m.conv_name) == unknown.end())
        unknown.push_back(m.conv_name);
    }
  }
  if (l.size() > 3) m.with_row = l[3].truthy();
  return m;
}

}  // namespace

std::optional<Conv> conv_from_name(std::string_view name) noexcept {
  for (const auto& [n, c] : kConversions)
    if (n == name) return c;
  return std::nullopt;
}

bool needs_row(Conv c) noexcept {
  return c == Conv::HttpHostAndUrl || c == Conv::CategoryOrDetail;
}

bool is_cve_tag(std::string_view t) noexcept {
  if (t.size() < 7) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  if (lower(t[0]) != 'c' || lower(t[1]) != 'v' || lower(t[2]) != 'e' || t[3] != '-') return false;
  std::size_t i = 4;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (!digits() || i >= t.size() || t[i] != '-') return false;
  ++i;
  return digits() && i == t.size();
}

Schema Schema::parse(std::string_view json_text, const std::string& origin) {
  Value doc;
  if (!harm::py::json_loads(json_text, doc)) fail(origin, "", "not valid JSON");
  if (!doc.is_dict()) fail(origin, "", "the schema must be a JSON object");
  Schema s;
  for (const auto& [name, entry] : doc.as_dict()) {
    if (name == "_meta") continue;
    if (!entry.is_dict()) fail(origin, name, "must be an object");
    ReportSchema r;
    const Value* feed = member(entry, "feed_name");
    const Value* file = member(entry, "file_name");
    if (feed == nullptr || !feed->is_string()) fail(origin, name, "needs a string 'feed_name'");
    if (file == nullptr || !file->is_string()) fail(origin, name, "needs a string 'file_name'");
    r.feed_name = feed->as_string();
    r.file_name = file->as_string();
    if (const Value* url = member(entry, "url"); url != nullptr && url->truthy()) {
      if (!url->is_string()) fail(origin, name, "'url' must be a string");
      r.url = url->as_string();
    }
    for (const char* list : {"required_fields", "optional_fields"}) {
      const Value* l = member(entry, list);
      if (l == nullptr || l->is_null()) continue;
      if (!l->is_list()) fail(origin, name, std::string("'") + list + "' must be a list");
      auto& out = list[0] == 'r' ? r.required : r.optional;
      for (std::size_t i = 0; i < l->as_list().size(); ++i)
        out.push_back(parse_mapping(l->as_list()[i], origin, name, list, i, s.unknown_));
    }
    if (const Value* c = member(entry, "constant_fields"); c != nullptr && !c->is_null()) {
      if (!c->is_dict()) fail(origin, name, "'constant_fields' must be an object");
      for (const auto& [k, v] : c->as_dict()) r.constant_fields.emplace_back(k, v);
    }
    const std::size_t idx = s.reports_.size();
    s.by_feed_[r.feed_name] = idx;
    s.by_file_[r.file_name] = idx;
    s.reports_.push_back(std::move(r));
  }
  return s;
}

Schema Schema::load_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (!in || ec) throw SchemaError(path.string() + ": cannot read the file");
  std::ostringstream buf;
  buf << in.rdbuf();
  Schema s = parse(buf.str(), path.string());
  s.mtime_ = mtime;
  return s;
}

const ReportSchema* Schema::by_feed_name(std::string_view name) const noexcept {
  auto it = by_feed_.find(std::string(name));
  return it == by_feed_.end() ? nullptr : &reports_[it->second];
}

const ReportSchema* Schema::by_file_name(std::string_view name) const noexcept {
  auto it = by_file_.find(std::string(name));
  return it == by_file_.end() ? nullptr : &reports_[it->second];
}

const Schema& test_schema() {
  // The three reports of IntelMQ's test schema (schema.json.test).
  static const Schema s = Schema::parse(R"JSON({
  "test_smb": {
    "feed_name": "Test-Accessible-SMB", "file_name": "test_smb",
    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"],
                        ["source.ip", "ip", "validate_ip"], ["source.port", "port", "convert_int"]],
    "optional_fields": [["extra.", "smb_implant", "convert_bool"], ["source.reverse_dns", "hostname"],
                        ["extra.", "tag"], ["source.asn", "asn", "invalidate_zero"],
                        ["source.geolocation.cc", "geo"], ["source.geolocation.region", "region"],
                        ["source.geolocation.city", "city"],
                        ["extra.source.naics", "naics", "invalidate_zero"],
                        ["extra.source.sic", "sic", "invalidate_zero"],
                        ["extra.", "arch", "validate_to_none"], ["extra.", "key", "validate_to_none"],
                        ["extra.", "smbv1_support", "validate_to_none"],
                        ["extra.", "smb_major_number", "validate_to_none"],
                        ["extra.", "smb_minor_number", "validate_to_none"],
                        ["extra.", "smb_revision", "validate_to_none"],
                        ["extra.", "smb_version_string", "validate_to_none"]],
    "constant_fields": {"classification.identifier": "test-smb", "classification.taxonomy": "vulnerable",
                        "classification.type": "vulnerable-system", "protocol.application": "smb",
                        "protocol.transport": "tcp"}
  },
  "test_telnet": {
    "feed_name": "Test-Accessible-Telnet", "file_name": "test_telnet",
    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"],
                        ["source.ip", "ip", "validate_ip"], ["source.port", "port", "convert_int"]],
    "optional_fields": [["protocol.transport", "protocol"], ["source.reverse_dns", "hostname"],
                        ["extra.", "tag", "validate_to_none"], ["source.asn", "asn", "invalidate_zero"],
                        ["source.geolocation.cc", "geo"], ["source.geolocation.region", "region"],
                        ["source.geolocation.city", "city"], ["extra.", "naics", "invalidate_zero"],
                        ["extra.", "sic", "invalidate_zero"], ["extra.", "banner", "validate_to_none"]],
    "constant_fields": {"classification.identifier": "test-telnet", "classification.taxonomy": "vulnerable",
                        "classification.type": "vulnerable-system", "protocol.application": "telnet"}
  },
  "test_afs": {
    "feed_name": "Test-Accessible-AFS", "file_name": "test_afs",
    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"],
                        ["source.ip", "ip", "validate_ip"], ["source.port", "port", "convert_int"],
                        ["not_in_idf", "severity"]],
    "optional_fields": [["protocol.transport", "protocol"]],
    "constant_fields": {"classification.identifier": "test-afs", "classification.taxonomy": "vulnerable",
                        "classification.type": "vulnerable-system", "protocol.application": "afs"}
  }
})JSON",
                                        "built-in test schema");
  return s;
}

}  // namespace intelflow::bots::shadowserver
