// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.field_reducer.expert: keeps only (whitelist) or removes (blacklist) listed fields.

#include <memory>
#include <string>
#include <vector>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Whitelist: forwards a new event holding only the listed fields (copied
/// unsanitized, "extra" as a whole); blacklist: deletes the listed fields.
/// Stateless: runs concurrently.
class FieldReducerExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const std::string type = params().get_string("type");
    if (type == "whitelist")
      whitelist_ = true;
    else if (type == "blacklist")
      whitelist_ = false;
    else
      throw ConfigError("type", "must be 'whitelist' or 'blacklist', got '" + type + "'");
    keys_ = params().get_string_list("keys", ',');
  }

  void process(Message& ev, api::Emitter& out) override {
    if (whitelist_) {
      Message reduced(harm::MessageKind::Event, ev.harmonization_ptr());
      harm::AddOptions raw;
      raw.sanitize = false;
      for (const auto& key : keys_)
        if (ev.contains(key)) reduced.add(key, ev.getitem(key), raw);  // a repeated key: KeyExists
      out.send(std::move(reduced));
      return;
    }
    for (const auto& key : keys_)
      if (ev.contains(key)) ev.remove(key);
    out.send(std::move(ev));
  }

 private:
  bool whitelist_ = false;
  std::vector<std::string> keys_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.field_reducer.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Reduces events to a whitelist of fields, or removes a blacklist of fields.",
    .params = {api::ParamSpec{"type", api::ParamType::String, "null", true,
                              "'whitelist' (forward a new event with only the listed fields) or "
                              "'blacklist' (delete the listed fields). Anything else refuses the "
                              "start."},
               api::ParamSpec{"keys", api::ParamType::StringOrList, "[]", true,
                              "The fields: a list, or a comma-separated string (parts are "
                              "trimmed). 'extra' stands for all extra.* fields."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<FieldReducerExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
