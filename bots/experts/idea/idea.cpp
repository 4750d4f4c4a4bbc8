// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.idea.expert: converts an event into an IDEA0 object (CESNET's Intrusion
// Detection Extensible Alert format) stored as JSON in `output`.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>

#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;

/// classification.type → IDEA Category (the reference table, including its
/// entries for types that no longer exist).
const Value* category_of(std::string_view type) {
  static const std::pair<std::string_view, Value> kTable[] = {
      {"phishing", Value::string("Fraud.Phishing")},
      {"ddos", Value::string("Availability.DDoS")},
      {"spam", Value::string("Abusive.Spam")},
      {"scanner", Value::string("Recon.Scanning")},
      {"dropzone", Value::string("Information.UnauthorizedAccess")},
      {"infected-system", Value::string("Malware")},
      {"malware-configuration", Value::string("Malware")},
      {"ransomware", Value::string("Malware")},
      {"malware", Value::string("Malware")},
      {"c2-server", Value::string("Intrusion.Botnet")},
      {"exploit", Value::string("Attempt.Exploit")},
      {"brute-force", Value::string("Attempt.Login")},
      {"ids-alert", Value::string("Attempt.Exploit")},
      {"defacement", Value::string("Intrusion.AppCompromise")},
      {"compromised", Value::string("Intrusion.AdminCompromise")},
      {"backdoor", Value::string("Intrusion.AdminCompromise")},
      {"vulnerable-service", Value::string("Vulnerable.Open")},
      {"vulnerable-client", Value::string("Vulnerable.Config")},
      {"blacklist", Value::string("Other")},
      {"dga domain", Value::string("Anomaly.Behaviour")},
      {"proxy", Value::string("Vulnerable.Config")},
      {"data-leak", Value::string("Information")},
      {"tor", Value::string("Other")},
      {"other", Value::string("Other")},
      {"unknown", Value::string("Other")},
      {"test", Value::string("Test")},
      {"unauthorized-command", Value::string("Intrusion.AdminCompromise")},
      {"unauthorized-login", Value::string("Intrusion.AdminCompromise")},
      {"violence", Value::string("Abusive.Violence")},
      {"data-loss", Value::string("Information")},
      {"burglary", Value::string("Intrusion")},
      {"weak-crypto", Value::string("Vulnerable.Config")},
      {"unauthorised-information-access", Value::string("Information.UnauthorizedAccess")},
      {"privileged-account-compromise", Value::string("Intrusion.AdminCompromise")},
      {"potentially-unwanted-accessible", Value::string("Vulnerable.Open")},
      {"application-compromise", Value::string("Intrusion.AppCompromise")},
      {"unauthorized-use-of-resources", Value::string("Fraud.UnauthorizedUsage")},
      {"masquerade", Value::string("Fraud.Scam")},
      {"harmful-speech", Value::string("Abusive.Harassment")},
      {"unprivileged-account-compromise", Value::string("Intrusion.UserCompromise")},
      {"social-engineering", Value::string("Recon.SocialEngineering")},
      {"dos", Value::string("Availability.DoS")},
      {"information-disclosure", Value::string("Information.UnauthorizedAccess")},
      {"sniffing", Value::string("Recon.Sniffing")},
      {"vulnerable-system", Value::string("Vulnerable.Config")},
      {"unauthorised-information-modification",
       Value::string("Information.UnauthorizedModification")},
      {"sabotage", Value::string("Availability.Sabotage")},
      {"malware-distribution", Value::string("Malware")},
      {"outage", Value::string("Availability.Outage")},
      {"ddos-amplifier", Value::string("Intrusion.Botnet")},
      {"copyright", Value::string("Fraud.Copyright")},
      {"misconfiguration", Value::string("Availability.Outage")},
      {"undetermined", Value::string("Other")},
  };
  for (const auto& [t, c] : kTable)
    if (t == type) return &c;
  return nullptr;
}

/// classification.type → Source.Type (non-standard IDEA tags of the reference).
std::string_view source_type_of(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kTable[] = {
      {"phishing", "Phishing"},
      {"dropzone", "Dropzone"},
      {"malware-configuration", "MalwareConf"},
      {"c2-server", "CC"},
      {"dga domain", "DGA"},
      {"proxy", "Proxy"},
      {"tor", "Tor"},
      {"malware-distribution", "Malware"}};
  for (const auto& [t, s] : kTable)
    if (t == type) return s;
  return {};
}

/// urllib.parse.quote_plus of str(v): unreserved ASCII kept, space → '+',
/// other bytes of the UTF-8 form as %XX.
std::string quote_plus(const Value* v) {
  std::string s;
  if (v != nullptr && v->truthy()) s = v->is_string() ? v->as_string() : harm::py::str(*v);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

/// base64.b64decode (characters outside the alphabet skipped) decoded as
/// ISO-8859-1, i.e. every byte becomes the code point of the same value.
std::string base64_latin1(std::string_view b64) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  auto put = [&](unsigned char b) {
    if (b < 0x80) {
      out += static_cast<char>(b);
    } else {
      out += static_cast<char>(0xC0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3F));
    }
  };
  for (char ch : b64) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else if (ch == '=')
      break;
    else
      continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      put(static_cast<unsigned char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

/// A random (version 4) UUID in its canonical text form.
std::string uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 15; i >= 0; --i) {
    out += kHex[(hi >> (i * 4)) & 15];
    if (i == 8 || i == 4) out += '-';
  }
  out += '-';
  for (int i = 15; i >= 0; --i) {
    out += kHex[(lo >> (i * 4)) & 15];
    if (i == 12) out += '-';
  }
  return out;
}

/// Builds a dict/list skipping absent members and omitting empty containers,
/// as the reference's description walker does.
struct Builder {
  const Message& ev;

  const Value* field(std::string_view k) const { return ev.find(k); }

  static void put(Value::Dict& d, std::string_view key, Value v) {
    d.emplace_back(std::string(key), std::move(v));
  }
  static void put_list(Value::Dict& d, std::string_view key, Value::List l) {
    if (!l.empty()) d.emplace_back(std::string(key), Value::list(std::move(l)));
  }
  void push_field(Value::List& l, std::string_view k) const {
    if (const Value* v = field(k)) l.push_back(*v);
  }
  void put_field(Value::Dict& d, std::string_view key, std::string_view k) const {
    if (const Value* v = field(k)) put(d, key, *v);
  }
  void put_field_list(Value::Dict& d, std::string_view key, std::string_view k) const {
    Value::List l;
    push_field(l, k);
    put_list(d, key, std::move(l));
  }
  void push_prefixed(Value::List& l, std::string_view prefix, std::string_view k) const {
    if (const Value* v = field(k)) l.push_back(Value::string(std::string(prefix) + quote_plus(v)));
  }

  /// Source / Target object of one side; nullopt-like empty dict when nothing is known.
  Value::Dict side(std::string_view p, bool source) const {
    auto k = [&](std::string_view suffix) { return std::string(p) + std::string(suffix); };
    Value::Dict d;
    Value::List proto;
    push_field(proto, "protocol.transport");
    push_field(proto, "protocol.application");
    put_list(d, "Proto", std::move(proto));
    Value::List type;
    if (source) {
      if (const Value* t = field("classification.type"); t && t->is_string()) {
        std::string_view st = source_type_of(t->as_string());
        if (!st.empty()) type.push_back(Value::string(st));
      }
    }
    if (const Value* tor = field(k(".tor_node")))  // `tor_node and "Tor"`: false stays false
      type.push_back(tor->truthy() ? Value::string("Tor") : *tor);
    put_list(d, "Type", std::move(type));
    put_field_list(d, "Account", k(".account"));
    put_field_list(d, "ASN", k(".asn"));
    put_field_list(d, "Hostname", k(".fqdn"));
    auto ip = [&](std::string_view key4, std::string_view key6, std::string_view f) {
      const Value* v = field(f);
      if (v == nullptr || !v->is_string()) return;
      const bool v6 = v->as_string().find(':') != std::string::npos;
      put_list(d, v6 ? key6 : key4, Value::List{*v});
    };
    ip("IP4", "IP6", k(".ip"));
    put_field_list(d, "LocalHostname", k(".local_hostname"));
    ip("LocalIP4", "LocalIP6", k(".local_ip"));
    put_field_list(d, "Port", k(".port"));
    put_field_list(d, "PTR", k(".reverse_dns"));
    put_field_list(d, "URL", k(".url"));
    put_field(d, "Note", "status");
    return d;
  }
};

/// Adds `output` = the IDEA0 JSON of the event (sorted keys). Stateless
/// (the UUID generator is per thread): runs concurrently.
class IdeaExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    test_mode_ = params().get_bool("test_mode", false);
  }

  void process(Message& ev, api::Emitter& out) override {
    Builder b{ev};
    Value::Dict idea;
    Builder::put(idea, "Format", Value::string("IDEA0"));
    if (const Value* feed = b.field("feed.name")) {
      const Value* text = b.field("event_description.text");
      if (!text) text = b.field("comment");
      if (!text) text = b.field("classification.type");
      std::string desc = harm::py::str(*feed) + ": ";
      desc += text ? harm::py::str(*text) : std::string("undetermined");
      Builder::put(idea, "Description", Value::string(std::move(desc)));
    }
    Value::List category;
    {
      const Value* t = b.field("classification.type");
      const Value* c = category_of(t ? (t->is_string() ? std::string_view(t->as_string()) : "")
                                     : std::string_view("unknown"));
      if (c) category.push_back(*c);
      if (test_mode_) category.push_back(Value::string("Test"));
    }
    Builder::put_list(idea, "Category", std::move(category));
    b.put_field(idea, "DetectTime", "time.observation");
    b.put_field(idea, "EventTime", "time.source");
    Builder::put(idea, "ID", Value::string(uuid4()));
    if (const Value* h = b.field("event_hash"))
      Builder::put(idea, "RelID", Value::string("hash:" + quote_plus(h)));
    if (const Value* acc = b.field("feed.accuracy"); acc && (acc->is_number() || acc->is_bool())) {
      // min(1, max(0, accuracy / 100)): Python keeps the int operand on ties.
      const double x = acc->is_int()    ? static_cast<double>(acc->as_int())
                       : acc->is_bool() ? (acc->as_bool() ? 1.0 : 0.0)
                                        : acc->as_float();
      const double v = x / 100;
      Value conf = v <= 0 ? Value::integer(0) : v >= 1 ? Value::integer(1) : Value::floating(v);
      Builder::put(idea, "Confidence", std::move(conf));
    }
    b.put_field(idea, "Note", "comment");
    Value::List ref;
    b.push_prefixed(ref, "malid:", "classification.identifier");
    b.push_field(ref, "event_description.url");
    b.push_prefixed(ref, "intelmq_feed:", "feed.code");
    b.push_prefixed(ref, "misp_attr:", "misp.attribute_uuid");
    b.push_prefixed(ref, "misp_event:", "misp.event_uuid");
    b.push_prefixed(ref, "rtir:", "rtir_id");
    b.push_field(ref, "screenshot_url");
    Builder::put_list(idea, "Ref", std::move(ref));

    Value::List attach;
    {
      Value::Dict malware;
      Value::List hashes;
      b.push_prefixed(hashes, "md5:", "malware.hash.md5");
      b.push_prefixed(hashes, "sha1:", "malware.hash.sha1");
      Builder::put_list(malware, "Hash", std::move(hashes));
      if (const Value* name = b.field("malware.name"))
        Builder::put_list(malware, "Ref",
                          Value::List{Value::string("malware:" + quote_plus(name) + "-" +
                                                    quote_plus(b.field("malware.version")))});
      if (!malware.empty()) attach.push_back(Value::dict(std::move(malware)));
      Value::Dict orig;
      if (const Value* raw = b.field("raw"); raw && raw->is_string()) {
        Builder::put(orig, "Content", Value::string(base64_latin1(raw->as_string())));
        Builder::put_list(orig, "Type",
                          Value::List{raw->truthy() ? Value::string("OrigData") : *raw});
      }
      b.put_field_list(orig, "Ref", "feed.url");
      if (!orig.empty()) attach.push_back(Value::dict(std::move(orig)));
    }
    Builder::put_list(idea, "Attach", std::move(attach));
    for (const auto& [key, prefix, source] :
         {std::tuple<std::string_view, std::string_view, bool>{"Source", "source", true},
          std::tuple<std::string_view, std::string_view, bool>{"Target", "destination", false}}) {
      Value::Dict d = b.side(prefix, source);
      if (!d.empty()) Builder::put_list(idea, key, Value::List{Value::dict(std::move(d))});
    }
    ev.add("output", Value::dict(std::move(idea)));  // an existing output: KeyExists
    out.send(std::move(ev));
  }

 private:
  bool test_mode_ = false;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.idea.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Converts events to IDEA0 (Intrusion Detection Extensible Alert) objects, "
                   "stored as JSON in the `output` field.",
    .params = {api::ParamSpec{"test_mode", api::ParamType::Bool, "false", false,
                              "Also put the category 'Test' on every IDEA message."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<IdeaExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
