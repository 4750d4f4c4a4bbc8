// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.blueliv.parser_crimeserver: Blueliv crime servers JSON (bots.md §2.2 "Other P0 parsers").

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kTypes{{
    {"PHISHING", "phishing"},
    {"MALWARE", "malware-distribution"},
    {"EXPLOIT_KIT", "exploit"},
    {"BACKDOOR", "system-compromise"},
    {"TOR_IP", "proxy"},
    {"C_AND_C", "c2-server"},
}};

/// Blueliv crimeserver parser: the report is a JSON list of crime servers,
/// one event each. Processes the whole report itself: an item that cannot be
/// mapped fails the report (events already sent stay sent), default_fields
/// are not applied.
class BluelivCrimeserverParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const Value doc = putil::json_loads(decode_raw(report));
    if (!doc.is_list()) throw putil::ParseError("TypeError: the report is not a JSON list");
    for (const Value& item : doc.as_list()) out.send(parse_item(item, report));
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}

 private:
  Message parse_item(const Value& item, const Message& report) const {
    if (!item.is_dict()) throw putil::ParseError("TypeError: an item is not a JSON object");
    Message ev = new_event(report);
    bool tor_node = false;
    if (const Value* type = putil::find(item, "type")) {
      std::string_view mapped;
      for (const auto& [from, to] : kTypes)
        if (type->is_string() && type->as_string() == from) mapped = to;
      if (mapped.empty()) throw putil::ParseError("KeyError: " + harm::py::repr(*type));
      ev.add("classification.type", Value::string(mapped));
      if (type->as_string() == "TOR_IP") {
        ev.add("source.tor_node", Value::boolean(true));
        tor_node = true;
      }
    }
    if (const Value* url = putil::find(item, "url")) {
      // crimeserver reports tor IPs in the url field as well: tolerated for those
      harm::AddOptions o;
      o.raise_failure = !tor_node;
      ev.add("source.url", *url, o);
    }
    if (const Value* ip = putil::find(item, "ip")) ev.add("source.ip", *ip);
    if (const Value* cc = putil::find(item, "country")) ev.add("source.geolocation.cc", *cc);
    if (const Value* seen = putil::find(item, "lastSeenAt")) {
      if (!seen->is_string()) throw putil::ParseError("TypeError: lastSeenAt is not a string");
      const std::string& s = seen->as_string();
      ev.add("time.source", Value::string(s.substr(0, s.size() >= 4 ? s.size() - 4 : 0) + "00:00"));
    }
    Value::Dict extra;
    if (const Value* v = putil::find(item, "status")) extra.emplace_back("status", *v);
    if (const Value* v = putil::find(item, "confidence")) extra.emplace_back("confidence", *v);
    if (const Value* v = putil::find(item, "updatedAt")) extra.emplace_back("time_updated", *v);
    if (const Value* v = putil::find(item, "firstSeenAt"))
      extra.emplace_back("time_first_seen", *v);
    if (!extra.empty()) ev.add("extra", Value::dict(std::move(extra)));
    ev.add("raw", Value::string(putil::dumps_sorted(item)));
    return ev;
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.blueliv.parser_crimeserver",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses Blueliv crime server lists (JSON).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<BluelivCrimeserverParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
