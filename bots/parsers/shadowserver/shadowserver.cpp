// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.shadowserver.parser: every Shadowserver CSV report, driven by the
// report schema file (bots.md "parsers.shadowserver.parser").

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bots/common/csv_dict.hpp"
#include "bots/common/pyregex.hpp"
#include "bots/parsers/shadowserver/schema.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

namespace fs = std::filesystem;
using api::ConfigError;
using api::Value;
using harm::ErrorKind;
using harm::HarmonizationError;
using harm::Message;
using shadowserver::Conv;
using shadowserver::Mapping;
using shadowserver::ReportSchema;
using shadowserver::Schema;
using shadowserver::Target;

/// A Python exception raised while parsing (ValueError and friends).
class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The current CSV row seen by conversion functions as a Python dict.
struct RowView {
  const csvdict::DictParse& csv;
  bool has(std::string_view name) const { return csv.column(name) >= 0; }
  /// row.get(name): nullopt when the column is absent or the row is short (None).
  std::optional<std::string_view> get(std::string_view name) const {
    return csv.value(csv.column(name));
  }
};

Value py_int(std::string_view s) {
  Value v = harm::sanitize(harm::TypeId::Integer, Value::string(s));
  if (v.is_null())
    throw ParseError("ValueError: invalid literal for int() with base 10: " +
                     harm::py::repr(Value::string(s)));
  return v;
}

bool is_zero(const Value& v) {
  return v.is_int() ? v.as_int() == 0 : v.is_bigint() && v.as_string() == "0";
}

/// base64.b64decode(value, validate=True) succeeds.
bool strict_base64(std::string_view s) {
  std::size_t data = 0, pads = 0;
  for (char c : s) {
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    if (c == '=') {
      ++pads;
    } else if (!alpha || pads > 0) {
      return false;
    } else {
      ++data;
    }
  }
  if (pads > 2) return false;
  switch (data % 4) {
    case 0:
      return true;
    case 2:
      return pads == 2;
    case 3:
      return pads >= 1;
    default:
      return false;
  }
}

std::string base64_encode(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (static_cast<unsigned char>(in[i + 1]) << 8) |
                   static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < in.size()) {
    const bool two = i + 1 < in.size();
    const auto n = (static_cast<unsigned char>(in[i]) << 16) |
                   (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += two ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// convert_http_host_and_url: host from cc_dns / http_host, path from url /
/// http_url with the request words around it removed.
Value http_host_and_url(std::string_view value, const RowView& row) {
  std::optional<std::string_view> host, path;
  if (row.has("cc_dns"))
    host = row.get("cc_dns");
  else if (row.has("http_host"))
    host = row.get("http_host");
  if (row.has("url"))
    path = row.get("url");
  else if (row.has("http_url"))
    path = row.get("http_url");
  if (!host || host->empty() || !path || path->empty()) return Value::string(value);
  // re.sub(r'^[^/]*', '', path)
  std::string_view p = *path;
  const std::size_t slash = p.find('/');
  p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
  // re.sub(r'\s.*$', '', path): cut at the first whitespace from which the rest
  // of the text holds no line break (but a final one).
  for (std::size_t i = 0; i < p.size();) {
    std::size_t j = i;
    const char32_t cp = harm::uni::next_code_point(p, j);
    if (harm::uni::is_space(cp)) {
      const std::string_view rest = p.substr(j);
      const std::size_t nl = rest.find('\n');
      if (nl == std::string_view::npos || nl + 1 == rest.size()) {
        p = p.substr(0, i);
        break;
      }
    }
    i = j;
  }
  std::string_view app = "http";
  if (row.has("application")) {
    const auto a = row.get("application");
    if (a && (*a == "http" || *a == "https")) app = *a;
  }
  std::string out(app);
  out.append("://").append(*host).append(p);
  return Value::string(std::move(out));
}

/// Runs one schema conversion function on a text value.
Value convert(const Mapping& m, std::string_view v, const RowView& row) {
  switch (m.conv) {
    case Conv::None:
      return Value::string(v);
    case Conv::AddUtc:
      return Value::string(std::string(v) + " UTC");
    case Conv::Bool: {
      const std::string l = harm::uni::lower(v);
      if (l == "y" || l == "yes" || l == "true" || l == "enabled" || l == "1")
        return Value::boolean(true);
      if (l == "n" || l == "no" || l == "false" || l == "disabled" || l == "0")
        return Value::boolean(false);
      return Value();
    }
    case Conv::ToNone:
      return (v.empty() || v == "0" || v == "unknown") ? Value() : Value::string(v);
    case Conv::Int:
      return v.empty() ? Value() : py_int(v);
    case Conv::Float: {
      if (v.empty()) return Value();
      Value f = harm::sanitize(harm::TypeId::Float, Value::string(v));
      if (f.is_null())
        throw ParseError("ValueError: could not convert string to float: " +
                         harm::py::repr(Value::string(v)));
      return f;
    }
    case Conv::HttpHostAndUrl:
      return http_host_and_url(v, row);
    case Conv::InvalidateZero: {
      if (v.empty()) return Value();
      Value i = py_int(v);
      return is_zero(i) ? Value() : i;
    }
    case Conv::ValidateIp:
      if (v == "0.0.0.0" || v.find('/') != std::string_view::npos) return Value();
      return harm::is_valid(harm::TypeId::IPAddress, Value::string(v), true) ? Value::string(v)
                                                                             : Value();
    case Conv::ValidateNetwork:
      if (v.find('/') == std::string_view::npos) return Value();
      return harm::is_valid(harm::TypeId::IPNetwork, Value::string(v), true) ? Value::string(v)
                                                                             : Value();
    case Conv::ValidateFqdn:
      if (v.empty()) return Value();
      return harm::is_valid(harm::TypeId::FQDN, Value::string(v), true) ? Value::string(v)
                                                                        : Value();
    case Conv::Date:
      return harm::datetime::sanitize(Value::string(v));
    case Conv::DateUtc:
      return harm::datetime::sanitize(Value::string(std::string(v) + "+00:00"));
    case Conv::ForceBase64:
      if (v.empty()) return Value();
      return Value::string(strict_base64(v) ? std::string(v) : base64_encode(v));
    case Conv::CategoryOrDetail: {
      const auto cat = row.get("category");
      if (cat && !cat->empty()) return Value::string(*cat);
      const auto detail = row.get("detail");
      return detail ? Value::string(*detail) : Value();
    }
    case Conv::ExtractCve: {
      std::vector<std::string> cves;
      std::size_t start = 0;
      while (true) {
        const std::size_t semi = v.find(';', start);
        const std::string_view tag =
            v.substr(start, semi == std::string_view::npos ? std::string_view::npos : semi - start);
        if (shadowserver::is_cve_tag(tag)) {
          std::string t(tag);
          if (std::find(cves.begin(), cves.end(), t) == cves.end()) cves.push_back(std::move(t));
        }
        if (semi == std::string_view::npos) break;
        start = semi + 1;
      }
      if (cves.empty()) return Value();
      std::sort(cves.begin(), cves.end());
      std::string out;
      for (const auto& c : cves) {
        if (!out.empty()) out.push_back(';');
        out.append(c);
      }
      return Value::string(std::move(out));
    }
    case Conv::ExchangeTaxonomy:
      return Value::string(v == "exchange;webshell" ? "intrusions" : "vulnerable");
    case Conv::ExchangeType:
      return Value::string(v == "exchange;webshell" ? "system-compromise" : "vulnerable-system");
    case Conv::ExchangeIdentifier:
      return Value::string(v == "exchange;webshell" ? "exchange-server-webshell"
                                                    : "vulnerable-exchange-server");
    case Conv::Unknown:
      break;
  }
  throw ParseError("KeyError: " + harm::py::repr(Value::string(m.conv_name)));
}

/// Sets extra[key] = value (a later write replaces an earlier one, as in a dict).
void extra_set(Value::Dict& extra, std::string_view key, Value v) {
  for (auto& [k, old] : extra)
    if (k == key) {
      old = std::move(v);
      return;
    }
  extra.emplace_back(std::string(key), std::move(v));
}

/// The Shadowserver parser. The schema is shared and replaced atomically when
/// the file changes; process() keeps its state on the stack.
class ShadowserverParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    const api::Params& p = ctx.params;
    overwrite_ = p.get_bool("overwrite", false);
    if (const Value* f = p.find("feedname"); f && !f->is_null()) {
      if (!f->is_string()) throw ConfigError("feedname", "must be a string");
      feedname_ = f->as_string();
    }
    const bool test_mode = p.get_bool("test_mode", false);
    if (p.get_bool("auto_update", false))
      log().warn(
          "Parameter 'auto_update' is not supported by intelflow: download the schema from "
          "https://interchange.shadowserver.org/intelmq/v1/schema to {} yourself (e.g. by a cron "
          "job); the parser reloads it when the file changes.",
          default_schema_path(ctx).string());

    if (auto sf = p.get_optional_string("schema_file"); sf && !sf->empty()) {
      schema_path_ = *sf;
    } else if (!test_mode) {
      schema_path_ = default_schema_path(ctx);
    }
    if (schema_path_.empty()) {
      schema_ = std::make_shared<const Schema>(shadowserver::test_schema());
      log().info("Using the built-in test schema (test_mode).");
    } else {
      std::error_code ec;
      if (!fs::is_regular_file(schema_path_, ec))
        throw ConfigError(p.has("schema_file") ? "schema_file" : "",
                          "Shadowserver report schema file " + schema_path_.string() +
                              " does not exist. Download it from "
                              "https://interchange.shadowserver.org/intelmq/v1/schema or set "
                              "test_mode.");
      try {
        schema_ = std::make_shared<const Schema>(Schema::load_file(schema_path_));
      } catch (const shadowserver::SchemaError& e) {
        throw ConfigError(p.has("schema_file") ? "schema_file" : "", e.what());
      }
    }
    if (feedname_) {
      if (schema_->by_feed_name(*feedname_) != nullptr)
        log().info("Using fixed feed name '{}' for parsing reports.", *feedname_);
      else
        log().info(
            "Could not determine the feed by the feed name '{}' given by parameter. Will "
            "determine the feed from the file names.",
            *feedname_);
    }
  }

  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::shared_ptr<const Schema> schema = current_schema();

    // Which report is this?
    const ReportSchema* conf = feedname_ ? schema->by_feed_name(*feedname_) : nullptr;
    if (conf == nullptr) {
      const Value* fn = report.find("extra.file_name");
      std::string name = fn == nullptr     ? std::string()
                         : fn->is_string() ? fn->as_string()
                                           : harm::py::str(*fn);
      if (name.empty())
        throw ParseError(
            "No feedname given as parameter and the processed report has no "
            "'extra.file_name'. Ensure that at least one is given. Also have a look at the "
            "documentation of the bot.");
      std::vector<std::size_t> g;
      if (!file_name_regex().search(name, &g))
        throw ParseError("Report's 'extra.file_name' " + harm::py::repr(Value::string(name)) +
                         " is not valid.");
      const std::string short_name = name.substr(g[2], g[3] - g[2]);
      log().debug("Detected report's file name: '{}'.", short_name);
      conf = schema->by_file_name(short_name);
      if (conf == nullptr)
        throw ParseError("Could not get a config for '" + short_name +
                         "', check the documentation.");
    }

    csvdict::DictParse csv(decode_raw(report), {.ignore_prefixes = {}, .quote_all = true});
    RowPlan plan = make_plan(*conf, csv);

    std::vector<std::pair<std::string, std::string>> failures;  // (recovered raw, error)
    std::size_t sent = 0;
    while (csv.next()) {
      if (sent + failures.size() == 0)  // IntelMQ warns per row; once per report is enough
        for (const auto& col : plan.missing_optional)
          log().warn(
              "Optional key '{}' not found in feed '{}'. Possible change in data format or "
              "misconfiguration.",
              col, conf->feed_name);
      try {
        Message ev = parse_row(*conf, plan, csv, report);
        out.send(std::move(ev));
        ++sent;
      } catch (const std::exception& e) {
        log().error("Failed to parse line: {}", e.what());
        failures.emplace_back(csv.recover_text(csv.current_line()), e.what());
      }
    }
    for (auto& [raw, err] : failures) fail_line(report, raw, err, out);
    log().info("Sent {} events and found {} problem(s).", sent, failures.size());
  }

 protected:
  void parse_line(const Element&, const Message&, ParseState&, std::vector<Message>&) override {
    throw std::logic_error("parsers.shadowserver.parser handles whole reports");
  }

 private:
  /// Per report: column index of every mapping, the header's unique names.
  struct RowPlan {
    std::vector<int> required_col;  ///< unique-name index or -1 (column absent)
    std::vector<int> optional_col;
    std::vector<std::string> names;  ///< unique header names
    std::vector<int> name_col;       ///< column index (last occurrence) per unique name
    std::vector<int> base_count;     ///< occurrences per unique name (IntelMQ's `fields` list)
    std::vector<std::string> missing_optional;
  };

  static RowPlan make_plan(const ReportSchema& conf, const csvdict::DictParse& csv) {
    RowPlan plan;
    std::unordered_map<std::string_view, int> index;
    for (const auto& f : csv.fieldnames()) {
      auto [it, fresh] = index.try_emplace(f, static_cast<int>(plan.names.size()));
      if (fresh) {
        plan.names.push_back(f);
        plan.name_col.push_back(csv.column(f));
        plan.base_count.push_back(0);
      }
      ++plan.base_count[static_cast<std::size_t>(it->second)];
    }
    auto lookup = [&](const std::string& col) {
      auto it = index.find(col);
      return it == index.end() ? -1 : it->second;
    };
    for (const auto& m : conf.required) plan.required_col.push_back(lookup(m.column));
    for (const auto& m : conf.optional) {
      const int u = lookup(m.column);
      plan.optional_col.push_back(u);
      if (u < 0 && std::find(plan.missing_optional.begin(), plan.missing_optional.end(),
                             m.column) == plan.missing_optional.end())
        plan.missing_optional.push_back(m.column);
    }
    return plan;
  }

  Message parse_row(const ReportSchema& conf, const RowPlan& plan, const csvdict::DictParse& csv,
                    const Message& report) const {
    const RowView row{csv};
    std::vector<int> count = plan.base_count;  // IntelMQ's `fields` (a multiset here)
    Value::Dict extra;
    Message ev = new_event(report);
    ev.add("feed.name", Value::string(conf.feed_name), {.overwrite = overwrite_});
    if (conf.url) ev.add("feed.documentation", Value::string(*conf.url), {.overwrite = false});

    auto value_of = [&](int u) -> std::optional<std::string_view> {
      return csv.value(plan.name_col[static_cast<std::size_t>(u)]);
    };
    auto run = [&](const Mapping& m, std::string_view raw) {
      if (m.conv == Conv::None) return Value::string(raw);
      if (m.with_row != shadowserver::needs_row(m.conv) && m.conv != Conv::Unknown)
        throw ParseError("TypeError: conversion function '" + m.conv_name + "' " +
                         (m.with_row ? "takes no row argument" : "needs the row argument"));
      try {
        return convert(m, raw, row);
      } catch (const std::exception&) {
        log().error(
            "Could not convert shadowkey: '{}' in feed '{}', value: {} via conversion function "
            "'{}'.",
            m.column, conf.feed_name, harm::py::repr(Value::string(raw)), m.conv_name);
        throw;
      }
    };

    for (std::size_t i = 0; i < conf.required.size(); ++i) {
      const Mapping& m = conf.required[i];
      const int u = plan.required_col[i];
      if (u < 0)
        throw ParseError("Required column '" + m.column + "' not found in feed '" + conf.feed_name +
                         "'. Possible change in data format or misconfiguration.");
      int& c = count[static_cast<std::size_t>(u)];
      if (c == 0) ++c;  // used twice
      const auto raw = value_of(u);
      const Value value = raw ? run(m, *raw) : Value();
      if (value.is_null()) continue;
      switch (m.target) {
        case Target::ExtraSameName:
          extra_set(extra, m.column, value);
          --c;
          break;
        case Target::ExtraNamed:
          extra_set(extra, m.key, value);
          --c;
          break;
        case Target::Ignore:
          --c;
          break;
        case Target::Field:
          try {
            ev.add(m.key, value);
            --c;
          } catch (const HarmonizationError& e) {
            if (e.kind() != ErrorKind::InvalidKey) throw;
            log().warn("Required key '{}' of feed '{}' is not a valid field: {}", m.key,
                       conf.feed_name, e.what());
          }
          break;
      }
    }

    for (std::size_t i = 0; i < conf.optional.size(); ++i) {
      const Mapping& m = conf.optional[i];
      const int u = plan.optional_col[i];
      if (u < 0) continue;  // warned once per report
      int& c = count[static_cast<std::size_t>(u)];
      if (c == 0) ++c;
      const auto raw = value_of(u);
      const Value value = raw ? run(m, *raw) : Value();
      if (value.is_null()) {
        --c;
        continue;
      }
      switch (m.target) {
        case Target::ExtraSameName:
          extra_set(extra, m.column, value);
          --c;
          break;
        case Target::ExtraNamed:
          extra_set(extra, m.key, value);
          --c;
          break;
        case Target::Ignore:
          --c;
          break;
        case Target::Field:
          try {
            ev.add(m.key, value);
            --c;
          } catch (const HarmonizationError& e) {
            if (e.kind() == ErrorKind::InvalidValue) {
              log().debug("Could not add key '{}' in feed '{}', adding it to extras.", m.column,
                          conf.feed_name);
            } else if (e.kind() == ErrorKind::InvalidKey) {
              extra_set(extra, m.key, value);
              --c;
            } else {
              throw;
            }
          }
          break;
      }
    }

    ev.update(conf.constant_fields);
    ev.add("raw", Value::string(csv.recover_text(csv.current_line())));

    for (std::size_t u = 0; u < count.size(); ++u) {
      if (count[u] <= 0) continue;
      const auto v = csv.value(plan.name_col[u]);
      if (!v)
        extra_set(extra, plan.names[u], Value());
      else if (!v->empty())
        extra_set(extra, plan.names[u], Value::string(*v));
    }
    if (!extra.empty()) ev.add("extra", Value::dict(std::move(extra)));
    return ev;
  }

  static const PyRegex& file_name_regex() {
    static const PyRegex re(R"(^(?:\d{4}-\d{2}-\d{2}-)?(\w+)(-\w+)*\.csv$)");
    return re;
  }

  static fs::path default_schema_path(const api::BotContext& ctx) {
    // IntelMQ: VAR_STATE_PATH/shadowserver-schema.json; intelflow: <state_dir>/bots/.
    fs::path bot_dir(ctx.state_dir);
    return bot_dir.parent_path() / "shadowserver-schema.json";
  }

  /// The schema, reloaded first if the file's modification time changed.
  std::shared_ptr<const Schema> current_schema() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!schema_path_.empty()) {
      std::error_code ec;
      const auto mtime = fs::last_write_time(schema_path_, ec);
      if (!ec && mtime != schema_->mtime()) {
        try {
          schema_ = std::make_shared<const Schema>(Schema::load_file(schema_path_));
          log().info("The schema file {} has changed, reloaded it.", schema_path_.string());
        } catch (const std::exception& e) {
          log().error("Could not reload the changed schema file, keeping the previous one: {}",
                      e.what());
          auto copy = std::make_shared<Schema>(*schema_);
          copy->set_mtime(mtime);  // do not retry until it changes again
          schema_ = std::move(copy);
        }
      }
    }
    return schema_;
  }

  std::optional<std::string> feedname_;
  bool overwrite_ = false;
  fs::path schema_path_;  ///< empty = built-in test schema
  std::mutex mutex_;
  std::shared_ptr<const Schema> schema_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.shadowserver.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses every Shadowserver CSV report; the report layouts come from the "
                   "Shadowserver schema file (no code per report).",
    .params =
        {
            {"feedname", api::ParamType::String, "null", false,
             "Fixed report: a `feed_name` of the schema. Unset or unknown: the report is "
             "detected from the report's `extra.file_name` (e.g. "
             "`2019-01-01-scan_http-country-geo.csv` → `scan_http`)."},
            {"overwrite", api::ParamType::Bool, "false", false,
             "Replace an existing `feed.name` with the schema's feed name."},
            {"schema_file", api::ParamType::String, "null", false,
             "Path of the report schema (Shadowserver's `schema.json` format). Default: "
             "`<state_dir>/bots/shadowserver-schema.json`. The file is reloaded when its "
             "modification time changes."},
            {"test_mode", api::ParamType::Bool, "false", false,
             "Without `schema_file`: use the built-in test schema (reports test_smb, "
             "test_telnet, test_afs) instead of the downloaded one."},
            {"auto_update", api::ParamType::Bool, "false", false,
             "Not supported (a warning is logged): intelflow does not download the schema; "
             "install it with a cron job instead."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<ShadowserverParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
