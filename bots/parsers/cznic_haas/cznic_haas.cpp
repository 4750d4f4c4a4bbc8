// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.cznic.parser_haas: CZ.NIC HaaS honeypot JSON (bots.md §2.2 "P1 parsers").

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

/// CZ.NIC HaaS (SSH honeypot) parser: the report is a JSON list of
/// sessions, one event each (raw: the item as a one-element JSON list).
class CznicHaasParser final : public api::ParserBot {
 protected:
  void parse(const Message& report, ParseState& /*st*/, std::vector<Element>& out) override {
    putil::split_json_document(decode_raw(report), out);
  }

  std::string recover_line(const Element& el, const ParseState& /*st*/) const override {
    return putil::recover_json(el.json);
  }

  void parse_line(const Element& el, const Message& report, ParseState& /*st*/,
                  std::vector<Message>& events) override {
    const Value& line = el.json;
    Message ev = new_event(report);
    ev.add("source.ip", putil::at(line, "ip"));
    const Value& time = putil::at(line, "time");
    const auto parsed = time.is_string() ? harm::datetime::parse(time.as_string()) : std::nullopt;
    if (!parsed) throw putil::ParseError("ParserError: cannot parse the session time");
    ev.add("time.source", Value::string(*parsed));
    ev.add("protocol.transport", Value::string("tcp"));
    ev.add("protocol.application", Value::string("ssh"));
    ev.add("destination.port", Value::integer(22));
    Value::Dict extra;
    for (const auto& [k, v] : line.as_dict())
      if (k == "time_closed" || k == "commands") extra.emplace_back(k, v);
    if (!extra.empty()) ev.add("extra", Value::dict(std::move(extra)));
    ev.add("raw", Value::string(putil::recover_json(line)));

    const Value& country = putil::at(line, "country");
    if (country.truthy()) ev.add("source.geolocation.cc", country);
    const bool login = putil::at(line, "login_successful").truthy();
    const bool commands = putil::at(line, "commands").truthy();
    if (login) {
      // unauthorized-command / unauthorized-login: both system-compromise
      ev.add("classification.type",
             Value::string(commands ? "unauthorized-command" : "unauthorized-login"));
    } else {
      ev.add("classification.type", Value::string("brute-force"));
      ev.add("extra.count", Value::integer(1));
    }
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.cznic.parser_haas",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses CZ.NIC HaaS (honeypot as a service) session JSON.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<CznicHaasParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
