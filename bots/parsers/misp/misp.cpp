// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.misp.parser: MISP event JSON → one event per attribute (bots.md §2.2 "Other P0 parsers").

#include <array>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

constexpr std::string_view kDropzoneTag = "ecsirt:information-content-security=\"dropzone\"";

/// eCSIRT taxonomy tags (MISP's default) → classification.type.
constexpr std::array<std::pair<std::string_view, std::string_view>, 20> kTaxonomy{{
    {"ecsirt:fraud=\"phishing\"", "phishing"},
    {"ecsirt:availability=\"ddos\"", "ddos"},
    {"ecsirt:abusive-content=\"spam\"", "spam"},
    {"ecsirt:information-gathering=\"scanner\"", "scanner"},
    {kDropzoneTag, "other"},
    {"ecsirt:malicious-code=\"malware\"", "infected-system"},
    {"ecsirt:malicious-code=\"botnet-drone\"", "infected-system"},
    {"ecsirt:malicious-code=\"ransomware\"", "infected-system"},
    {"ecsirt:malicious-code=\"malware-configuration\"", "malware-configuration"},
    {"ecsirt:malicious-code=\"c2server\"", "c2-server"},
    {"ecsirt:intrusion-attempts=\"exploit\"", "exploit"},
    {"ecsirt:intrusion-attempts=\"brute-force\"", "brute-force"},
    {"ecsirt:intrusion-attempts=\"ids-alert\"", "ids-alert"},
    {"ecsirt:intrusions=\"defacement\"", "unauthorised-information-modification"},
    {"ecsirt:intrusions=\"compromised\"", "system-compromise"},
    {"ecsirt:intrusions=\"backdoor\"", "system-compromise"},
    {"ecsirt:vulnerable=\"vulnerable-service\"", "vulnerable-system"},
    {"ecsirt:other=\"blacklist\"", "blacklist"},
    {"ecsirt:other=\"unknown\"", "undetermined"},
    {"ecsirt:test=\"test\"", "test"},
}};

constexpr std::array<std::string_view, 4> kCategories{"Payload delivery", "Artifacts dropped",
                                                      "Payload installation", "Network activity"};

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kTypes{{
    {"domain", "source.fqdn"},
    {"hostname", "source.fqdn"},
    {"md5", "malware.hash.md5"},
    {"sha1", "malware.hash.sha1"},
    {"ip-src", "source.ip"},
    {"ip-dst", "source.ip"},
    {"email-src", "source.account"},
    {"url", "source.url"},
}};

bool is_str(const Value* v, std::string_view s) {
  return v != nullptr && v->is_string() && v->as_string() == s;
}

/// Python float() of a JSON value (text or number); throws like Python.
double to_float(const Value& v) {
  if (v.is_int()) return static_cast<double>(v.as_int());
  if (v.is_float()) return v.as_float();
  if (v.is_string()) {
    std::string s(harm::uni::strip(v.as_string()));
    std::erase(s, '_');
    char* end = nullptr;
    errno = 0;
    const double d = s.empty() ? 0 : std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size() && errno == 0) return d;
  }
  throw putil::ParseError("ValueError: could not convert to float");
}

/// urllib.parse.urljoin(base, relative) for a relative path without a
/// leading slash, query or fragment (the only form used here).
std::string urljoin(std::string_view base, std::string_view relative) {
  harm::url::SplitResult parts = harm::url::split(base);
  if (parts.scheme.empty() && parts.netloc.empty() && parts.path.empty())
    return std::string(relative);
  const std::size_t slash = parts.path.rfind('/');
  parts.path = slash == std::string::npos ? std::string(relative)
                                          : parts.path.substr(0, slash + 1) + std::string(relative);
  if (!parts.netloc.empty() && !parts.path.starts_with('/')) parts.path.insert(0, "/");
  parts.query.clear();
  parts.fragment.clear();
  return harm::url::unsplit(parts);
}

/// MISP parser: one MISP event per report; each attribute (also those of
/// objects) of a supported category and type becomes one event. Processes
/// the whole report itself (default_fields are not applied).
class MispParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const Value misp = putil::json_loads(decode_raw(report));

    // classification from the first known eCSIRT tag
    Value classifier;
    Value identifier;
    if (const Value* tags = putil::find(misp, "Tag"); tags != nullptr && tags->truthy()) {
      if (!tags->is_list()) throw putil::ParseError("TypeError: Tag is not a list");
      for (const Value& tag : tags->as_list()) {
        const Value& name = putil::at(tag, "name");
        if (is_str(&name, "dropzone") || is_str(&name, kDropzoneTag))
          identifier = Value::string("dropzone");
        bool mapped = false;
        for (const auto& [from, to] : kTaxonomy) {
          if (is_str(&name, from)) {
            classifier = Value::string(to);
            mapped = true;
          }
        }
        if (mapped) break;
      }
    }

    std::vector<const Value*> attributes;
    auto collect = [&attributes](const Value& list) {
      if (!list.is_list()) throw putil::ParseError("TypeError: Attribute is not a list");
      for (const Value& a : list.as_list()) attributes.push_back(&a);
    };
    collect(putil::at(misp, "Attribute"));
    if (const Value* objects = putil::find(misp, "Object")) {
      if (!objects->is_list()) throw putil::ParseError("TypeError: Object is not a list");
      for (const Value& obj : objects->as_list()) collect(putil::at(obj, "Attribute"));
    }

    // the malware variant: the last "Payload type" attribute
    Value malware_variant;
    for (const Value* a : attributes) {
      if (is_str(&putil::at(*a, "category"), "Payload type")) {
        const Value& v = putil::at(*a, "value");
        if (!v.is_string()) throw putil::ParseError("AttributeError: value is not a string");
        malware_variant = Value::string(harm::uni::lower(v.as_string()));
      }
    }

    const Value* feed_url = report.find("feed.url");
    if (feed_url == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
    const std::string event_url =
        urljoin(feed_url->as_string(), "events/view/" + harm::py::str(putil::at(misp, "id")));

    for (const Value* a : attributes) {
      const Value& value = putil::at(*a, "value");
      const Value& uuid = putil::at(*a, "uuid");
      const Value& comment = putil::at(*a, "comment");
      const Value& timestamp = putil::at(*a, "timestamp");
      const Value& category = putil::at(*a, "category");
      const Value& type = putil::at(*a, "type");
      bool supported = false;
      for (std::string_view c : kCategories) supported |= is_str(&category, c);
      std::string_view field;
      for (const auto& [from, to] : kTypes)
        if (is_str(&type, from)) field = to;
      if (!supported || field.empty()) continue;

      Message ev = new_event(report);
      ev.add("raw", Value::string(putil::dumps_sorted(*a)));
      ev.add(field, value);
      ev.add("misp.event_uuid", putil::at(misp, "uuid"));
      ev.add("misp.attribute_uuid", uuid);
      ev.add("comment", comment);
      ev.add("event_description.text", category);
      ev.add("event_description.url", Value::string(event_url));
      harm::AddOptions soft;
      soft.raise_failure = false;
      ev.add("malware.name", malware_variant, soft);
      ev.add("classification.type", classifier);
      if (!identifier.is_null()) ev.add("classification.identifier", identifier);
      const auto time = harm::datetime::from_timestamp(Value::floating(to_float(timestamp)));
      if (!time) throw putil::ParseError("ValueError: bad attribute timestamp");
      ev.add("time.source", Value::string(*time));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.misp.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses a MISP event (JSON): one event per supported attribute.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<MispParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
