// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.blackhole.output: acknowledges and discards every event.

#include <memory>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

/// Discards every event (the event counts as delivered). Stateless.
class BlackholeOutput final : public api::OutputBot {
 public:
  void process(const api::Message& /*event*/) override {}
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.blackhole.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Discards every event (acknowledges it without writing it anywhere).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<BlackholeOutput>(); },
});

}  // namespace
}  // namespace intelflow::bots
