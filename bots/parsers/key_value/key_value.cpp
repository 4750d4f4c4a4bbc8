// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.key_value.parser: `key=value` log lines (bots.md "key_value.parser").

#include <memory>
#include <string>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Value;
using harm::Message;

harm::AddOptions soft() {
  harm::AddOptions o;
  o.raise_failure = false;
  return o;
}
const harm::AddOptions kSoft = soft();

/// str.isnumeric() for the decimal digits a timestamp can hold (ASCII and
/// other Unicode decimal digits).
bool all_decimal(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (harm::uni::decimal_value(harm::uni::next_code_point(s, i)) < 0) return false;
  }
  return true;
}

/// Key=value parser. Configuration is read at init; stateless afterwards.
class KeyValueParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    const api::Params& p = ctx.params;
    pair_sep_ = p.get_string("pair_separator", " ");
    kv_sep_ = p.get_string("kv_separator", "=");
    if (pair_sep_.empty()) throw ConfigError("pair_separator", "must not be empty");
    if (kv_sep_.empty()) throw ConfigError("kv_separator", "must not be empty");
    strip_quotes_ = p.get_bool("strip_quotes", true);
    const Value* keys = p.find("keys");
    if (keys == nullptr || !keys->is_dict() || keys->as_dict().empty())
      throw ConfigError("keys", "No keys specified.");
    Message dummy(harm::MessageKind::Event, ctx.harmonization);
    for (const auto& [k, v] : keys->as_dict()) {
      if (!v.is_string())
        throw ConfigError("keys", "the field for key '" + k + "' must be a string");
      keys_.emplace_back(k, v.as_string());
    }
  }

 protected:
  void parse_line(const Element& el, const Message& report, ParseState&,
                  std::vector<Message>& events) override {
    const std::string_view row = el.line;
    Message ev = new_event(report);
    std::size_t start = 0;
    while (true) {
      const std::size_t end = row.find(pair_sep_, start);
      const std::string_view pair =
          row.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      handle_pair(pair, row, ev);
      if (end == std::string_view::npos) break;
      start = end + pair_sep_.size();
    }
    ev.add("raw", Value::string(row));
    events.push_back(std::move(ev));
  }

 private:
  void handle_pair(std::string_view pair, std::string_view row, Message& ev) const {
    const std::size_t pos = pair.rfind(kv_sep_);  // rpartition
    if (pos == std::string_view::npos || pos == 0) return;
    const std::string_view key = pair.substr(0, pos);
    std::string_view value = pair.substr(pos + kv_sep_.size());
    if (strip_quotes_ && value.starts_with('"') && value.ends_with('"'))
      value = value.size() >= 2 ? value.substr(1, value.size() - 2) : std::string_view();
    const std::string* field = nullptr;
    for (const auto& [k, f] : keys_)
      if (k == key) field = &f;
    if (field == nullptr) return;
    Value v = Value::string(value);
    if (*field == "time.source") {
      std::optional<std::string> t;
      try {
        if (all_decimal(value))
          t = harm::datetime::from_timestamp(Value::string(value));
        else
          t = harm::datetime::parse(value);
      } catch (const harm::HarmonizationError&) {
        t.reset();
      }
      if (t) {
        v = Value::string(*t);
      } else {
        v = Value();
        log().warn("Could not parse key '{}' for 'time.source'. Ignoring this key in line '{}'.",
                   key, row);
      }
    }
    ev.add(*field, std::move(v), kSoft);
  }

  std::string pair_sep_ = " ";
  std::string kv_sep_ = "=";
  bool strip_quotes_ = true;
  std::vector<std::pair<std::string, std::string>> keys_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.key_value.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses `key=value` text lines (e.g. FortiGate logs) with a key → field map.",
    .params =
        {
            {"pair_separator", api::ParamType::String, "\" \"", false,
             "Text between two key=value pairs. Quotes do not protect it."},
            {"kv_separator", api::ParamType::String, "\"=\"", false,
             "Text between key and value; the key ends at its last occurrence in a pair."},
            {"keys", api::ParamType::Dict, "null", true,
             "Source key → IntelMQ field. A key mapped to `time.source` is read as epoch seconds "
             "when numeric, else parsed fuzzily as UTC; unparsable times are skipped with a "
             "warning."},
            {"strip_quotes", api::ParamType::Bool, "true", false,
             "Remove a pair of double quotes enclosing a value."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<KeyValueParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
