// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.ci_army.parser: CINS Army IP list (bots.md §2.2 "P1 parsers").

#include <string>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// CINS Army parser: one IP per line, `#` lines and empty lines skipped.
/// Processes the whole report itself (as IntelMQ): a bad line fails the
/// report (lines sent before it stay sent), default_fields are not applied.
class CiArmyParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    for (std::string_view row : putil::splitlines(text)) {
      if (row.empty() || row.starts_with('#')) continue;
      Message ev = new_event(report);
      ev.add("source.ip", Value::string(row));
      ev.add("classification.type", Value::string("blacklist"));
      ev.add("raw", Value::string(row));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.ci_army.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the CINS Army (ci-badguys) IP list.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<CiArmyParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
