// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.html_table.parser: configurable HTML table → events (bots.md "html_table.parser").

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bots/parsers/html_table/html_tree.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Value;
using harm::AddResult;
using harm::Message;

harm::AddOptions soft() {
  harm::AddOptions o;
  o.raise_failure = false;
  return o;
}
const harm::AddOptions kSoft = soft();

/// Python `s.split(",")` with each item stripped.
std::vector<std::string> split_strip(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = s.find(',', start);
    out.emplace_back(harm::uni::strip(
        s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

/// A parameter that may be a list of strings or a comma-separated string.
std::optional<std::vector<std::string>> list_param(const api::Params& p, std::string_view key) {
  const Value* v = p.find(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) return split_strip(v->as_string());
  if (!v->is_list())
    throw ConfigError(std::string(key), "must be a list or a comma-separated string");
  std::vector<std::string> out;
  for (const Value& e : v->as_list())
    out.push_back(e.is_string() ? e.as_string() : e.is_null() ? std::string() : harm::py::str(e));
  return out;
}

/// Python str.split(sep) (sep empty/unset = split on whitespace runs).
std::vector<std::string_view> py_split(std::string_view s, const std::optional<std::string>& sep) {
  std::vector<std::string_view> out;
  if (sep && !sep->empty()) {
    std::size_t start = 0;
    while (true) {
      const std::size_t p = s.find(*sep, start);
      out.push_back(
          s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
      if (p == std::string_view::npos) break;
      start = p + sep->size();
    }
    return out;
  }
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size()) {  // skip whitespace
      std::size_t k = j;
      if (!harm::uni::is_space(harm::uni::next_code_point(s, k))) break;
      j = k;
    }
    if (j >= s.size()) break;
    std::size_t e = j;
    while (e < s.size()) {
      std::size_t k = e;
      if (harm::uni::is_space(harm::uni::next_code_point(s, k))) break;
      e = k;
    }
    out.push_back(s.substr(j, e - j));
    i = e;
  }
  return out;
}

/// Python int() on text, if it parses.
std::optional<Value> py_int(std::string_view s) {
  Value v = harm::sanitize(harm::TypeId::Integer, Value::string(s));
  if (v.is_null()) return std::nullopt;
  return v;
}

/// HTML table parser. Configuration is read at init; process() keeps its state
/// on the stack. Like the reference (a plain Bot) it handles whole reports:
/// any error fails the report (rows already sent stay sent) and
/// `default_fields` are not applied.
class HtmlTableParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    const api::Params& p = ctx.params;
    columns_ = list_param(p, "columns").value_or(std::vector<std::string>{"", "source.fqdn"});
    ignore_values_ = list_param(p, "ignore_values")
                         .value_or(std::vector<std::string>(columns_.size(), std::string()));
    if (columns_.size() != ignore_values_.size())
      throw ConfigError("ignore_values",
                        "Length of parameters 'columns' and 'ignore_values' is not equal.");
    if (const Value* ti = p.find("table_index"); ti != nullptr && !ti->is_null()) {
      if (!ti->is_int()) throw ConfigError("table_index", "must be an integer");
      table_index_ = ti->as_int();
    }
    if (auto a = p.get_optional_string("attribute_name"); a && !a->empty()) attr_name_ = *a;
    attr_value_ = p.get_optional_string("attribute_value");
    skip_head_ = p.get_bool("skip_table_head", true);
    if (auto s = p.get_optional_string("split_column"); s && !s->empty()) split_column_ = *s;
    split_separator_ = p.get_optional_string("split_separator");
    if (const Value* si = p.find("split_index"); si != nullptr && !si->is_null()) {
      if (si->is_int()) {
        split_index_ = si->as_int();
      } else if (si->is_string()) {
        auto v = py_int(si->as_string());
        if (!v || !v->is_int()) throw ConfigError("split_index", "must be an integer");
        split_index_ = v->as_int();
      } else {
        throw ConfigError("split_index", "must be an integer");
      }
    }
    default_url_protocol_ = p.get_string("default_url_protocol", "http://");
    try {
      converter_.emplace(p.get_string("time_format", ""));
    } catch (const harm::HarmonizationError& e) {
      throw ConfigError("time_format", e.what());
    }
    if (const Value* t = p.find("type"); t != nullptr && !t->is_null()) type_ = *t;
  }

  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const html::Document doc(decode_raw(report));
    std::vector<const html::Node*> tables =
        attr_name_ ? html::find_all(doc.root(), "table", *attr_name_, attr_value_)
                   : html::find_all(doc.root(), "table");
    log().debug("Found {} table(s).", tables.size());
    std::int64_t idx = table_index_;
    if (idx < 0) idx += static_cast<std::int64_t>(tables.size());
    if (idx < 0 || idx >= static_cast<std::int64_t>(tables.size()))
      throw std::runtime_error("IndexError: list index out of range (table_index " +
                               std::to_string(table_index_) + ", " + std::to_string(tables.size()) +
                               " table(s) found)");
    const std::vector<const html::Node*> rows =
        html::find_all(*tables[static_cast<std::size_t>(idx)], "tr");
    const std::size_t first = skip_head_ ? 1 : 0;
    for (std::size_t r = first; r < rows.size(); ++r) {
      Message ev = new_event(report);
      if (!parse_row(*rows[r], ev)) continue;  // nothing added from this row
      if (!type_.is_null() && !ev.contains("classification.type"))
        ev.add("classification.type", type_);
      ev.add("raw", Value::string(html::serialize(*rows[r])));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element&, const Message&, ParseState&, std::vector<Message>&) override {
    throw std::logic_error("parsers.html_table.parser handles whole reports");
  }

 private:
  /// Fills `ev` from one <tr>; false if nothing was added.
  bool parse_row(const html::Node& row, Message& ev) const {
    const std::vector<const html::Node*> cells = html::find_all(row, "td");
    bool added = false;
    const std::size_t n = std::min(columns_.size(), cells.size());
    for (std::size_t c = 0; c < n; ++c) {
      const std::string text = html::get_text(*cells[c]);
      std::string data(harm::uni::strip(text));
      if (data == ignore_values_[c]) continue;
      Value value = Value::string(data);
      std::string_view spec = columns_[c];
      bool done = false;
      std::vector<std::string_view> keys;
      for (std::size_t start = 0;;) {
        const std::size_t bar = spec.find('|', start);
        keys.push_back(spec.substr(start, bar == std::string_view::npos ? bar : bar - start));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      for (std::string_view key : keys) {
        if (value.is_string() && value.as_string().empty()) {  // never valid
          done = true;
          break;
        }
        if (key == "__IGNORE__" || key.empty()) {
          done = true;
          break;
        }
        if (split_column_ && key == *split_column_) {
          if (!value.is_string())
            throw std::runtime_error("AttributeError: the value has no attribute 'split'");
          const auto parts = py_split(value.as_string(), split_separator_);
          std::int64_t si = split_index_;
          if (si < 0) si += static_cast<std::int64_t>(parts.size());
          if (si < 0 || si >= static_cast<std::int64_t>(parts.size()))
            throw std::runtime_error("IndexError: list index out of range (split_index)");
          value = Value::string(harm::uni::strip(parts[static_cast<std::size_t>(si)]));
        }
        if (key == "time.source" || key == "time.destination") {
          if (value.is_string())
            if (auto i = py_int(value.as_string())) value = *i;
          std::optional<std::string> t = (*converter_)(value);
          value = t ? Value::string(*t) : Value();
        } else if (key.ends_with(".url")) {
          if (!value.truthy()) continue;
          if (value.is_string() && value.as_string().find("://") == std::string::npos)
            value = Value::string(default_url_protocol_ + value.as_string());
        }
        if (ev.add(key, value, kSoft) == AddResult::Added) {
          added = true;
          done = true;
          break;
        }
      }
      if (!done)
        throw std::runtime_error("Could not add value " + harm::py::repr(value) + " to " +
                                 columns_[c] + ", all invalid.");
    }
    return added;
  }

  std::vector<std::string> columns_;
  std::vector<std::string> ignore_values_;
  std::int64_t table_index_ = 0;
  std::optional<std::string> attr_name_;
  std::optional<std::string> attr_value_;
  bool skip_head_ = true;
  std::optional<std::string> split_column_;
  std::optional<std::string> split_separator_;
  std::int64_t split_index_ = 0;
  std::string default_url_protocol_ = "http://";
  std::optional<harm::datetime::Converter> converter_;
  Value type_ = Value::string("c2-server");
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.html_table.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses rows of an HTML table into events with a configurable column mapping.",
    .params =
        {
            {"columns", api::ParamType::StringOrList, "[\"\", \"source.fqdn\"]", false,
             "Field per column (list or comma-separated string); `a|b` tries a then b; "
             "`__IGNORE__` or \"\" skips the column."},
            {"ignore_values", api::ParamType::StringOrList, "null", false,
             "One value per column (list or comma-separated string): a cell equal to it is "
             "skipped. Default: nothing is ignored."},
            {"attribute_name", api::ParamType::String, "null", false,
             "Only tables with this attribute (e.g. `class`) equal to attribute_value count."},
            {"attribute_value", api::ParamType::String, "null", false,
             "Value of attribute_name (for class-like attributes one class is enough)."},
            {"table_index", api::ParamType::Int, "0", false,
             "Which of the (selected) tables to parse, 0-based."},
            {"skip_table_head", api::ParamType::Bool, "true", false,
             "Skip the first row (<tr>) of the table."},
            {"split_column", api::ParamType::String, "null", false,
             "Field whose cell text is split before it is used."},
            {"split_separator", api::ParamType::String, "null", false,
             "Separator for split_column (unset: whitespace runs)."},
            {"split_index", api::ParamType::Any, "0", false,
             "Which part of the split cell to use (integer, may be given as text)."},
            {"default_url_protocol", api::ParamType::String, "\"http://\"", false,
             "Prefix for `*.url` values without `://`."},
            {"time_format", api::ParamType::String, "null", false,
             "time.source/time.destination conversion: fuzzy (default), timestamp, "
             "epoch_millis, windows_nt, utc_isoformat, from_format|FMT, "
             "from_format_midnight|FMT. Numeric cells are converted as integers."},
            {"type", api::ParamType::String, "\"c2-server\"", false,
             "classification.type for events that got none from the table."},
            {"html_parser", api::ParamType::String, "\"html.parser\"", false,
             "Accepted for compatibility and ignored (the reference ignores it as well): the "
             "table is always parsed as BeautifulSoup's html.parser would."},
            {"skip_head", api::ParamType::Bool, "null", false,
             "Accepted and ignored: an old spelling the reference never read (use "
             "skip_table_head)."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<HtmlTableParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
