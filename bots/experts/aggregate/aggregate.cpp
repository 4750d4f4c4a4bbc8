// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.aggregate.expert: folds similar events into one per time span.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/cache.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types_detail.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

constexpr std::string_view kIndexKey = "aggregate-index";
constexpr std::int64_t kCleanupEverySeconds = 10;

/// IntelMQ's parse_relative in seconds; nullopt if malformed.
std::optional<std::int64_t> parse_relative_seconds(std::string_view text) {
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = text.find_first_not_of(ws);
  if (b == std::string_view::npos) return std::nullopt;
  text = text.substr(b, text.find_last_not_of(ws) - b + 1);
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (std::int64_t{1} << 40)) return std::nullopt;
    n = n * 10 + (text[i++] - '0');
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

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "YYYY-MM-DDTHH:MM:SS.ffffff" (UTC) of epoch microseconds.
std::string iso_us(std::int64_t us) {
  const std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  return buf;
}

const Value* member(const Value& d, std::string_view k) {
  if (!d.is_dict()) return nullptr;
  for (const auto& [key, v] : d.as_dict())
    if (key == k) return &v;
  return nullptr;
}

/// Groups events by a hash over `fields` (whitelist). A group lives in the
/// cache as `aggregate.<hash>` = JSON {d: first event, s: start (UTC,
/// µs), us: start in epoch µs, f/l: first/last time.source or
/// time.observation, c: count}; the list of open groups is `aggregate-index`.
/// Input events are consumed. A cleanup (on the first event, then at most
/// every 10 s on input) closes the groups older than `timespan`: those with
/// count ≥ threshold are emitted as their first event plus time.source =
/// start, extra.count and extra.time_end; the others are discarded. Serial.
class AggregateExpert final : public api::ExpertBot {
 public:
  /// A Redis cache is remote: run on the engine's I/O thread.
  bool uses_blocking_io() const override { return cache_ && cache_->backend() == "redis"; }
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    for (const auto& f : p.get_string_list("fields", ',')) fields_.push_back(f);
    threshold_ = p.get_int("threshold", 10);
    const std::string span = p.get_string("timespan", "1 hour");
    auto secs = parse_relative_seconds(span);
    if (!secs)
      throw ConfigError("timespan", "cannot parse '" + span + "' (expected e.g. '1 hour')");
    timespan_us_ = *secs * 1000000;
    cache_ = open_cache(CacheOptions::from_params(p, ctx.state_dir));
    if (auto idx = cache_->get(kIndexKey)) {
      std::string_view rest(*idx);
      while (!rest.empty()) {
        const auto nl = rest.find('\n');
        if (nl != 0) index_.emplace(rest.substr(0, nl));
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
    log().info("Aggregating on a {} cache; {} open group(s).", cache_->backend(), index_.size());
  }

  void shutdown() override {
    if (!cache_) return;
    try {
      cache_->flush();
    } catch (const std::exception& e) {
      log().error("Could not write the cache: {}", e.what());
    }
  }

  void process(Message& ev, api::Emitter& out) override {
    cleanup(out);
    const std::string key = "aggregate." + ev.hash(fields_, "whitelist");
    Value when;
    if (const Value* ts = ev.find("time.source"); ts && ts->truthy())
      when = *ts;
    else if (const Value* to = ev.find("time.observation"))
      when = *to;
    std::int64_t increment = 1;
    if (const Value* c = ev.find("extra.count")) {
      Value n = harm::detail::py_int(*c);
      if (!n.is_int())
        throw std::runtime_error("extra.count is not an integer: " + harm::py::repr(*c));
      increment = n.as_int();
    }
    Value group;
    if (auto stored = cache_->get(key);
        stored && harm::py::json_loads(*stored, group) && group.is_dict()) {
      for (auto& [k, v] : group.as_dict()) {
        if (k == "l") v = when;
        if (k == "c") v = Value::integer((v.is_int() ? v.as_int() : 0) + increment);
      }
    } else {
      const std::int64_t t = now_us();
      group = Value::dict({{"d", Value::string(ev.to_json())},
                           {"s", Value::string(iso_us(t))},
                           {"us", Value::integer(t)},
                           {"f", when},
                           {"l", when},
                           {"c", Value::integer(increment)}});
      index_.insert(key.substr(std::string_view("aggregate.").size()));
      write_index();
    }
    cache_->set(key, harm::py::json_dumps(group), 0);
    cache_->flush();
    out.drop("aggregated");
  }

 private:
  void cleanup(api::Emitter& out) {
    const std::int64_t now = now_us();
    if (next_cleanup_us_ > now) return;
    std::size_t sent = 0, ignored = 0, dropped = 0;
    std::vector<std::string> closed;
    for (const auto& h : index_) {
      const std::string key = "aggregate." + h;
      auto stored = cache_->get(key);
      Value group;
      if (!stored || !harm::py::json_loads(*stored, group) || !group.is_dict()) {
        closed.push_back(h);  // vanished (cache cleared): forget it
        continue;
      }
      const Value* us = member(group, "us");
      if (us && us->is_int() && now <= us->as_int() + timespan_us_) {
        ++ignored;
        continue;
      }
      const Value* c = member(group, "c");
      const std::int64_t count = c && c->is_int() ? c->as_int() : 0;
      if (count >= threshold_) {
        out.send(build_event(group, count));
        ++sent;
      } else {
        ++dropped;
      }
      cache_->erase(key);
      closed.push_back(h);
    }
    for (const auto& h : closed) index_.erase(h);
    if (!closed.empty()) write_index();
    next_cleanup_us_ = now + kCleanupEverySeconds * 1000000;
    log().debug("Completed Cleanup. Messages sent: {}, messages ignored: {}, messages dropped: {}.",
                sent, ignored, dropped);
  }

  Message build_event(const Value& group, std::int64_t count) const {
    std::vector<std::pair<std::string, Value>> items;
    Value d;
    if (const Value* text = member(group, "d");
        text && text->is_string() && harm::py::json_loads(text->as_string(), d) && d.is_dict())
      items = d.as_dict();
    Message ev = Message::from_pairs(harm::MessageKind::Event, items, ctx().harmonization);
    harm::AddOptions overwrite;
    overwrite.overwrite = true;
    if (const Value* s = member(group, "s")) ev.add("time.source", *s, overwrite);
    ev.add("extra.count", Value::integer(count), overwrite);
    if (const Value* l = member(group, "l")) ev.add("extra.time_end", *l, overwrite);
    return ev;
  }

  void write_index() {
    std::string text;
    for (const auto& h : index_) {
      text += h;
      text += '\n';
    }
    if (text.empty())
      cache_->erase(kIndexKey);
    else
      cache_->set(kIndexKey, text, 0);
  }

  std::vector<std::string> fields_;
  std::int64_t threshold_ = 10;
  std::int64_t timespan_us_ = 3600LL * 1000000;
  std::int64_t next_cleanup_us_ = 0;
  std::set<std::string> index_;
  std::unique_ptr<Cache> cache_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.aggregate.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Aggregates similar events (same values of `fields`) over a time span into "
                   "one event with extra.count; groups below the threshold are discarded.",
    .params =
        [] {
          std::vector<api::ParamSpec> v = {
              api::ParamSpec{"fields", api::ParamType::StringOrList,
                             "\"classification.type, classification.identifier\"", false,
                             "Fields that make events similar (comma-separated string or list)."},
              api::ParamSpec{"threshold", api::ParamType::Int, "10", false,
                             "Minimum count for a group to be emitted."},
              api::ParamSpec{"timespan", api::ParamType::String, "\"1 hour\"", false,
                             "How long a group collects events, e.g. '1 hour', '30 minutes'."},
          };
          for (auto& c : cache_param_specs("8", "0")) v.push_back(c);
          return v;
        }(),
    .concurrent = false,
    .factory = [] { return std::make_unique<AggregateExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
