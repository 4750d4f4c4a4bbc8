// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.microsoft.parser_ctip: Microsoft CTIP, Interflow JSON list or Azure JSON lines
// (bots.md §2.2 "Other P0 parsers").

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Interflow key → event field.
constexpr std::pair<std::string_view, std::string_view> kInterflow[] = {
    {"additionalmetadata", "extra.additionalmetadata"},
    {"description", "event_description.text"},
    {"externalid", "malware.name"},
    {"tlplevel", "tlp"},
    {"firstreporteddatetime", "time.source"},
    {"networksourceipv4", "source.ip"},
    {"networksourceport", "source.port"},
    {"networkdestinationipv4", "destination.ip"},
    {"networkdestinationport", "destination.port"},
    {"isproductlicensed", "extra.isproductlicensed"},
    {"ispartnershareable", "extra.ispartnershareable"},
    {"networksourceasn", "source.asn"},
    {"hostname", "destination.fqdn"},
    {"useragent", "extra.user_agent"},
    {"severity", "extra.severity"},
    {"tags", "extra.tags"},
};

constexpr std::string_view kIgnore = "__IGNORE__";

/// Azure key (nested objects flattened to `Parent.child`) → event field.
constexpr std::pair<std::string_view, std::string_view> kAzure[] = {
    {"DataFeed", "feed.name"},
    {"SourcedFrom", "event_description.text"},
    {"DateTimeReceivedUtc", "time.source"},
    {"DateTimeReceivedUtcTxt", kIgnore},
    {"Malware", "extra.malware"},
    {"ThreatCode", "malware.name"},
    {"ThreatConfidence", "feed.accuracy"},
    {"TotalEncounters", "extra.total_encounters"},
    {"TLP", "tlp"},
    {"SourceIp", "source.ip"},
    {"SourcePort", "source.port"},
    {"DestinationIp", "destination.ip"},
    {"DestinationPort", "destination.port"},
    {"TargetIp", kIgnore},
    {"TargetPort", kIgnore},
    {"Signatures.Sha256", "extra.signatures.sha256"},
    {"SourceIpInfo.SourceIpAsnNumber", "source.asn"},
    {"SourceIpInfo.SourceIpAsnOrgName", "source.as_name"},
    {"SourceIpInfo.SourceIpCountryCode", "source.geolocation.cc"},
    {"SourceIpInfo.SourceIpRegion", "source.geolocation.region"},
    {"SourceIpInfo.SourceIpCity", "source.geolocation.city"},
    {"SourceIpInfo.SourceIpPostalCode", "extra.source.geolocation.postal_code"},
    {"SourceIpInfo.SourceIpLatitude", "source.geolocation.latitude"},
    {"SourceIpInfo.SourceIpLongitude", "source.geolocation.longitude"},
    {"SourceIpInfo.SourceIpMetroCode", "extra.source.geolocation.metro_code"},
    {"SourceIpInfo.SourceIpAreaCode", "extra.source.geolocation.area_code"},
    {"SourceIpInfo.SourceIpConnectionType", "extra.source.connection_type"},
    {"SourceIpInfo.SourceIpv4Int", kIgnore},
    {"DestinationIpInfo.DestinationIpAsnNumber", "destination.asn"},
    {"DestinationIpInfo.DestinationIpAsnOrgName", "destination.as_name"},
    {"DestinationIpInfo.DestinationIpCountryCode", "destination.geolocation.cc"},
    {"DestinationIpInfo.DestinationIpRegion", "destination.geolocation.region"},
    {"DestinationIpInfo.DestinationIpCity", "destination.geolocation.city"},
    {"DestinationIpInfo.DestinationIpPostalCode", "extra.destination.geolocation.postal_code"},
    {"DestinationIpInfo.DestinationIpLatitude", "destination.geolocation.latitude"},
    {"DestinationIpInfo.DestinationIpLongitude", "destination.geolocation.longitude"},
    {"DestinationIpInfo.DestinationIpMetroCode", "extra.destination.geolocation.metro_code"},
    {"DestinationIpInfo.DestinationIpAreaCode", "extra.destination.geolocation.area_code"},
    {"DestinationIpInfo.DestinationIpConnectionType", "extra.destination.connection_type"},
    {"DestinationIpInfo.DestinationIpv4Int", kIgnore},
    {"HttpInfo.HttpHost", "extra.http.host"},
    {"HttpInfo.HttpRequest", "extra.http.request"},
    {"HttpInfo.HttpMethod", "extra.http.method"},
    {"HttpInfo.HttpReferrer", "extra.http.referrer"},
    {"HttpInfo.HttpUserAgent", "extra.user_agent"},
    {"HttpInfo.HttpVersion", "extra.http.version"},
    {"CustomInfo.CustomField1", "extra.custom_field1"},
    {"CustomInfo.CustomField2", "extra.custom_field2"},
    {"CustomInfo.CustomField3", "extra.custom_field3"},
    {"CustomInfo.CustomField4", "extra.custom_field4"},
    {"CustomInfo.CustomField5", "extra.custom_field5"},
    {"Payload", "extra.payload.text"},
    {"Payload.ts", "extra.payload.timestamp"},
    {"Payload.ip", "extra.payload.ip"},
    {"Payload.port", "extra.payload.port"},
    {"Payload.serverIp", "extra.payload.server.ip"},
    {"Payload.serverPort", "extra.payload.server.port"},
    {"Payload.domain", "destination.fqdn"},
    {"Payload.family", "extra.payload.family"},
    {"Payload.malware", "extra.payload.malware"},
    {"Payload.response", "extra.payload.response"},
    {"Payload.handler", "extra.payload.handler"},
    {"Payload.type", "protocol.application"},
    {"Payload.Time", "extra.payload.time"},
    {"Payload.SourceIP", "extra.payload.source.ip"},
    {"Payload.DestIP", "extra.payload.destination.ip"},
    {"Payload.RemotePort", "extra.payload.remote.port"},
    {"Payload.RemoteHost", "extra.payload.remote.host"},
    {"Payload.ServerPort", "extra.payload.server.port"},
    {"Payload.BCode", "extra.payload.b_code"},
    {"Payload.Protocol", "extra.payload.protocol"},
    {"Payload.Length", "extra.payload.length"},
    {"Payload.URI", "destination.urlpath"},
    {"Payload.Referer", "extra.http_referer"},
    {"Payload.UserAgent", "extra.user_agent"},
    {"Payload.RequestMethod", "extra.http.method"},
    {"Payload.HTTPHost", "extra.http.host"},
    {"Payload.Custom1", "extra.payload.custom_field1"},
    {"Payload.Custom2", "extra.payload.custom_field2"},
    {"Payload.Custom3", "extra.payload.custom_field3"},
    {"Payload.Custom4", "extra.payload.custom_field4"},
    {"Payload.Custom5", "extra.payload.custom_field5"},
    {"Payload.source_ip", "extra.payload.source.ip"},
    {"Payload.source_port", "extra.payload.source.port"},
};

/// Payload keys renamed beyond the table above (the rest keep their name).
constexpr std::pair<std::string_view, std::string_view> kPayloadRenames[] = {
    {"Payload.destination_ip", "extra.payload.destination.ip"},
    {"Payload.destination_port", "extra.payload.destination.port"},
};

/// ThreatConfidence → accuracy in percent.
constexpr std::pair<std::string_view, int> kConfidence[] = {
    {"High", 100}, {"Medium", 50}, {"Low", 20}, {"Informational", 10}};

/// The field of an Azure key; empty if the key is unknown.
std::string azure_field(std::string_view key) {
  for (const auto& [k, f] : kAzure)
    if (k == key) return std::string(f);
  for (const auto& [k, f] : kPayloadRenames)
    if (k == key) return std::string(f);
  if (key.starts_with("Payload.")) return "extra.payload." + std::string(key.substr(8));
  return {};
}

bool is_str(const Value& v, std::string_view s) {
  return v.is_string() && v.as_string() == s;
}

/// Python's binascii.a2b_base64 (non-strict): foreign characters are skipped,
/// padding must be complete. Throws on bad padding.
std::string b64decode_strict_padding(std::string_view in) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t quad = 0;  // data characters in the current quantum
  std::size_t pads = 0;
  bool done = false;
  for (char c : in) {
    if (done) break;
    if (c == '=') {
      if (quad >= 2 && ++pads + quad >= 4) done = true;
      continue;
    }
    const std::size_t d = kAlphabet.find(c);
    if (d == std::string_view::npos) continue;
    pads = 0;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    quad = (quad + 1) % 4;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (!done && quad == 1)
    throw putil::ParseError(
        "binascii.Error: Invalid base64-encoded string: number of data characters cannot be 1 "
        "more than a multiple of 4");
  if (!done && quad != 0) throw putil::ParseError("binascii.Error: Incorrect padding");
  return harm::uni::valid_utf8(out) ? out : harm::uni::decode_utf8_ignore(out);
}

/// Microsoft CTIP parser. A report starting with `[` is an Interflow JSON
/// list (raw: the item as a one-element JSON list), one starting with `{`
/// holds Azure JSON lines (raw: the line).
class MicrosoftCtipParser final : public api::ParserBot {
 public:
  void init(api::BotContext& ctx) override {
    ParserBot::init(ctx);
    overwrite_ = ctx.params.get_bool("overwrite", true);
  }

 protected:
  void parse(const Message& report, ParseState& /*st*/, std::vector<Element>& out) override {
    const std::string text = decode_raw(report);
    if (text.starts_with('['))
      putil::split_json_document(text, out);
    else if (text.starts_with('{'))
      putil::split_json_stream(text, out);
    else
      throw putil::ParseError(
          "Can't parse the received message. It is neither a JSON list nor a JSON dictionary.");
  }

  std::string recover_line(const Element& el, const ParseState& /*st*/) const override {
    return el.line.empty() ? putil::recover_json(el.json) : el.line;
  }

  void parse_line(const Element& el, const Message& report, ParseState& /*st*/,
                  std::vector<Message>& events) override {
    if (!el.json.is_dict()) throw putil::ParseError("AttributeError: the item is not an object");
    const Value* version = putil::find(el.json, "version");
    const bool interflow = version != nullptr && (version->is_float() || version->is_int()) &&
                           (version->is_float() ? version->as_float() : version->as_int()) == 1.5;
    events.push_back(interflow ? parse_interflow(el, report) : parse_azure(el, report));
  }

 private:
  Message parse_interflow(const Element& el, const Message& report) const {
    const Value& line = el.json;
    const std::string raw = putil::recover_json(line);
    if (!is_str(putil::at(line, "indicatorthreattype"), "Botnet"))
      throw putil::ParseError("Unknown indicatorthreattype " +
                              harm::py::repr(putil::at(line, "indicatorthreattype")) +
                              ", only Botnet is supported.");
    Message ev = new_event(report);
    for (const auto& [key, v] : line.as_dict()) {
      if (key == "version" || key == "indicatorthreattype" || key == "confidence" ||
          key == "indicatorexpirationdatetime")
        continue;
      Value value = v;
      if (key == "additionalmetadata" && value.is_list()) {
        const auto& l = value.as_list();
        if (l.empty() ||
            (l.size() == 1 && (l[0].is_null() || is_str(l[0], "") || is_str(l[0], "null"))))
          continue;  // no metadata
      }
      if (key == "firstreporteddatetime") {
        if (!value.is_string()) throw putil::ParseError("TypeError: can only concatenate str");
        value = Value::string(value.as_string() + " UTC");
      }
      if (key == "hostname") {
        if (value == putil::at(line, "networkdestinationipv4")) continue;  // an IP, not a name
        if (!ev.is_valid("source.fqdn", value)) continue;  // may contain very weird characters
      }
      if (key == "networkdestinationipv4" && value.is_string()) {
        if (value.as_string() == "0.0.0.0") continue;
        // "192.88.99.209, 192.88.99.209": the addresses are always the same
        if (const auto comma = value.as_string().find(','); comma != std::string::npos)
          value = Value::string(value.as_string().substr(0, comma));
      }
      std::string_view field;
      for (const auto& [k, f] : kInterflow)
        if (k == key) field = f;
      if (field.empty()) throw putil::ParseError("KeyError: '" + key + "'");
      ev.add(field, std::move(value));
    }
    const Value& confidence = putil::at(line, "confidence");
    if (!confidence.is_int() && !confidence.is_float())
      throw putil::ParseError("TypeError: confidence is not a number");
    harm::AddOptions overwrite;
    overwrite.overwrite = true;
    ev.add("feed.accuracy", Value::floating(accuracy(ev) * number(confidence) / 100), overwrite);
    ev.add("classification.type", Value::string("infected-system"));
    ev.add("raw", Value::string(raw));
    return ev;
  }

  Message parse_azure(const Element& el, const Message& report) const {
    Message ev = new_event(report);
    harm::AddOptions opts;
    opts.overwrite = overwrite_;
    harm::AddOptions always;
    always.overwrite = true;

    // Flatten: scalars keep their place, objects are appended as Parent.child
    // (Python appends the new keys and deletes the parent).
    std::vector<std::pair<std::string, Value>> items;
    std::vector<std::pair<std::string, Value>> appended;
    for (const auto& [key, v] : el.json.as_dict()) {
      Value value = v;
      if (key == "Payload") {
        if (is_str(value, "AA==")) continue;  // NULL
        if (value.is_string()) {
          Value parsed;
          if (harm::py::json_loads(value.as_string(), parsed) && parsed.is_dict()) {
            // plain JSON text: its members go to extra.payload.<key>
            for (auto& [k, sub] : parsed.as_dict())
              if (sub.truthy()) ev.add("extra.payload." + k, sub, opts);
            continue;
          }
          const std::string decoded = b64decode_strict_padding(value.as_string());
          if (harm::py::json_loads(decoded, parsed)) {
            if (parsed.is_dict()) value = std::move(parsed);
          } else {
            value = Value::string(decoded);
          }
        }
      }
      if (value.is_dict()) {
        for (auto& [k, sub] : value.as_dict()) appended.emplace_back(key + "." + k, sub);
      } else {
        items.emplace_back(key, std::move(value));
      }
    }
    for (auto& a : appended) items.push_back(std::move(a));

    Value server_ip;  // copied: the items are consumed below
    for (const auto& [k, v] : items)
      if (k == "Payload.serverIp") server_ip = v;

    for (auto& [key, v] : items) {
      Value value = std::move(v);
      const std::string field = azure_field(key);
      if (field.empty()) throw putil::ParseError("KeyError: '" + key + "'");
      if (key == "ThreatConfidence") {
        if (is_str(value, "None")) continue;
        int percent = -1;
        for (const auto& [name, p] : kConfidence)
          if (is_str(value, name)) percent = p;
        if (percent < 0) throw putil::ParseError("KeyError: " + harm::py::repr(value));
        ev.add("feed.accuracy", Value::floating(accuracy(ev) * percent / 100), always);
        continue;
      }
      if (key == "DateTimeReceivedUtc") {
        const auto t = harm::datetime::from_windows_nt(value);
        value = t ? Value::string(*t) : Value();
      } else if (key == "Payload.ts") {
        const auto t = harm::datetime::from_timestamp(value);
        value = t ? Value::string(*t) : Value();
      } else if (key == "Payload.Protocol") {
        if (!value.is_string()) throw putil::ParseError("TypeError: Protocol is not a string");
        // "HTTP/1.1" → HTTP (Python value[:value.find('/')], so no '/' drops the last character)
        const std::string& s = value.as_string();
        const std::size_t slash = s.find('/');
        ev.add("protocol.application",
               Value::string(s.substr(
                   0, slash == std::string::npos ? (s.empty() ? 0 : s.size() - 1) : slash)),
               always);
      } else if (!value.truthy()) {
        continue;
      } else if (key == "TLP" && value.is_string() &&
                 harm::uni::lower(value.as_string()) == "unknown") {
        continue;
      } else if (key == "Payload.domain") {
        if (!ev.is_valid("destination.fqdn", value) && value == server_ip)
          continue;  // the sinkhole's own address, not a domain
      }
      if (field == kIgnore) continue;
      ev.add(field, std::move(value), opts);
    }
    ev.add("classification.type", Value::string("infected-system"));
    ev.add("raw", Value::string(el.line));
    return ev;
  }

  static double number(const Value& v) {
    return v.is_float() ? v.as_float() : static_cast<double>(v.as_int());
  }
  static double accuracy(const Message& ev) {
    const Value* a = ev.find("feed.accuracy");
    if (a == nullptr) return 100;
    if (a->is_bool()) return a->as_bool() ? 1 : 0;
    return number(*a);
  }

  bool overwrite_ = true;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.microsoft.parser_ctip",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses Microsoft CTIP data: Interflow JSON lists and Azure JSON lines.",
    .params =
        {
            {"overwrite", api::ParamType::Bool, "true", false,
             "Azure format: mapped values replace fields already set (e.g. feed.name from "
             "DataFeed). feed.accuracy and the protocol from Payload.Protocol are always "
             "replaced."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<MicrosoftCtipParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
