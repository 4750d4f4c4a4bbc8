// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.spamhaus.parser_drop: Spamhaus DROP/EDROP/DROPv6/ASN-DROP (bots.md §2.2 "Other P0
// parsers").

#include <array>
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

constexpr std::array<std::string_view, 4> kNetworkLists{
    "https://www.spamhaus.org/drop/edrop.txt", "https://www.spamhaus.org/drop/dropv6.txt",
    "https://www.spamhaus.org/drop/drop.txt", "https://www.spamhaus.org/drop/drop.lasso"};
constexpr std::string_view kAsnList = "https://www.spamhaus.org/drop/asndrop.txt";

/// Spamhaus DROP parser: `;` lines are header (a `Last-Modified:` header gives
/// time.source of the following lines); the report's feed.url selects the
/// network or the ASN list format. Keeps the header time of the report being
/// parsed, so instances are not shared between threads.
class SpamhausDropParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    last_generated_.reset();
    ParserBot::process(report, out);
  }

 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& line = el.line;
    if (line.starts_with(';')) {
      st.tempdata.push_back(line);
      if (line.find("Last-Modified:") != std::string::npos) {
        const std::string_view label_and_date = putil::strip_chars(line, "; ");
        const std::string_view date =
            label_and_date.size() > 15 ? label_and_date.substr(15) : std::string_view();
        last_generated_ = harm::datetime::parse(date);
        if (!last_generated_)
          throw putil::ParseError("ParserError: Unknown string format: " + std::string(date));
      }
      return;
    }
    Message ev = new_event(report);
    if (last_generated_) ev.add("time.source", Value::string(*last_generated_));
    ev.add("classification.type", Value::string("spam"));
    ev.add("raw", Value::string(line));

    const Value* url_v = report.find("feed.url");
    if (url_v == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
    const std::string& url = url_v->as_string();
    bool network_list = false;
    for (std::string_view u : kNetworkLists) network_list |= u == url;
    if (network_list) {
      const auto value = putil::split(putil::strip(line), ';');
      if (value.size() < 2) throw putil::ParseError("IndexError: list index out of range");
      ev.add("source.network", Value::string(putil::strip(value[0])));
      ev.add("extra", Value::dict({{"blocklist", Value::string(putil::strip(value[1]))}}));
    } else if (url == kAsnList) {
      std::string normalized = line;
      for (char& c : normalized)
        if (c == '|') c = ';';
      const auto value = putil::split(normalized, ';');
      if (value.size() < 3) throw putil::ParseError("IndexError: list index out of range");
      ev.add("source.asn", Value::string(putil::strip(putil::strip_chars(value[0], "AS"))));
      ev.add("source.as_name", Value::string(putil::strip(value[2])));
      if (!putil::strip(value[1]).empty())
        ev.add("source.geolocation.cc", Value::string(putil::strip(value[1])));
    } else {
      throw putil::ParseError("Unknown data feed " + url + ".");
    }
    events.push_back(std::move(ev));
  }

 private:
  std::optional<std::string> last_generated_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.spamhaus.parser_drop",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Spamhaus DROP, EDROP, DROPv6 and ASN-DROP lists.",
    .params = {},
    .concurrent = false,
    .factory = [] { return std::make_unique<SpamhausDropParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
