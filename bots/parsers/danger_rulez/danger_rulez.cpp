// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.danger_rulez.parser: Danger Rulez bruteforce blocker list (bots.md §2.2 "P1 parsers").

#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

bool blank(char c) {
  return c == ' ' || c == '\t';
}

/// Danger Rulez (bruteforceblocker) parser: `IP<tab># date time<tab>count<tab>id`.
/// Processes the whole report itself (as IntelMQ): a line without IP or
/// timestamp fails the report (lines sent before it stay sent),
/// default_fields are not applied.
class DangerRulezParser final : public api::ParserBot {
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
      // IP: `^[^ \t]+`
      std::size_t n = 0;
      while (n < row.size() && !blank(row[n])) ++n;
      const std::string_view ip = row.substr(0, n);
      // timestamp: first `# ([^ \t]+ [^ \t]+)`
      std::string timestamp = find_timestamp(row);
      if (timestamp.empty()) throw putil::ParseError("No timestamp found.");
      if (ip.empty()) throw putil::ParseError("No ip found.");
      ev.add("time.source", Value::string(timestamp + " UTC"));
      ev.add("source.ip", Value::string(ip));
      ev.add("classification.type", Value::string("brute-force"));
      ev.add("raw", Value::string(row));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}

 private:
  /// re.search("# ([^ \t]+ [^ \t]+)", row).group(1), or "" when there is none.
  static std::string find_timestamp(std::string_view row) {
    for (std::size_t at = row.find("# "); at != std::string_view::npos;
         at = row.find("# ", at + 1)) {
      std::size_t i = at + 2;
      const std::size_t a = i;
      while (i < row.size() && !blank(row[i])) ++i;
      if (i == a || i >= row.size() || row[i] != ' ') continue;
      const std::size_t b = ++i;
      while (i < row.size() && !blank(row[i])) ++i;
      if (i == b) continue;
      return std::string(row.substr(a, i - a));
    }
    return {};
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.danger_rulez.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Danger Rulez bruteforce blocker list.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<DangerRulezParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
