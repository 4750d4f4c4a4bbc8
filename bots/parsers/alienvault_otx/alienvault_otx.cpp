// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.alienvault.parser_otx: AlienVault OTX pulses (bots.md §2.2 "Other P0 parsers").

#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/types.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

const std::string& text_of(const Value& v, std::string_view what) {
  if (!v.is_string())
    throw putil::ParseError("TypeError: " + std::string(what) + " is not a string");
  return v.as_string();
}

/// Python `s[:-4]`.
std::string cut4(const std::string& s) {
  return s.substr(0, s.size() >= 4 ? s.size() - 4 : 0);
}

/// AlienVault OTX parser: the report is a JSON list of pulses; every
/// indicator of a supported type becomes one event. A pulse that cannot be
/// mapped fails as a whole (its raw is the pulse as a one-element JSON list).
class AlienvaultOtxParser final : public api::ParserBot {
 protected:
  void parse(const Message& report, ParseState& /*st*/, std::vector<Element>& out) override {
    putil::split_json_document(decode_raw(report), out);
  }

  std::string recover_line(const Element& el, const ParseState& /*st*/) const override {
    return putil::recover_json(el.json);
  }

  void parse_line(const Element& el, const Message& report, ParseState& /*st*/,
                  std::vector<Message>& events) override {
    const Value& pulse = el.json;
    const Value& author = putil::at(pulse, "author_name");
    const Value& name = putil::at(pulse, "name");
    const Value& indicators = putil::at(pulse, "indicators");
    if (!indicators.is_list()) throw putil::ParseError("TypeError: indicators is not a list");

    for (const Value& indicator : indicators.as_list()) {
      Value::Dict extra{{"author", author}, {"pulse", name}};
      Message ev = new_event(report);
      const std::string& type = text_of(putil::at(indicator, "type"), "indicator type");
      const Value& ioc = putil::at(indicator, "indicator");
      if (type == "FileHash-SHA256" || type == "FileHash-SHA1" || type == "FileHash-MD5") {
        ev.add(type == "FileHash-SHA256" ? "malware.hash.sha256"
               : type == "FileHash-SHA1" ? "malware.hash.sha1"
                                         : "malware.hash.md5",
               ioc);
      } else if (type == "hostname" || type == "domain") {
        // some "domains" are URLs: a path makes it a URL
        const std::string& s = text_of(ioc, "indicator");
        const std::string resource = s.find("://") != std::string::npos ? s : "http://" + s;
        if (!harm::url::split(resource).path.empty())
          ev.add("source.url", Value::string(resource));
        else
          ev.add("source.fqdn", ioc);
      } else if (type == "IPv4" || type == "IPv6") {
        ev.add("source.ip", ioc);
      } else if (type == "email") {
        ev.add("source.account", ioc);
      } else if (type == "URL" || type == "URI") {
        const std::string& s = text_of(ioc, "indicator");
        const std::string resource = s.find("://") != std::string::npos ? s : "http://" + s;
        harm::AddOptions soft;
        soft.raise_failure = false;
        if (ev.add("source.url", Value::string(resource), soft) != harm::AddResult::Added) {
          if (type == "URI")
            ev.add("source.urlpath", ioc);
          else
            throw putil::ParseError("Invalid value '" + s + "' for URL hamonization type.");
        }
      } else if (type == "CIDR") {
        ev.add("source.network", ioc);
      } else if (type == "CVE") {
        extra.emplace_back("cve", ioc);
      } else {
        continue;  // FilePath, Mutex, ... are not mapped
      }

      // the indicator's pulse key if it has one, else the pulse id
      if (const Value* key = putil::find(indicator, "pulse_key"))
        extra.emplace_back("pulse_key", *key);
      else
        extra.emplace_back("pulse_key", putil::at(pulse, "id"));
      if (const Value* tags = putil::find(pulse, "tags")) extra.emplace_back("tags", *tags);
      if (const Value* modified = putil::find(pulse, "modified")) {
        const std::string& m = text_of(*modified, "modified");
        extra.emplace_back(
            "time_updated",
            Value::string(m.find('.') != std::string::npos ? cut4(m) + "+00:00" : m + ".00+00:00"));
      }
      if (const Value* v = putil::find(pulse, "industries")) extra.emplace_back("industries", *v);
      if (const Value* v = putil::find(pulse, "adversary")) extra.emplace_back("adversary", *v);
      if (const Value* v = putil::find(pulse, "targeted_countries"); v != nullptr && v->truthy())
        extra.emplace_back("targeted_countries", *v);
      if (const Value* tlp = putil::find(pulse, "TLP")) ev.add("tlp", *tlp);

      ev.add("comment", putil::at(pulse, "description"));
      ev.add("extra", Value::dict(std::move(extra)));
      ev.add("classification.type", Value::string("blacklist"));
      ev.add("time.source",
             Value::string(cut4(text_of(putil::at(indicator, "created"), "created")) + "+00:00"));
      ev.add("raw", Value::string(putil::dumps_sorted(indicator)));
      events.push_back(std::move(ev));
    }
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.alienvault.parser_otx",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses AlienVault OTX pulses: one event per supported indicator.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<AlienvaultOtxParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
