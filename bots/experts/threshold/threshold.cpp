// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.threshold.expert: forwards one event when similar events reach a count.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bots/common/cache.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Counts similar events (Message::hash over filter_keys / filter_type) in
/// the cache; the count is re-set on every event, so the bot-wide TTL
/// restarts. Only the event whose count becomes exactly `threshold` is
/// forwarded, with `add_keys` and extra.count; all others are dropped.
/// Serial: the read-modify-write of a count must not interleave.
class ThresholdExpert final : public api::ExpertBot {
 public:
  /// A Redis cache is remote: run on the engine's I/O thread.
  bool uses_blocking_io() const override { return cache_ && cache_->backend() == "redis"; }
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    filter_type_ = p.get_string("filter_type", "blacklist");
    if (filter_type_ != "blacklist" && filter_type_ != "whitelist")
      throw ConfigError("filter_type",
                        "must be 'blacklist' or 'whitelist', got '" + filter_type_ + "'");
    const Value* keys = p.find("filter_keys");
    if (keys != nullptr && keys->is_string()) {
      // The reference tests `key in filter_keys`: on a string that is a substring test.
      substring_keys_ = keys->as_string();
    } else {
      filter_keys_ = p.get_string_list("filter_keys");
    }
    threshold_ = p.get_int("threshold", 100);
    if (threshold_ <= 0)
      throw ConfigError("threshold", "Invalid threshold specified, use positive integer count.");
    bypass_ = p.get_bool("bypass", false);
    if (const Value* add = p.find("add_keys"); add != nullptr && add->is_dict())
      add_keys_ = add->as_dict();
    auto opts = CacheOptions::from_params(p, ctx.state_dir);
    if (opts.ttl <= 0)
      throw ConfigError("redis_cache_ttl", "Invalid TTL specified, use positive integer seconds.");
    cache_ = open_cache(opts);
    log().info("Counting on a {} cache, TTL {} s, threshold {}.", cache_->backend(), opts.ttl,
               threshold_);
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
    if (bypass_) {
      out.send(std::move(ev));
      return;
    }
    const std::string h = hash(ev);
    std::int64_t old_count = 0;
    if (auto v = cache_->get(h)) old_count = parse_count(*v);
    log().debug("Message {} has been seen {} times before.", h, old_count);
    const std::int64_t count = old_count + 1;
    cache_->set(h, std::to_string(count));  // SET, not INCR: restarts the TTL
    cache_->flush();
    if (count != threshold_) {
      log().debug("Dropped message.");
      out.drop("below or above the threshold");
      return;
    }
    log().debug("Threshold reached, forwarding message.");
    ev.update(add_keys_);
    harm::AddOptions overwrite;
    overwrite.overwrite = true;
    ev.add("extra.count", Value::integer(count), overwrite);
    out.send(std::move(ev));
  }

 private:
  std::string hash(const Message& ev) const {
    if (!substring_keys_) return ev.hash(filter_keys_, filter_type_);
    // Membership by substring: the keys of this event found inside the string.
    std::vector<std::string> keys;
    for (const auto& e : ev.entries())
      if (substring_keys_->find(e.key) != std::string::npos) keys.emplace_back(e.key);
    return ev.hash(keys, filter_type_);
  }

  static std::int64_t parse_count(const std::string& s) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return 0;
    }
  }

  std::string filter_type_;
  std::vector<std::string> filter_keys_;
  std::optional<std::string> substring_keys_;
  std::int64_t threshold_ = 100;
  bool bypass_ = false;
  std::vector<std::pair<std::string, Value>> add_keys_;
  std::unique_ptr<Cache> cache_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.threshold.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Forwards a single event when the number of similar events within the cache "
                   "TTL reaches the threshold; drops all others.",
    .params =
        [] {
          std::vector<api::ParamSpec> v = {
              api::ParamSpec{"filter_keys", api::ParamType::StringOrList,
                             "[\"raw\", \"time.observation\"]", false,
                             "Fields for filter_type (a list; a string is used as-is with "
                             "substring semantics, as in the reference)."},
              api::ParamSpec{"filter_type", api::ParamType::String, "\"blacklist\"", false,
                             "`blacklist`: similarity over every field except filter_keys; "
                             "`whitelist`: only over filter_keys. time.observation never counts."},
              api::ParamSpec{"threshold", api::ParamType::Int, "100", false,
                             "The count (> 0) at which the one event is forwarded."},
              api::ParamSpec{"add_keys", api::ParamType::Dict,
                             "{\"comment\": \"Threshold reached\"}", false,
                             "Fields set on the forwarded event (besides extra.count)."},
              api::ParamSpec{"bypass", api::ParamType::Bool, "false", false,
                             "Forward everything without counting."},
              api::ParamSpec{"timeout", api::ParamType::Any, "null", false,
                             "IntelMQ 2 name of the count lifetime; ignored: use "
                             "redis_cache_ttl."},
          };
          for (auto& c : cache_param_specs("11", "3600")) v.push_back(c);
          return v;
        }(),
    .concurrent = false,
    .factory = [] { return std::make_unique<ThresholdExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
