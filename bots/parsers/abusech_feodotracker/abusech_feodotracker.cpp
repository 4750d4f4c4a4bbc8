// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.abusech.parser_feodotracker: Feodo Tracker JSON blocklist (bots.md §2.2 "P1 parsers").

#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Feodo Tracker parser: the report is a JSON list of C2 servers, one event
/// each (raw: the item as a one-element JSON list). Only ip and port must be
/// valid; other invalid values are left out.
class FeodoTrackerParser final : public api::ParserBot {
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
    if (!line.is_dict()) throw putil::ParseError("AttributeError: the item is not an object");
    auto get = [&line](std::string_view key) {
      const Value* v = putil::find(line, key);
      return v != nullptr ? *v : Value();
    };
    Message ev = new_event(report);
    harm::AddOptions soft;
    soft.raise_failure = false;

    const Value first_seen = get("first_seen");
    const Value last_online = get("last_online");
    if (first_seen.truthy()) {
      add_time(ev, first_seen, false);
    } else if (last_online.truthy()) {
      add_time(ev, last_online, true);
    }
    ev.add("classification.type", Value::string("c2-server"));
    ev.add("source.ip", get("ip_address"));
    ev.add("source.port", get("port"));
    ev.add("source.asn", get("as_number"), soft);
    ev.add("source.as_name", get("as_name"), soft);
    ev.add("source.geolocation.cc", get("country"), soft);
    ev.add("source.reverse_dns", get("hostname"), soft);
    ev.add("malware.name", get("malware"), soft);
    ev.add("extra.last_online", last_online, soft);
    ev.add("status", get("status"), soft);
    ev.add("raw", Value::string(putil::recover_json(line)));
    events.push_back(std::move(ev));
  }

 private:
  /// first_seen "%Y-%m-%d %H:%M:%S" (UTC) or last_online "%Y-%m-%d" at
  /// midnight; a value not in that format is logged and left out.
  void add_time(Message& ev, const Value& v, bool midnight) const {
    try {
      const auto t = midnight ? harm::datetime::from_format_midnight(v, "%Y-%m-%d")
                              : harm::datetime::from_format(v, "%Y-%m-%d %H:%M:%S");
      harm::AddOptions soft;
      soft.raise_failure = false;
      ev.add("time.source", t ? Value::string(*t) : Value::string("None"), soft);
    } catch (const std::exception&) {
      log().warn("Failed to parse '{}' to DateTime.", harm::py::str(v));
    }
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.abusech.parser_feodotracker",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the abuse.ch Feodo Tracker JSON blocklist (C2 servers).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<FeodoTrackerParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
