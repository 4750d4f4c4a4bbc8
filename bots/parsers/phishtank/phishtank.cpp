// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.phishtank.parser: PhishTank's online-valid JSON (bots.md "phishtank.parser").

#include <memory>
#include <string>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

harm::AddOptions soft() {
  harm::AddOptions o;
  o.raise_failure = false;
  return o;
}
const harm::AddOptions kSoft = soft();

/// dict.get(key): the member or null (nullptr-safe on non-objects is the caller's job).
Value get(const Value& obj, std::string_view key) {
  for (const auto& [k, v] : obj.as_dict())
    if (k == key) return v;
  return Value();
}

/// PhishTank parser: the report is one JSON list, each object one phishing URL.
/// Stateless (per-report data lives in ParseState).
class PhishTankParser final : public api::ParserBot {
 protected:
  void parse(const Message& report, ParseState&, std::vector<Element>& out) override {
    Value doc;
    if (!harm::py::json_loads(decode_raw(report), doc))
      throw std::runtime_error("JSONDecodeError: the report is not valid JSON");
    // Python iterates a list's items, an object's keys, a string's characters.
    if (doc.is_list()) {
      for (auto& v : doc.as_list()) {
        Element el;
        el.json = std::move(v);
        out.push_back(std::move(el));
      }
    } else if (doc.is_dict()) {
      for (auto& [k, v] : doc.as_dict()) {
        Element el;
        el.json = Value::string(k);
        out.push_back(std::move(el));
      }
    } else {
      throw std::runtime_error("TypeError: '" + std::string(harm::py::type_name(doc)) +
                               "' object is not iterable");
    }
  }

  void parse_line(const Element& el, const Message& report, ParseState&,
                  std::vector<Message>& events) override {
    const Value& line = el.json;
    if (!line.is_dict())
      throw std::runtime_error("AttributeError: '" + std::string(harm::py::type_name(line)) +
                               "' object has no attribute 'get'");
    Message ev = new_event(report);
    const Value submission = get(line, "submission_time");
    if (submission.truthy()) {
      if (!submission.is_string())
        throw std::runtime_error("TypeError: Parser must be a string or character stream, not " +
                                 std::string(harm::py::type_name(submission)));
      if (auto t = harm::datetime::parse(submission.as_string()))
        ev.add("time.source", Value::string(*t), kSoft);
      else
        log().warn("Could not parse submission_time value '{}'", submission.as_string());
    }
    ev.add("classification.type", Value::string("phishing"));
    ev.add("extra.phishtank.phish_id", get(line, "phish_id"), kSoft);
    ev.add("source.url", get(line, "url"));
    ev.add("event_description.url", get(line, "phish_detail_url"), kSoft);
    ev.add("event_description.target", get(line, "target"), kSoft);
    ev.add("status", Value::string("online"), kSoft);
    ev.add("extra.phishtank.verified", get(line, "verified"), kSoft);
    ev.add("extra.phishtank.verification_time", get(line, "verification_time"), kSoft);
    const Value details = get(line, "details");
    if (details.is_list() && !details.as_list().empty()) {
      const Value& d = details.as_list().front();
      if (!d.is_dict())
        throw std::runtime_error("AttributeError: '" + std::string(harm::py::type_name(d)) +
                                 "' object has no attribute 'get'");
      ev.add("source.ip", get(d, "ip_address"), kSoft);
      ev.add("source.network", get(d, "cidr_block"), kSoft);
      ev.add("source.asn", get(d, "announcing_network"), kSoft);
      ev.add("source.geolocation.cc", get(d, "country"), kSoft);
    }
    ev.add("raw", Value::string(recover_line(el, {})));
    events.push_back(std::move(ev));
  }

  /// json.dumps([obj]).
  std::string recover_line(const Element& el, const ParseState&) const override {
    std::string out = "[";
    harm::py::append_json(out, el.json);
    out.push_back(']');
    return out;
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.phishtank.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses PhishTank's online-valid JSON list (one phishing URL per object).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<PhishTankParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
