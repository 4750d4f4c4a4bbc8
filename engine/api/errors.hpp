// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Engine-level errors a bot may raise (IntelMQ's ConfigurationError and PipelineError).

#include <stdexcept>
#include <string>

namespace intelflow::api {

/// A bot's configuration is unusable: at init the bot is refused; at run time
/// the bot stops (IntelMQ: "Bot has found a problem", exit 1).
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string param, const std::string& reason)
      : std::runtime_error(param.empty() ? reason : "parameter '" + param + "': " + reason),
        param_(std::move(param)) {}
  const std::string& param() const noexcept { return param_; }

 private:
  std::string param_;
};

/// Sending failed: unknown path, broker down.
class PipelineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace intelflow::api
