// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.n6.parser_n6stomp: CERT.pl n6 JSON messages (bots.md §2.2 "Other P0 parsers").

#include <array>
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

/// Classification of one n6 category. An empty identifier for `bots` means
/// "the n6 name, or malware-generic".
struct Category {
  std::string_view name;
  std::string_view taxonomy;
  std::string_view type;
  std::string_view identifier;
};

constexpr std::array<Category, 24> kCategories{{
    {"amplifier", "vulnerable", "vulnerable-system", "amplifier"},
    {"bots", "malicious-code", "infected-system", ""},
    {"backdoor", "intrusions", "system-compromise", "hacked server"},
    {"cnc", "malicious-code", "c2-server", "c&c server"},
    {"dns-query", "other", "other", "dns-query"},
    {"dos-attacker", "availability", "ddos", "dos-attacker"},
    {"dos-victim", "availability", "ddos", "dos-victim"},
    {"flow", "other", "other", "flow"},
    {"flow-anomaly", "other", "other", "flow-anomaly"},
    // reference quirk: "account numbers" is not a classification type, so
    // fraud messages fail with an invalid value (kept for compatibility)
    {"fraud", "fraud", "account numbers", "fraud"},
    {"leak", "information-content-security", "data-leak", "leak"},
    {"malurl", "malicious-code", "exploit", "malurl"},
    {"malware-action", "malicious-code", "malware-configuration", "malware-configuration"},
    {"phish", "fraud", "phishing", "phishing"},
    {"proxy", "other", "proxy", "openproxy"},
    {"sandbox-url", "malicious-code", "infected-system", "sandboxurl"},
    {"scanning", "information-gathering", "scanner", "scanning"},
    {"server-exploit", "malicious-code", "exploit", "server-exploit"},
    {"spam", "abusive-content", "spam", "spam"},
    {"spam-url", "abusive-content", "spam", "spam-url"},
    {"tor", "other", "tor", "tor exit node"},
    {"webinject", "malicious-code", "malware-distribution", "malware"},
    {"vulnerable", "vulnerable", "other", "vulnerable"},
    {"other", "other", "other", "other"},
}};

const Category* find_category(std::string_view name) {
  for (const Category& c : kCategories)
    if (c.name == name) return &c;
  return nullptr;
}

/// Keeps only printable ASCII (Python `re.sub("[^ -~]", "", s)`).
std::string printable_ascii(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c >= ' ' && c <= '~') out.push_back(c);
  return out;
}

harm::AddOptions overwrite_opts() {
  harm::AddOptions o;
  o.overwrite = true;
  return o;
}

/// n6 parser: the whole report is one n6 JSON object. One event per entry of
/// `address`, then (reference quirk) the address-less event as well.
/// Processes the whole report itself (default_fields are not applied).
class N6StompParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    if (text.find("TEST MESSAGE") != std::string::npos) {
      log().debug("Ignoring test message/event.");
      return;
    }
    Message event = new_event(report);
    const Value doc = putil::json_loads(text);
    if (!doc.is_dict()) throw putil::ParseError("TypeError: the n6 message is not an object");

    harm::AddOptions raw_opts;
    raw_opts.sanitize = false;
    event.add("raw", *report.find("raw"), raw_opts);
    auto copy = [&](std::string_view key, const char* field) {
      if (const Value* v = putil::find(doc, key)) event.add(field, *v);
    };
    copy("time", "time.source");
    copy("dip", "destination.ip");
    copy("dport", "destination.port");
    copy("md5", "malware.hash.md5");
    copy("sha1", "malware.hash.sha1");
    if (const Value* fqdn = putil::find(doc, "fqdn");
        fqdn != nullptr && !(fqdn->is_string() && fqdn->as_string() == "unknown"))
      event.add("source.fqdn", *fqdn);
    copy("id", "extra.feed_id");
    copy("adip", "extra.adip");
    copy("proto", "protocol.transport");
    copy("sport", "source.port");
    copy("url", "source.url");
    copy("confidence", "extra.confidence");
    if (const Value* expires = putil::find(doc, "expires"))
      event.add("extra.expires", harm::datetime::sanitize(*expires));
    copy("source", "extra.feed_source");

    Value bots_identifier = Value::string("malware-generic");
    if (const Value* name = putil::find(doc, "name")) {
      bots_identifier = *name;
      harm::AddOptions soft;
      soft.raise_failure = false;
      if (event.add("malware.name", *name, soft) == harm::AddResult::Rejected) {
        if (!name->is_string())
          throw putil::ParseError("TypeError: expected string or bytes-like object");
        event.add("malware.name", Value::string(printable_ascii(name->as_string())));
        event.add("event_description.text", *name);
      }
    }

    const Value& type = putil::at(doc, "type");
    if (type.is_string() && type.as_string() == "bl-update") {
      event.add("classification.taxonomy", Value::string("other"));
      event.add("classification.type", Value::string("blacklist"));
    } else if (const Value& category = putil::at(doc, "category"); !category.is_null()) {
      const Category* cat = category.is_string() ? find_category(category.as_string()) : nullptr;
      if (cat == nullptr)
        throw putil::ParseError("KeyError: unknown n6 category " + harm::py::repr(category));
      static const harm::AddOptions kOverwrite = overwrite_opts();
      event.add("classification.taxonomy", Value::string(cat->taxonomy), kOverwrite);
      event.add("classification.type", Value::string(cat->type), kOverwrite);
      event.add("classification.identifier",
                cat->identifier.empty() ? bots_identifier : Value::string(cat->identifier),
                kOverwrite);
    }

    // one event per address, then the address-less event (reference for/else quirk)
    if (const Value* addresses = putil::find(doc, "address")) {
      if (!addresses->is_list()) throw putil::ParseError("TypeError: address is not a list");
      for (const Value& addr : addresses->as_list()) {
        Message ev = event.copy();
        ev.add("source.ip", putil::at(addr, "ip"));
        if (const Value* v = putil::find(addr, "asn")) ev.add("source.asn", *v);
        if (const Value* v = putil::find(addr, "rdns")) ev.add("source.reverse_dns", *v);
        if (const Value* v = putil::find(addr, "cc")) ev.add("source.geolocation.cc", *v);
        out.send(std::move(ev));
      }
    }
    out.send(std::move(event));
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.n6.parser_n6stomp",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses CERT.pl n6 JSON messages (one event per address plus the "
                   "address-less event).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<N6StompParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
