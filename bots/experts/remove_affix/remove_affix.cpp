// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.remove_affix.expert: removes a prefix or suffix from a field value.

#include <memory>
#include <stdexcept>
#include <string>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;

/// Removes `affix` from the start (remove_prefix) or end of `field`; the
/// value is written back with change() (an empty result deletes the field).
/// Stateless: concurrent.
class RemoveAffixExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    prefix_ = params().get_bool("remove_prefix", true);
    affix_ = params().get_string("affix", "www.");
    field_ = params().get_string("field", "source.fqdn");
  }

  void process(Message& ev, api::Emitter& out) override {
    if (const Value* v = ev.find(field_)) {
      if (!v->is_string()) throw std::runtime_error("remove_affix: " + field_ + " is not text");
      std::string s = v->as_string();
      if (prefix_) {
        if (s.compare(0, affix_.size(), affix_) == 0) s.erase(0, affix_.size());
      } else if (!affix_.empty() && s.size() >= affix_.size() &&
                 s.compare(s.size() - affix_.size(), affix_.size(), affix_) == 0) {
        s.resize(s.size() - affix_.size());
      }
      ev.change(field_, Value::string(std::move(s)));
    }
    out.send(std::move(ev));
  }

 private:
  bool prefix_ = true;
  std::string affix_;
  std::string field_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.remove_affix.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Removes a prefix (e.g. 'www.') or suffix from a field value.",
    .params = {api::ParamSpec{"remove_prefix", api::ParamType::Bool, "true", false,
                              "true: remove the affix at the start; false: at the end."},
               api::ParamSpec{"affix", api::ParamType::String, "\"www.\"", false,
                              "The text to remove."},
               api::ParamSpec{"field", api::ParamType::String, "\"source.fqdn\"", false,
                              "The field to change."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<RemoveAffixExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
