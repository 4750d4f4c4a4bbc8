// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.asn_lookup.expert: offline IP → ASN / BGP prefix from a pyasn IPASN file.

#include <memory>
#include <stdexcept>
#include <string>

#include "bots/experts/asn_lookup/prefix_table.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Longest-prefix lookup of source.ip / destination.ip in a pyasn IPASN
/// table loaded once at init; writes *.asn and *.network (always
/// overwritten). Stateless after init: runs concurrently.
class AsnLookupExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const std::string path = params().get_string("database");
    if (path.empty()) throw ConfigError("database", "is required (path to a pyasn IPASN file)");
    try {
      table_ = std::make_unique<asn::PrefixTable>(asn::PrefixTable::load_file(path));
    } catch (const std::exception& e) {
      throw ConfigError("database", std::string("cannot load the pyasn database: ") + e.what());
    }
    log().info("Loaded {} IPv4 and {} IPv6 prefixes from {}.", table_->v4().prefix_count(),
               table_->v6().prefix_count(), path);
  }

  void process(Message& ev, api::Emitter& out) override {
    static constexpr struct {
      std::string_view ip, asn, network;
    } kSides[] = {{"source.ip", "source.asn", "source.network"},
                  {"destination.ip", "destination.asn", "destination.network"}};
    harm::AddOptions overwrite;
    overwrite.overwrite = true;
    for (const auto& side : kSides) {
      const Value* ip = ev.find(side.ip);
      if (ip == nullptr || !ip->is_string()) continue;
      const asn::Prefix* p = table_->lookup(ip->as_string());
      if (p == nullptr) continue;
      ev.add(side.asn, Value::integer(p->asn), overwrite);
      ev.add(side.network, Value::string(p->to_string()), overwrite);
    }
    out.send(std::move(ev));
  }

 private:
  std::unique_ptr<asn::PrefixTable> table_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.asn_lookup.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Looks up source.ip and destination.ip in a local pyasn IPASN table "
                   "(longest prefix match) and sets *.asn and *.network, overwriting them.",
    .params = {api::ParamSpec{"database", api::ParamType::String, "null", true,
                              "Path of the pyasn IPASN text file (';' comment lines, then "
                              "'prefix/length<TAB>asn' lines). Loaded once at start; a missing "
                              "or malformed file refuses the start."},
               api::ParamSpec{"autoupdate_cached_database", api::ParamType::Bool, "true", false,
                              "IntelMQ's --update-database switch (fetch a RouteViews dump and "
                              "convert it). Accepted for compatibility; intelflow does not "
                              "download databases: update the file and reload."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<AsnLookupExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
