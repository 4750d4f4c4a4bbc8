// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.dshield.parser_block: DShield block.txt (bots.md §2.2 "P1 parsers").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// DShield block list parser: comment lines containing "updated" give the
/// time (text after ": "), rows are `start end prefix [attacks [name [cc
/// [email]]]]` tab-separated. Processes the whole report itself (as
/// IntelMQ): a data row before any time line or a bad value fails the report,
/// rows with fewer than 3 columns are skipped, default_fields are not applied.
class DshieldBlockParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    std::optional<std::string> time;
    for (std::string_view line : putil::splitlines(text)) {
      const std::string_view row = putil::strip(line);
      if (row.starts_with('#') || row.empty() || row.starts_with("Start")) {
        if (row.find("updated") != std::string_view::npos) {
          const std::size_t colon = row.find(": ");
          // Python row[row.find(': ') + 2:]: without ": " this starts at index 1
          const std::string_view date = row.substr(colon == std::string_view::npos ? 1 : colon + 2);
          time = harm::datetime::parse(date);
          if (!time)
            throw putil::ParseError("ParserError: Unknown string format: " + std::string(date));
        }
        continue;
      }
      const auto values = putil::split(row, '\t');
      if (values.size() < 3) continue;
      Message ev = new_event(report);
      Value::Dict extra;
      if (values.size() > 3) {
        const auto attacks = putil::py_int(values[3]);
        if (!attacks) throw putil::ParseError("ValueError: invalid literal for int()");
        extra.emplace_back("attacks", Value::integer(*attacks));
      }
      if (values.size() > 4) extra.emplace_back("network_name", Value::string(values[4]));
      if (values.size() > 5) ev.add("source.geolocation.cc", Value::string(values[5]));
      if (values.size() > 6) ev.add("source.abuse_contact", Value::string(values[6]));
      if (!extra.empty()) ev.add("extra", Value::dict(std::move(extra)));
      if (!time) throw putil::ParseError("NameError: no 'updated' time line before the data");
      ev.add("time.source", Value::string(*time));
      ev.add("source.network",
             Value::string(std::string(values[0]) + "/" + std::string(values[2])));
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
    .module = "parsers.dshield.parser_block",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the DShield recommended block list (block.txt).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<DshieldBlockParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
