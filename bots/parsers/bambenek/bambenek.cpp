// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.bambenek.parser: Bambenek C2 IP/domain and DGA feeds (bots.md §2.2 "Other P0 parsers").

#include <array>
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

constexpr std::array<std::string_view, 3> kIpMaster{
    "http://osint.bambenekconsulting.com/feeds/c2-ipmasterlist.txt",
    "https://osint.bambenekconsulting.com/feeds/c2-ipmasterlist.txt",
    "https://faf.bambenekconsulting.com/feeds/dga/c2-ipmasterlist.txt"};
constexpr std::array<std::string_view, 3> kDomMaster{
    "http://osint.bambenekconsulting.com/feeds/c2-dommasterlist.txt",
    "https://osint.bambenekconsulting.com/feeds/c2-dommasterlist.txt",
    "https://faf.bambenekconsulting.com/feeds/dga/c2-dommasterlist.txt"};
constexpr std::array<std::string_view, 3> kDga{
    "http://osint.bambenekconsulting.com/feeds/dga-feed.txt",
    "https://osint.bambenekconsulting.com/feeds/dga-feed.txt",
    "https://faf.bambenekconsulting.com/feeds/dga-feed.txt"};

template <std::size_t N>
bool one_of(std::string_view url, const std::array<std::string_view, N>& set) {
  for (std::string_view u : set)
    if (u == url) return true;
  return false;
}

/// Malware names the feed abbreviates in its documentation file names.
std::string_view malware_name(std::string_view stem) {
  if (stem == "cl") return "cryptolocker";
  if (stem == "p2pgoz") return "p2p goz";
  if (stem == "ptgoz") return "pt goz";
  if (stem == "volatile") return "volatile cedar";
  return stem;
}

/// Bambenek parser: `#` lines are header, data lines are
/// `indicator,description,time,documentation URL`; the report's feed.url
/// decides which list it is.
class BambenekParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& line = el.line;
    if (line.starts_with('#')) {
      st.tempdata.push_back(line);
      return;
    }
    const std::vector<std::string_view> value = putil::split(line, ',');
    if (value.size() < 4) throw putil::ParseError("IndexError: list index out of range");
    Message ev = new_event(report);
    ev.add("event_description.text", Value::string(value[1]));
    ev.add("event_description.url", Value::string(value[3]));
    ev.add("raw", Value::string(line));

    // the last column links to a text file named after the malware
    std::string_view file = value.back().substr(value.back().rfind('/') + 1);
    file = file.substr(0, file.find('.'));
    ev.add("malware.name", Value::string(malware_name(file)));

    const Value* url_v = report.find("feed.url");
    if (url_v == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
    const std::string& url = url_v->as_string();
    if (one_of(url, kIpMaster) || one_of(url, kDomMaster)) {
      ev.add(one_of(url, kIpMaster) ? "source.ip" : "source.fqdn", Value::string(value[0]));
      ev.add("time.source", Value::string(std::string(value[2]) + " UTC"));
      ev.add("classification.type", Value::string("c2-server"));
      ev.add("status", Value::string("online"));
    } else if (one_of(url, kDga)) {
      ev.add("source.fqdn", Value::string(value[0]));
      ev.add("time.source", Value::string(std::string(value[2]) + " 00:00 UTC"));
      ev.add("classification.type", Value::string("dga-domain"));
    } else {
      throw putil::ParseError("Unknown data feed " + url + ".");
    }
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.bambenek.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Bambenek C2 IP, C2 domain and DGA domain feeds.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<BambenekParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
