// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.openphish.parser: the OpenPhish free feed, one URL per line
// (bots.md "openphish.parser").

#include <memory>
#include <string>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// OpenPhish free feed parser. Like the reference (a plain Bot) it handles the
/// whole report: an invalid URL fails the report (events already sent stay
/// sent) and `default_fields` are not applied. Stateless.
class OpenPhishParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    for (std::string_view line : splitlines(text)) {
      line = harm::uni::strip(line);
      if (line.empty()) continue;
      Message ev = new_event(report);
      ev.add("classification.type", Value::string("phishing"));
      ev.add("source.url", Value::string(line));
      ev.add("raw", Value::string(line));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element&, const Message&, ParseState&, std::vector<Message>&) override {
    throw std::logic_error("parsers.openphish.parser handles whole reports");
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.openphish.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the OpenPhish public feed: every non-empty line is a phishing URL.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<OpenPhishParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
