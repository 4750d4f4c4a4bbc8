// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.truncate_by_delimiter.expert: cuts leading segments off an over-long value.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;

/// While the value is longer than max_length (in characters) and still
/// holds the delimiter, drops everything up to and including the first
/// delimiter; the result is written back with change(). Stateless: concurrent.
class TruncateByDelimiterExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    delimiter_ = params().get_string("delimiter", ".");
    max_length_ = params().get_int("max_length", 200);
    field_ = params().get_string("field", "source.fqdn");
  }

  void process(Message& ev, api::Emitter& out) override {
    if (const Value* v = ev.find(field_)) {
      if (!v->is_string())
        throw std::runtime_error("truncate_by_delimiter: " + field_ + " is not text");
      std::string_view s = v->as_string();
      while (static_cast<std::int64_t>(harm::py::utf8_length(s)) > max_length_) {
        if (delimiter_.empty()) throw std::runtime_error("empty separator");
        const auto pos = s.find(delimiter_);
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + delimiter_.size());
      }
      ev.change(field_, Value::string(s));
    }
    out.send(std::move(ev));
  }

 private:
  std::string delimiter_;
  std::int64_t max_length_ = 200;
  std::string field_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.truncate_by_delimiter.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Shortens an over-long value (e.g. an FQDN) by dropping leading "
                   "delimiter-separated segments.",
    .params = {api::ParamSpec{"delimiter", api::ParamType::String, "\".\"", false,
                              "Segment delimiter."},
               api::ParamSpec{"max_length", api::ParamType::Int, "200", false,
                              "Maximum length in characters."},
               api::ParamSpec{"field", api::ParamType::String, "\"source.fqdn\"", false,
                              "The field to shorten."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<TruncateByDelimiterExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
