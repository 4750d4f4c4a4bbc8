// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.json.parser: IntelMQ-format JSON messages → events (bots.md "json.parser").

#include <memory>
#include <string>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// JSON parser. Like the reference (a plain Bot) it handles the whole report:
/// a line that is not an IntelMQ message fails the report (events already
/// sent stay sent) and `default_fields` are not applied. Stateless.
class JsonParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    splitlines_ = ctx.params.get_bool("splitlines", false);
    multiple_events_ = ctx.params.get_bool("multiple_events", false);
  }

  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    if (multiple_events_) {
      Value doc;
      if (!harm::py::json_loads(text, doc))
        throw std::runtime_error("JSONDecodeError: the report is not valid JSON");
      if (!doc.is_list())
        throw std::runtime_error("multiple_events: the report must be a JSON list of events");
      for (const Value& item : doc.as_list()) {
        if (!item.is_dict())
          throw std::runtime_error("multiple_events: every element must be a JSON object");
        Message ev = new_event(report);
        ev.update(item.as_dict());
        if (!ev.contains("raw"))
          ev.add("raw", Value::string(harm::py::json_dumps(item, {.sort_keys = true})));
        out.send(std::move(ev));
      }
      return;
    }
    if (splitlines_) {
      for (std::string_view line : splitlines(text)) emit(report, line, out);
    } else {
      emit(report, text, out);
    }
  }

 protected:
  void parse_line(const Element&, const Message&, ParseState&, std::vector<Message>&) override {
    throw std::logic_error("parsers.json.parser handles whole reports");
  }

 private:
  void emit(const Message& report, std::string_view line, api::Emitter& out) const {
    const Message parsed =
        Message::unserialize(line, ctx().harmonization, harm::MessageKind::Event);
    Message ev = new_event(report);
    std::vector<std::pair<std::string, Value>> items;
    items.reserve(parsed.size());
    for (const auto& e : parsed.entries()) items.emplace_back(std::string(e.key), e.value);
    ev.update(items);
    if (!ev.contains("raw")) ev.add("raw", Value::string(line));
    out.send(std::move(ev));
  }

  bool splitlines_ = false;
  bool multiple_events_ = false;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.json.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses IntelMQ-format JSON messages (e.g. written by the file output) back "
                   "into events.",
    .params =
        {
            {"splitlines", api::ParamType::Bool, "false", false,
             "One JSON message per line (Python splitlines) instead of one per report."},
            {"multiple_events", api::ParamType::Bool, "false", false,
             "The report is one JSON list of flat event objects; each becomes an event whose "
             "raw is the object's JSON with sorted keys."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<JsonParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
