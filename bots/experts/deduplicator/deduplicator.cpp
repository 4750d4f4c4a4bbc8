// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.deduplicator.expert: drops events whose hash was seen within the cache TTL.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bots/common/cache.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Forwards an event only if Message::hash(filter_keys, filter_type) is not
/// in the cache, and stores the hash (value "hash", bot-wide TTL). Serial:
/// the cache check-and-set must not interleave.
class DeduplicatorExpert final : public api::ExpertBot {
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
    if (!p.has("filter_keys"))
      throw ConfigError("filter_keys", "is required (e.g. \"raw,time.observation\")");
    filter_keys_ = p.get_string_list("filter_keys", ',');
    bypass_ = p.get_bool("bypass", false);
    auto opts = CacheOptions::from_params(p, ctx.state_dir);
    cache_ = open_cache(opts);
    log().info("Deduplicating on a {} cache ({}), TTL {} s.", cache_->backend(),
               opts.host ? *opts.host : ctx.state_dir, opts.ttl);
  }

  void shutdown() override {
    if (cache_) {
      try {
        cache_->flush();
      } catch (const std::exception& e) {
        log().error("Could not write the cache: {}", e.what());
      }
    }
  }

  void process(Message& ev, api::Emitter& out) override {
    if (bypass_) {
      out.send(std::move(ev));
      return;
    }
    std::string h = ev.hash(filter_keys_, filter_type_);
    if (cache_->exists(h)) {
      log().debug("Dropped message.");
      out.drop("duplicate");
      return;
    }
    cache_->set(h, "hash");
    flush_cache();
    out.send(std::move(ev));
  }

  /// One cache round trip for the lookups and one for the stores; a hash that
  /// occurs twice in the batch is handled as sequential processing would.
  void process_batch(std::span<Message> events, api::BatchEmitter& out) override {
    const std::size_t n = events.size();
    if (bypass_) {
      for (std::size_t i = 0; i < n; ++i) {
        out.select(i);
        out.send(std::move(events[i]));
      }
      return;
    }
    fate_.assign(n, Fate::Failed);
    if (n > 0) {
      out.select(0);
      replay_ = out.origin().replay;
    }
    hashes_.resize(n);
    lookup_keys_.clear();
    lookup_index_.clear();
    origins_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      out.select(i);
      origin_value(out.origin(), origins_[i]);
      try {
        hashes_[i] = events[i].hash(filter_keys_, filter_type_);
      } catch (const std::exception& e) {
        out.fail(i, e);
        continue;
      }
      lookup_keys_.push_back(hashes_[i]);
      lookup_index_.push_back(i);
    }
    try {
      cache_->exists_many(lookup_keys_, found_);
    } catch (const std::exception& e) {
      for (std::size_t i : lookup_index_) out.fail(i, e);
      return;
    }
    // Repeats inside the batch: only the first occurrence of a hash may be
    // forwarded (sequential processing would have stored it). Sorting
    // (hash, position) pairs finds them without allocating per batch.
    order_.clear();
    for (std::size_t j = 0; j < lookup_index_.size(); ++j) order_.emplace_back(lookup_keys_[j], j);
    std::sort(order_.begin(), order_.end());
    repeat_.assign(lookup_index_.size(), 0);
    for (std::size_t k = 1; k < order_.size(); ++k)
      if (order_[k].first == order_[k - 1].first) repeat_[order_[k].second] = 1;
    store_keys_.clear();
    store_values_.clear();
    for (std::size_t j = 0; j < lookup_index_.size(); ++j) {
      std::size_t i = lookup_index_[j];
      if (found_[j] && is_own_entry(i, lookup_keys_[j], out)) {
        fate_[i] = Fate::Forward;  // a replay of the event that stored this key
      } else if (found_[j]) {
        fate_[i] = Fate::Drop;
      } else if (repeat_[j]) {
        fate_[i] = Fate::DropInBatch;  // stored by an earlier event of this batch
      } else {
        fate_[i] = Fate::Forward;
        store_keys_.push_back(lookup_keys_[j]);
        store_values_.push_back(origins_[i]);
      }
    }
    try {
      cache_->set_many(store_keys_, store_values_);
    } catch (const std::exception& e) {
      // Undo what may have been stored, so the retried events are not taken
      // for duplicates of themselves.
      for (auto k : store_keys_) {
        try {
          cache_->erase(k);
        } catch (const std::exception&) {
        }
      }
      for (std::size_t i = 0; i < n; ++i)
        if (fate_[i] == Fate::Forward || fate_[i] == Fate::DropInBatch) out.fail(i, e);
      return;
    }
    flush_cache();
    for (std::size_t i = 0; i < n; ++i) {
      if (fate_[i] == Fate::Failed) continue;
      out.select(i);
      if (fate_[i] == Fate::Forward) {
        out.send(std::move(events[i]));
      } else {
        log().debug("Dropped message.");
        out.drop("duplicate");
      }
    }
  }

 private:
  enum class Fate : std::uint8_t { Failed, Forward, Drop, DropInBatch };

  /// The cache value stored for an event: IntelMQ stores "hash" (and only
  /// ever checks that the key exists); a durable event stores a marker of its
  /// origin instead (replay_marker: a fingerprint of WAL sequence and id,
  /// compact in the embedded cache), so that its replay after a crash is not
  /// dropped as a duplicate of itself.
  static void origin_value(const api::Emitter::Origin& o, std::string& out) {
    if (o.seq == 0)
      out.assign("hash");
    else
      replay_marker(o.seq, o.id, out);
  }
  /// For replayed events only (one extra lookup on the rare replay path):
  /// whether the existing entry was stored by this very event. Markers of the
  /// earlier format ("intelflow:<seq>:<id hex>") are recognised too.
  bool is_own_entry(std::size_t i, std::string_view key, api::BatchEmitter& out) {
    if (!replay_) return false;
    out.select(i);
    const auto o = out.origin();
    if (o.seq == 0) return false;
    auto v = cache_->get(key);
    return v && (*v == origins_[i] || *v == fmt::format("intelflow:{}:{:x}", o.seq, o.id));
  }

  void flush_cache() {
    // The entries are in the cache already; a failing log write only weakens
    // persistence across restarts, it must not fail (and retry) the events.
    try {
      cache_->flush();
    } catch (const std::exception& e) {
      log().error("Could not persist the deduplication cache: {}", e.what());
    }
  }

  std::string filter_type_;
  std::vector<std::string> filter_keys_;
  bool bypass_ = false;
  std::unique_ptr<Cache> cache_;
  // Batch scratch, reused (the bot is serial).
  std::vector<std::string> hashes_;
  std::vector<std::string_view> lookup_keys_;
  std::vector<std::size_t> lookup_index_;
  std::vector<char> found_;
  std::vector<std::pair<std::string_view, std::size_t>> order_;
  std::vector<char> repeat_;
  std::vector<std::string_view> store_keys_;
  std::vector<std::string_view> store_values_;
  std::vector<std::string> origins_;  ///< cache value per event of the batch
  bool replay_ = false;
  std::vector<Fate> fate_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.deduplicator.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Drops events already seen within the cache TTL (hash over the fields selected "
                   "by filter_keys/filter_type); embedded cache or Redis.",
    .params =
        [] {
          std::vector<api::ParamSpec> v = {
              api::ParamSpec{
                  "filter_type", api::ParamType::String, "\"blacklist\"", false,
                  "`blacklist`: hash every field except filter_keys; `whitelist`: hash only "
                  "filter_keys. time.observation is never hashed."},
              api::ParamSpec{"filter_keys", api::ParamType::StringOrList, "null", true,
                             "Fields for filter_type: a comma-separated string or a list, e.g. "
                             "\"raw,time.observation\"."},
              api::ParamSpec{"bypass", api::ParamType::Bool, "false", false,
                             "Forward everything without looking at the cache."},
          };
          for (auto& c : cache_param_specs("6", "86400")) v.push_back(c);
          return v;
        }(),
    .concurrent = false,
    .factory = [] { return std::make_unique<DeduplicatorExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
