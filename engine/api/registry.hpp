// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The compiled-in bots. Each bot registers itself (INTELFLOW_REGISTER_BOT in
/// its .cpp) with its module name (IntelMQ's, without the `intelmq.bots.`
/// prefix), aliases, group, declared parameters and a factory. Filled during
/// static initialisation; read-only afterwards.

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/bot.hpp"

namespace intelflow::api {

struct BotInfo {
  std::string module;                ///< e.g. "parsers.generic.parser_csv"
  std::vector<std::string> aliases;  ///< other accepted module names
  BotGroup group;
  std::string description;
  std::vector<ParamSpec> params;  ///< the bot's own parameters (shared groups added by group)
  /// Stateful bots run serially; others may process batches concurrently.
  bool concurrent = false;
  std::function<std::unique_ptr<Bot>()> factory;
};

class Registry {
 public:
  static Registry& instance();
  void add(BotInfo info);
  /// Accepts "parsers.x.y", "intelmq.bots.parsers.x.y" and any alias.
  const BotInfo* find(std::string_view module) const noexcept;
  /// Sorted by module name.
  std::vector<const BotInfo*> all() const;
  /// Every parameter a bot of this kind accepts: the shared groups of its
  /// group (error handling, collector feed fields, parser fields, output
  /// export options) followed by its own.
  std::vector<ParamSpec> all_params(const BotInfo& info) const;

 private:
  std::vector<BotInfo> bots_;
};

/// Parameters every bot accepts (error handling, rate limit, ...).
std::span<const ParamSpec> common_params();
std::span<const ParamSpec> collector_params();
std::span<const ParamSpec> output_params();
/// IntelMQ parameters that have no meaning in intelflow (broker, logging
/// paths, process manager ...): accepted and ignored, so runtime.yaml files
/// load unchanged.
bool is_ignored_intelmq_param(std::string_view key) noexcept;

struct Registrar {
  explicit Registrar(BotInfo info) { Registry::instance().add(std::move(info)); }
};

}  // namespace intelflow::api

#define INTELFLOW_CONCAT_INNER(a, b) a##b
#define INTELFLOW_CONCAT(a, b) INTELFLOW_CONCAT_INNER(a, b)
/// Registers a bot: INTELFLOW_REGISTER_BOT(BotInfo{...}) at namespace scope.
#define INTELFLOW_REGISTER_BOT(...)                                               \
  static const ::intelflow::api::Registrar INTELFLOW_CONCAT(intelflow_registrar_, \
                                                            __LINE__)(__VA_ARGS__)
