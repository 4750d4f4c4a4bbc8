// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.filter.expert: routes or drops events by one field's value and by time.source.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bots/common/pyregex.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

constexpr std::int64_t kUs = 1000000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// Epoch microseconds of IntelMQ's canonical form
/// "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00"; nullopt for anything else.
std::optional<std::int64_t> canonical_to_us(std::string_view s) {
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (s.size() < 25 || !num(0, 4, y) || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' ||
      !num(8, 2, d) || s[10] != 'T' || !num(11, 2, h) || s[13] != ':' || !num(14, 2, mi) ||
      s[16] != ':' || !num(17, 2, sec))
    return std::nullopt;
  std::size_t pos = 19;
  std::int64_t frac = 0;
  if (s[pos] == '.') {
    int digits = 0;
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) frac *= 10;
  }
  if (s.substr(pos) != "+00:00") return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 24 + h) * 60 + mi) * 60 * kUs + static_cast<std::int64_t>(sec) * kUs + frac;
}

/// A date as dateutil would read it, in epoch microseconds (naive = UTC).
std::optional<std::int64_t> parse_date_us(std::string_view text) {
  if (auto us = canonical_to_us(text)) return us;
  try {
    if (auto canon = harm::datetime::from_fuzzy(Value::string(text)))
      return canonical_to_us(*canon);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

/// IntelMQ's parse_relative (§0): "<int> <unit>[s]" → seconds; nullopt if malformed.
std::optional<std::int64_t> parse_relative_seconds(std::string_view text) {
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return std::nullopt;
  text = text.substr(b, text.find_last_not_of(ws) - b + 1);
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (std::int64_t{1} << 40)) return std::nullopt;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::size_t j = i;
  while (j < text.size() && ws.find(text[j]) != std::string_view::npos) ++j;
  if (j == i) return std::nullopt;
  std::string_view unit = text.substr(j);
  if (unit.size() >= 2 && unit.back() == 's') unit.remove_suffix(1);
  static constexpr std::pair<std::string_view, std::int64_t> kUnits[] = {
      {"second", 1},       {"minute", 60},        {"hour", 3600},       {"day", 86400},
      {"week", 7 * 86400}, {"month", 30 * 86400}, {"year", 365 * 86400}};
  for (const auto& [name, secs] : kUnits)
    if (unit == name) return n * secs;
  return std::nullopt;
}

/// not_before / not_after: an absolute instant or a span back from now.
struct TimeBound {
  bool relative = false;
  std::int64_t us = 0;  ///< absolute epoch µs, or the span in µs
};

/// Filters by time.source (not_before / not_after, absolute or relative) and
/// routes by one field's value (equality with the typed value, or a regex
/// search on its string form) to _default / action_other / filter_match /
/// filter_no_match. Stateless after init: runs concurrently.
class FilterExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    // A set value, even "", counts as a configured time filter (reference quirk);
    // only a non-empty one is parsed and applied.
    time_configured_ = p.has("not_after") || p.has("not_before");
    not_after_ = parse_bound(p, "not_after");
    not_before_ = parse_bound(p, "not_before");

    const Value* key = p.find("filter_key");
    const Value* value = p.find("filter_value");
    const Value* action = p.find("filter_action");
    value_filter_ = true;
    if (key == nullptr || key->is_null()) {
      log().info("No filter_key parameter found.");
      value_filter_ = false;
    } else if (value == nullptr || value->is_null()) {
      log().info("No filter_value parameter found.");
      value_filter_ = false;
    } else if (action == nullptr || action->is_null()) {
      log().info("No filter_action parameter found.");
      value_filter_ = false;
    } else if (!action->is_string() ||
               (action->as_string() != "drop" && action->as_string() != "keep")) {
      log().info("Filter_action parameter definition unknown.");
      value_filter_ = false;
    }
    if (value_filter_) {
      key_ = key->is_string() ? key->as_string() : harm::py::str(*key);
      value_ = *value;
      keep_ = action->as_string() == "keep";
      const Value* regex = p.find("filter_regex");
      if (regex != nullptr && regex->truthy()) {
        if (!value->is_string())
          throw ConfigError("filter_value", "must be a string when filter_regex is set");
        try {
          regex_ = std::make_unique<PyRegex>(value->as_string());
        } catch (const RegexError& e) {
          throw ConfigError("filter_value", std::string("invalid regular expression: ") + e.what());
        }
      }
    }
    if (!value_filter_ && !time_configured_)
      throw ConfigError("",
                        "No relevant filter configuration found: set filter_key, "
                        "filter_value and filter_action, and/or not_before / not_after.");
  }

  void process(Message& ev, api::Emitter& out) override {
    if (time_configured_ && (not_after_ || not_before_)) {
      if (const Value* ts = ev.find("time.source")) {
        const std::string text = ts->is_string() ? ts->as_string() : harm::py::str(*ts);
        if (auto t = parse_date_us(text)) {
          if (time_dropped(*t)) {
            log().debug("Filtered out event with time.source {}.", text);
            out.drop("time.source out of range");
            return;
          }
        } else {
          log().error("Could not parse time.source {}.", text);
        }
      }
    }
    if (!value_filter_) {
      out.send(std::move(ev));
      return;
    }
    const bool match = matches(ev);
    // keep+match → _default; drop+nomatch → _default; the other two → action_other.
    const bool forward = keep_ == match;
    const std::string_view extra_path = match ? "filter_match" : "filter_no_match";
    const std::string_view main_path = forward ? "_default" : "action_other";
    if (out.has_path(extra_path)) out.send(ev.copy(), extra_path);
    out.send(std::move(ev), main_path, /*path_permissive=*/!forward);
  }

 private:
  std::optional<TimeBound> parse_bound(const api::Params& p, std::string_view name) {
    const Value* v = p.find(name);
    if (v == nullptr || !v->truthy()) return std::nullopt;
    if (!v->is_string()) throw ConfigError(std::string(name), "must be a string");
    const std::string& text = v->as_string();
    static constexpr std::string_view kUnitWords[] = {"second", "minute", "hour", "day",
                                                      "week",   "month",  "year"};
    TimeBound b;
    for (auto w : kUnitWords)
      if (text.find(w) != std::string::npos) b.relative = true;
    if (b.relative) {
      auto secs = parse_relative_seconds(text);
      if (!secs)
        throw ConfigError(std::string(name),
                          "cannot parse the relative time '" + text + "' (expected e.g. '2 days')");
      b.us = *secs * kUs;
      log().info("Filtering out events to (relative time) {} s.", *secs);
    } else {
      auto us = parse_date_us(text);
      if (!us) throw ConfigError(std::string(name), "cannot parse the date '" + text + "'");
      b.us = *us;
      log().info("Filtering out events to (absolute time) {}.", text);
    }
    return b;
  }

  bool time_dropped(std::int64_t t) const {
    if (not_after_ && !not_after_->relative && t > not_after_->us) return true;
    if (not_before_ && !not_before_->relative && t < not_before_->us) return true;
    const std::int64_t now = harm::datetime::now_epoch_seconds() * kUs;
    if (not_after_ && not_after_->relative && t > now - not_after_->us) return true;
    if (not_before_ && not_before_->relative && t < now - not_before_->us) return true;
    return false;
  }

  bool matches(const Message& ev) const {
    if (!ev.contains(key_)) return false;
    const Value v = ev.get(key_);
    if (regex_) {
      if (v.is_string()) return regex_->search(v.as_string());
      return regex_->search(harm::py::str(v));
    }
    return v == value_;
  }

  bool time_configured_ = false;
  std::optional<TimeBound> not_after_, not_before_;
  bool value_filter_ = false;
  bool keep_ = false;
  std::string key_;
  Value value_;
  std::unique_ptr<PyRegex> regex_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.filter.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Keeps or drops events by the value of one field (equality or regex) and/or "
                   "by time.source (not_before / not_after); routes to _default, action_other, "
                   "filter_match and filter_no_match.",
    .params =
        {api::ParamSpec{"filter_key", api::ParamType::String, "null", false,
                        "The field to test. Value filtering needs filter_key, filter_value and "
                        "filter_action."},
         api::ParamSpec{"filter_value", api::ParamType::Any, "null", false,
                        "The value to compare with (typed: 80 matches the integer port 80, "
                        "\"80\" does not), or the regular expression when filter_regex is set."},
         api::ParamSpec{"filter_action", api::ParamType::String, "null", false,
                        "'keep' (matching events go to _default, others to action_other) or "
                        "'drop' (matching events go to action_other, others to _default). "
                        "Anything else disables value filtering."},
         api::ParamSpec{"filter_regex", api::ParamType::Any, "null", false,
                        "Truthy: filter_value is a Python regular expression searched in the "
                        "string form of the value."},
         api::ParamSpec{"not_before", api::ParamType::String, "null", false,
                        "Drop events whose time.source is earlier: an absolute date (give a "
                        "time zone; naive = UTC) or a relative span like '2 days' (unit "
                        "second/minute/hour/day/week/month/year) back from now."},
         api::ParamSpec{"not_after", api::ParamType::String, "null", false,
                        "Drop events whose time.source is later: an absolute date, or a "
                        "relative span back from now (then only events older than it pass)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<FilterExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
