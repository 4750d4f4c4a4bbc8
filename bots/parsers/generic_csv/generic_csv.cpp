// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.generic.parser_csv: configurable CSV parser (bots.md §2.2 "Generic CSV").

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/csv.hpp"
#include "bots/common/pyregex.hpp"
#include "bots/common/template.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Value;
using harm::AddResult;
using harm::ErrorKind;
using harm::HarmonizationError;
using harm::Message;

/// add() that reports an invalid value instead of raising (overwrite unset).
harm::AddOptions soft_add() {
  harm::AddOptions o;
  o.raise_failure = false;
  return o;
}
const harm::AddOptions kSoftAdd = soft_add();

/// What a field name needs besides the plain add().
enum class FieldKind : std::uint8_t { Plain, Time, Url, ClassificationType };

/// One alternative of a column spec ("a|b" has two).
struct Alternative {
  std::string key;
  const harm::FieldSpec* field = nullptr;  ///< the Event field `key` names, looked up once
  bool ignore = false;                     ///< __IGNORE__ or ""
  bool json = false;                       ///< data_type "json"
  FieldKind kind = FieldKind::Plain;
  std::shared_ptr<const PyRegex> regex;  ///< column_regex_search entry
};

struct Column {
  std::vector<Alternative> alts;
  bool required = true;
};

struct Compose {
  std::string key;
  FormatTemplate tmpl;
};

/// The value of one cell while the alternatives of its column are tried
/// (Python rebinds `value`; modifications carry over to later alternatives).
struct Cell {
  enum class K : std::uint8_t { Str, Null, Other };
  K k = K::Str;
  std::string_view sv;  ///< K::Str: view into the row or into `own`
  std::string own;
  Value other;  ///< K::Other: a non-string JSON value

  bool truthy() const {
    switch (k) {
      case K::Str:
        return !sv.empty();
      case K::Null:
        return false;
      case K::Other:
        return other.truthy();
    }
    return false;
  }
  void set_owned(std::string s) {
    own = std::move(s);
    sv = own;
    k = K::Str;
  }
  void set_value(Value v) {
    if (v.is_string()) {
      set_owned(std::move(v.mutable_string()));
    } else if (v.is_null()) {
      k = K::Null;
    } else {
      other = std::move(v);
      k = K::Other;
    }
  }
  Value to_value() const {
    switch (k) {
      case K::Str:
        return Value::string(sv);
      case K::Null:
        return Value();
      case K::Other:
        return other;
    }
    return Value();
  }
};

std::string_view py_class(const Cell& c) {
  if (c.k == Cell::K::Str) return "str";
  if (c.k == Cell::K::Null) return "NoneType";
  switch (c.other.kind()) {
    case harm::Kind::Bool:
      return "bool";
    case harm::Kind::Int:
    case harm::Kind::BigInt:
      return "int";
    case harm::Kind::Float:
      return "float";
    case harm::Kind::List:
      return "list";
    case harm::Kind::Dict:
      return "dict";
    default:
      return "str";
  }
}

[[noreturn]] void type_error(std::string_view what, const Cell& c) {
  throw HarmonizationError(ErrorKind::ValueError,
                           std::string(what) + ", not " + std::string(py_class(c)));
}

/// Python str.split(",") + strip() of each item (empty items kept: they are
/// ignored columns).
std::vector<std::string> split_columns(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = s.find(',', start);
    out.emplace_back(harm::uni::strip(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start)));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

/// A parameter that may be an object or a JSON string holding one; ""/null → empty.
Value dict_param(const api::Params& p, std::string_view key) {
  const Value* v = p.find(key);
  if (v == nullptr || !v->truthy()) return Value::dict({});
  if (v->is_dict()) return *v;
  if (v->is_string()) {
    Value parsed;
    if (!harm::py::json_loads(v->as_string(), parsed))
      throw ConfigError(std::string(key), "not valid JSON");
    if (parsed.is_null()) return Value::dict({});
    if (!parsed.is_dict()) throw ConfigError(std::string(key), "must be a JSON object");
    return parsed;
  }
  throw ConfigError(std::string(key), "must be an object or a JSON string");
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

/// Generic CSV parser. All configuration is read at init; process() keeps its
/// state on the stack, so one instance serves concurrent batches.
class GenericCsvParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    const api::Params& p = ctx.params;

    // columns
    std::vector<std::string> names;
    const Value* cols = p.find("columns");
    if (cols == nullptr || cols->is_null())
      throw ConfigError("columns", "required parameter is missing");
    if (cols->is_string()) {
      names = split_columns(cols->as_string());
    } else if (cols->is_list()) {
      for (const Value& c : cols->as_list())
        names.push_back(c.is_string() ? c.as_string() : harm::py::str(c));
    } else {
      throw ConfigError("columns", "must be a list or a comma-separated string");
    }

    // columns_required
    std::vector<bool> required(names.size(), true);
    if (const Value* req = p.find("columns_required"); req != nullptr && !req->is_null()) {
      if (!req->is_list()) throw ConfigError("columns_required", "must be a list of booleans");
      if (req->as_list().size() != names.size())
        throw ConfigError("columns_required",
                          "Length of parameters 'columns' (" + std::to_string(names.size()) +
                              ") and 'columns_required' (" + std::to_string(req->as_list().size()) +
                              ") needs to be equal.");
      for (std::size_t i = 0; i < names.size(); ++i) required[i] = req->as_list()[i].truthy();
    }

    // column_regex_search (compiled once)
    std::vector<std::pair<std::string, std::shared_ptr<const PyRegex>>> regexes;
    const Value regex_param = dict_param(p, "column_regex_search");
    for (const auto& [field, pattern] : regex_param.as_dict()) {
      if (!pattern.truthy()) continue;  // Python: `if regex:`
      if (!pattern.is_string())
        throw ConfigError("column_regex_search", "pattern of '" + field + "' must be a string");
      try {
        regexes.emplace_back(field, std::make_shared<const PyRegex>(pattern.as_string()));
      } catch (const RegexError& e) {
        throw ConfigError("column_regex_search", "bad pattern for '" + field + "': " + e.what());
      }
    }

    // data_type
    std::vector<std::string> json_fields;
    const Value data_type_param = dict_param(p, "data_type");
    for (const auto& [field, conv] : data_type_param.as_dict()) {
      if (!conv.is_string() || conv.as_string() != "json")
        throw ConfigError("data_type", "unknown conversion for '" + field + "' (only \"json\")");
      json_fields.push_back(field);
    }

    // type_translation
    type_translation_ = dict_param(p, "type_translation");
    has_translation_ = !type_translation_.as_dict().empty();

    // type (deprecated): a default for classification.type
    if (const Value* t = p.find("type"); t != nullptr && !t->is_null()) {
      type_set_ = true;
      Message dummy(harm::MessageKind::Event, ctx.harmonization);
      try {
        dummy.add("classification.type", *t, {.sanitize = true, .overwrite = true});
      } catch (const HarmonizationError& e) {
        throw ConfigError("type", std::string("invalid classification type: ") + e.what());
      }
      bool replaced = false;
      for (auto& [k, v] : default_fields_) {
        if (k == "classification.type") {
          v = *t;
          replaced = true;
        }
      }
      if (!replaced) default_fields_.emplace_back("classification.type", *t);
    }

    harm_ = ctx.harmonization ? ctx.harmonization : harm::Harmonization::default_instance();
    raw_field_ = harm_->find(harm::MessageKind::Event, "raw");
    columns_.clear();
    for (std::size_t i = 0; i < names.size(); ++i) {
      Column col;
      col.required = required[i];
      std::string_view spec = names[i];
      std::size_t start = 0;
      while (true) {  // split on '|' (a spec without '|' is one alternative)
        const std::size_t bar = spec.find('|', start);
        Alternative a;
        a.key = std::string(spec.substr(
            start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
        a.ignore = a.key == "__IGNORE__" || a.key.empty();
        for (const auto& [f, re] : regexes)
          if (f == a.key) a.regex = re;
        for (const auto& f : json_fields)
          if (f == a.key) a.json = true;
        if (a.key == "time.source" || a.key == "time.destination")
          a.kind = FieldKind::Time;
        else if (a.key.ends_with(".url"))
          a.kind = FieldKind::Url;
        else if (a.key == "classification.type")
          a.kind = FieldKind::ClassificationType;
        if (!a.ignore) a.field = harm_->find(harm::MessageKind::Event, a.key);
        col.alts.push_back(std::move(a));
        if (bar == std::string_view::npos) break;
        start = bar + 1;
      }
      columns_.push_back(std::move(col));
    }

    // compose_fields
    const Value compose_param = dict_param(p, "compose_fields");
    for (const auto& [field, tmpl] : compose_param.as_dict()) {
      if (!tmpl.is_string())
        throw ConfigError("compose_fields", "template of '" + field + "' must be a string");
      Compose c{field, {}};
      try {
        c.tmpl = FormatTemplate::parse(tmpl.as_string());
      } catch (const FormatError& e) {
        throw ConfigError("compose_fields", "template of '" + field + "': " + e.what());
      }
      bool manual = false, automatic = false;
      for (const auto& piece : c.tmpl.pieces()) {
        if (!piece.is_field) continue;
        if (piece.root.empty()) {
          automatic = true;
        } else if (piece.root.find_first_not_of("0123456789") == std::string::npos) {
          manual = true;
        } else {
          throw ConfigError("compose_fields", "template of '" + field +
                                                  "': only positional fields ({0}, {1}, ...) "
                                                  "are available, not '" +
                                                  piece.root + "'");
        }
      }
      if (manual && automatic)
        throw ConfigError("compose_fields",
                          "template of '" + field +
                              "': cannot switch from manual field specification to automatic "
                              "field numbering");
      compose_.push_back(std::move(c));
    }

    default_url_protocol_ = p.get_string("default_url_protocol", "http://");

    delimiter_ = p.get_string("delimiter", ",");
    if (code_points(delimiter_) != 1)
      throw ConfigError("delimiter", "must be a 1-character string");

    // skip_header: bool or int (true = 1)
    if (const Value* sh = p.find("skip_header"); sh != nullptr && !sh->is_null()) {
      if (sh->is_bool()) {
        skip_header_ = sh->as_bool() ? 1 : 0;
      } else if (sh->is_int()) {
        skip_header_ = sh->as_int() > 0 ? static_cast<std::size_t>(sh->as_int()) : 0;
      } else if (sh->is_float()) {
        skip_header_ = sh->as_float() >= 1 ? static_cast<std::size_t>(sh->as_float()) : 0;
      } else if (sh->is_string()) {
        std::string_view s = harm::uni::strip(sh->as_string());
        if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos)
          throw ConfigError("skip_header", "must be a boolean or an integer");
        skip_header_ = std::stoul(std::string(s));
      } else {
        throw ConfigError("skip_header", "must be a boolean or an integer");
      }
    }

    // time_format
    std::string tf = p.get_string("time_format", "");
    try {
      converter_.emplace(tf);
    } catch (const HarmonizationError& e) {
      throw ConfigError("time_format", e.what());
    }

    // filter
    filter_text_ = p.get_string("filter_text", "");
    filter_type_ = p.get_string("filter_type", "");
    if (!filter_type_.empty() && filter_type_ != "blacklist" && filter_type_ != "whitelist")
      throw ConfigError("filter_type",
                        "got '" + filter_type_ + "', expected 'blacklist' or 'whitelist'");
  }

  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = preprocess(decode_raw(report));
    const std::string_view lt = csv::detect_line_ending(text);

    // header lines (kept for raw)
    std::string_view rest = text;
    std::string header;  // each header line followed by the terminator
    for (std::size_t i = 0; i < skip_header_ && !rest.empty(); ++i) {
      const std::size_t len = csv::line_length(rest);
      const std::string_view line = rest.substr(0, len);
      header.append(line.substr(0, len - csv::terminator_length(line)));
      header.append(lt);
      rest.remove_prefix(len);
    }

    // new_event() once, cloned for each row; if it fails, each row fails as it would
    std::optional<Message> tmpl;
    try {
      tmpl.emplace(new_event(report));
    } catch (const std::exception&) {
    }
    csv::Reader reader(rest, {.delimiter = delimiter_});
    csv::Row row;
    RowScratch scratch;
    std::vector<std::pair<std::string, std::string>> failures;  // (recovered raw, error)
    std::size_t sent = 0;
    const bool filtering = !filter_text_.empty() && !filter_type_.empty();
    while (reader.next(row)) {
      if (row.empty()) continue;
      row.views(scratch.fields);
      if (filtering && !keep_row(scratch)) continue;
      try {
        // raw is written with csv.writer's default ',': a ','-delimited record
        // without quote characters (so on one line) is its own output.
        std::string_view plain = reader.record_text();
        if (delimiter_ != "," || plain.find('"') != std::string_view::npos ||
            scratch.fields.size() == 1)
          plain = {};
        else
          plain.remove_suffix(csv::terminator_length(plain));
        Message ev =
            parse_row(scratch.fields, tmpl ? &*tmpl : nullptr, report, header, lt, scratch, plain);
        apply_default_fields(ev);
        out.send(std::move(ev));
        ++sent;
      } catch (const std::exception& e) {
        log().error("Failed to parse line: {}", e.what());
        std::string recovered = header;
        recovered.append(reader.record_text());
        failures.emplace_back(std::move(recovered), e.what());
      }
    }
    for (auto& [raw, err] : failures) fail_line(report, raw, err, out);
    log().info("Sent {} events and found {} problem(s).", sent, failures.size());
  }

 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    // Used only if the generic line loop drives this parser: one CSV row.
    RowScratch scratch;
    for (const auto& f : el.row) scratch.fields.emplace_back(f);
    std::string header;
    for (const auto& h : st.tempdata) header.append(h).append("\r\n");
    events.push_back(parse_row(scratch.fields, nullptr, report, header, "\r\n", scratch));
  }

 private:
  /// Buffers reused across the rows of one report.
  struct RowScratch {
    std::vector<std::string_view> fields;
    std::string joined;
    std::string raw;
    std::string composed;
    std::vector<std::size_t> groups;
    Cell cell;
  };

  /// Pre-processing of the decoded report (bots.md): NULs removed, comment
  /// lines (`[ \t]*#...`) deleted with their `\n`, leading spaces/tabs of
  /// every line removed and blank lines dropped. Lines are `\n`-delimited
  /// here, as the reference's multi-line regexes see them.
  static std::string preprocess(std::string text) {
    if (text.find('\0') != std::string::npos) std::erase(text, '\0');
    // compacted in place: kept bytes move towards the front
    char* s = text.data();
    const std::size_t n = text.size();
    std::size_t i = 0, w = 0;
    while (i < n) {
      const void* nl = std::memchr(s + i, '\n', n - i);
      const std::size_t end =
          nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - s) + 1 : n;  // incl. '\n'
      std::size_t p = i;
      while (p < end && (s[p] == ' ' || s[p] == '\t')) ++p;
      const bool comment = p < end && s[p] == '#';
      const bool blank = p == end || s[p] == '\n';
      if (!comment && !blank) {
        if (w != p) std::memmove(s + w, s + p, end - p);
        w += end - p;
      }
      i = end;
    }
    text.resize(w);
    return text;
  }

  bool keep_row(RowScratch& sc) const {
    sc.joined.clear();
    for (std::size_t i = 0; i < sc.fields.size(); ++i) {
      if (i > 0) sc.joined.append(delimiter_);
      sc.joined.append(sc.fields[i]);
    }
    const bool found = sc.joined.find(filter_text_) != std::string::npos;
    return filter_type_ == "whitelist" ? found : !found;
  }

  /// One row → one event, started from `tmpl` (new_event() of the report) if
  /// given. `plain`: the row's text when csv.writer would write it unchanged
  /// (a ','-delimited record without quotes, more than one field), else empty.
  Message parse_row(const std::vector<std::string_view>& row, const Message* tmpl,
                    const Message& report, std::string_view header, std::string_view lt,
                    RowScratch& sc, std::string_view plain = {}) const {
    Message ev = tmpl != nullptr ? tmpl->clone() : new_event(report);
    const std::size_t ncols = std::min(columns_.size(), row.size());
    Cell& cell = sc.cell;
    for (std::size_t ci = 0; ci < ncols; ++ci) {
      const Column& col = columns_[ci];
      cell.k = Cell::K::Str;
      cell.sv = row[ci];
      bool done = false;
      const Alternative* last = nullptr;
      for (const Alternative& a : col.alts) {
        last = &a;
        if (cell.k == Cell::K::Str && cell.sv.empty()) {  // an empty string is never valid
          done = true;
          break;
        }
        if (a.regex) {
          if (cell.k != Cell::K::Str) type_error("expected string or bytes-like object", cell);
          if (a.regex->search(cell.sv, &sc.groups)) {
            cell.sv = cell.sv.substr(sc.groups[0], sc.groups[1] - sc.groups[0]);
          } else {
            cell.k = Cell::K::Null;
          }
        }
        if (a.ignore) {
          done = true;
          break;
        }
        if (a.json) {
          if (cell.k != Cell::K::Str)
            type_error("the JSON object must be str, bytes or bytearray", cell);
          Value parsed;
          if (!harm::py::json_loads(cell.sv, parsed))
            throw HarmonizationError(ErrorKind::ValueError,
                                     "JSONDecodeError: invalid JSON in column for '" + a.key + "'");
          cell.set_value(std::move(parsed));
        }
        switch (a.kind) {
          case FieldKind::Time: {
            std::optional<std::string> t = (*converter_)(cell.to_value());
            if (t)
              cell.set_owned(std::move(*t));
            else
              cell.k = Cell::K::Null;
            break;
          }
          case FieldKind::Url:
            if (!cell.truthy()) continue;  // next alternative
            if (cell.k != Cell::K::Str) type_error("can only concatenate str", cell);
            if (cell.sv.find("://") == std::string_view::npos) {
              std::string s = default_url_protocol_;
              s.append(cell.sv);
              cell.set_owned(std::move(s));
            }
            break;
          case FieldKind::ClassificationType:
            if (has_translation_) {
              if (cell.k == Cell::K::Other && (cell.other.is_list() || cell.other.is_dict()))
                type_error("unhashable type", cell);
              const Value* mapped = nullptr;
              if (cell.k == Cell::K::Str) {
                for (const auto& [from, to] : type_translation_.as_dict())
                  if (from == cell.sv) mapped = &to;
              }
              if (mapped != nullptr)
                cell.set_value(*mapped);
              else if (!type_set_)
                continue;  // next alternative
            }
            break;
          case FieldKind::Plain:
            break;
        }
        const AddResult added = a.field != nullptr ? ev.add(*a.field, cell.to_value(), kSoftAdd)
                                                   : ev.add(a.key, cell.to_value(), kSoftAdd);
        if (added != AddResult::Rejected) {
          done = true;
          break;
        }
      }
      if (!done && col.required && last != nullptr) {
        std::string shown = cell.k == Cell::K::Str    ? harm::py::repr(Value::string(cell.sv))
                            : cell.k == Cell::K::Null ? "None"
                                                      : harm::py::repr(cell.other);
        throw HarmonizationError(ErrorKind::InvalidValue, "invalid value " + shown + " (<class '" +
                                                              std::string(py_class(cell)) +
                                                              "'>) for key '" + last->key + "'");
      }
    }

    for (const Compose& c : compose_) {
      render(c.tmpl, row, sc.composed);
      ev.add(c.key, Value::string(sc.composed));
    }

    sc.raw.assign(header);
    if (!plain.empty()) {
      sc.raw.append(plain);
      sc.raw.append(lt);
    } else {
      csv::write_row(sc.raw, std::span<const std::string_view>(row), {.lineterminator = lt});
    }
    if (raw_field_ != nullptr)
      ev.add(*raw_field_, Value::string(sc.raw));
    else
      ev.add("raw", Value::string(sc.raw));
    return ev;
  }

  /// str.format(*row).
  static void render(const FormatTemplate& t, const std::vector<std::string_view>& row,
                     std::string& out) {
    out.clear();
    std::size_t next_auto = 0;
    for (const TemplatePiece& piece : t.pieces()) {
      if (!piece.is_field) {
        out.append(piece.literal);
        continue;
      }
      std::size_t idx = piece.root.empty() ? next_auto++ : std::stoul(piece.root);
      if (idx >= row.size())
        throw FormatError("Replacement index " + std::to_string(idx) +
                          " out of range for positional args tuple");
      if (piece.steps.empty()) {
        format_arg(out, FormatArg::of_text(row[idx]), piece.conversion, piece.spec);
      } else {
        Value v = Value::string(row[idx]);
        for (const FieldStep& step : piece.steps) v = subscript(v, step);
        format_arg(out, FormatArg::of_value(v), piece.conversion, piece.spec);
      }
    }
  }

  std::shared_ptr<const harm::Harmonization> harm_;  ///< keeps the looked-up FieldSpecs alive
  const harm::FieldSpec* raw_field_ = nullptr;
  std::vector<Column> columns_;
  std::vector<Compose> compose_;
  Value type_translation_ = Value::dict({});
  bool has_translation_ = false;
  bool type_set_ = false;
  std::string default_url_protocol_ = "http://";
  std::string delimiter_ = ",";
  std::size_t skip_header_ = 0;
  std::optional<harm::datetime::Converter> converter_;
  std::string filter_text_;
  std::string filter_type_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.generic.parser_csv",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses CSV reports with a configurable column-to-field mapping.",
    .params =
        {
            {"columns", api::ParamType::StringOrList, "null", true,
             "Field per column (list or comma-separated string). An entry may list "
             "alternatives `a|b` tried left to right; `__IGNORE__` or \"\" skips the column."},
            {"columns_required", api::ParamType::List, "null", false,
             "One boolean per column: a required column whose value fits none of its fields "
             "fails the row (default: all required)."},
            {"column_regex_search", api::ParamType::Any, "{}", false,
             "field → regex: the value is replaced by the first match (Python re.search); no "
             "match = no value."},
            {"compose_fields", api::ParamType::Dict, "{}", false,
             "field → template with positional placeholders `{0}`, `{1}` … (0-based column "
             "values, str.format)."},
            {"default_url_protocol", api::ParamType::String, "\"http://\"", false,
             "Prefix for `*.url` values without `://`."},
            {"delimiter", api::ParamType::String, "\",\"", false, "Field delimiter (1 character)."},
            {"skip_header", api::ParamType::Any, "false", false,
             "Number of header lines to skip (true = 1); they are kept in each event's raw."},
            {"time_format", api::ParamType::String, "null", false,
             "time.source/time.destination conversion: fuzzy (default), timestamp, "
             "epoch_millis, windows_nt, utc_isoformat, from_format|FMT, "
             "from_format_midnight|FMT."},
            {"type", api::ParamType::String, "null", false,
             "Deprecated: default classification.type."},
            {"type_translation", api::ParamType::Any, "{}", false,
             "Mapping of source values to classification.type (object or JSON string)."},
            {"data_type", api::ParamType::Any, "null", false,
             "JSON string or object field → \"json\": the value is JSON-decoded before adding."},
            {"filter_text", api::ParamType::String, "null", false,
             "Text searched in each row (fields joined by the delimiter)."},
            {"filter_type", api::ParamType::String, "null", false,
             "`whitelist` keeps rows containing filter_text, `blacklist` drops them."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<GenericCsvParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
