// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.touch.output: sets access and modification time of a file to now, per
// event.

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <string>
#include <system_error>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;

/// Touches `path` (atime and mtime = now) for every event, e.g. as a liveness
/// signal for monitoring. The file must exist: a missing file fails the event.
/// Stateless.
class TouchOutput final : public api::OutputBot {
 public:
  void init(api::BotContext& ctx) override {
    OutputBot::init(ctx);
    path_ = params().get_string("path");
    if (path_.empty()) throw ConfigError("path", "the file to touch is required");
  }

  void process(const api::Message& /*event*/) override {
    const timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    if (::utimensat(AT_FDCWD, path_.c_str(), now, 0) != 0)
      throw std::system_error(errno, std::generic_category(), "cannot touch '" + path_ + "'");
  }

 private:
  std::string path_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.touch.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Sets the access and modification time of a file to now for "
                   "every event.",
    .params =
        {
            {"path", api::ParamType::String, "null", true,
             "The file to touch; it must exist (a missing file fails the "
             "event)."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<TouchOutput>(); },
});

}  // namespace
}  // namespace intelflow::bots
