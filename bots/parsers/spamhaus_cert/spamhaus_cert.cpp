// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.spamhaus.parser_cert: Spamhaus CERT portal CSV (bots.md §2.2 "P1 parsers").

#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Classification of a bot name with a fixed mapping (empty = not set).
struct Fixed {
  std::string_view name;
  std::string_view type;
  std::string_view identifier;
  std::string_view application;
  std::string_view text;
};

constexpr Fixed kFixed[] = {
    {"openrelay", "vulnerable service", "openrelay", "smtp", ""},
    {"sshauth", "brute-force", "ssh", "ssh", ""},
    {"telnetauth", "brute-force", "telnet", "telnet", ""},
    {"smtpauth", "brute-force", "smtp", "smtp", ""},
    {"wpscanner", "scanner", "wordpress-vulnerabilities", "http",
     "scanning for wordpress vulnerabilities"},
    {"w_wplogin", "scanner", "wordpress-login", "http", "scanning for wordpress login pages"},
    {"pop", "brute-force", "pop", "pop", ""},
    {"imap", "brute-force", "imap", "imap", ""},
    {"smb", "scanner", "smb", "smb", ""},
    {"rdp", "scanner", "rdp", "rdp", ""},
    {"iotrdp", "scanner", "rdp", "rdp", ""},
    {"iotmicrosoftds", "scanner", "microsoftds", "microsoftds", ""},
    {"proxyget", "other", "proxyget", "", "The malicous client used a honeypot as proxy."},
    {"iotlogin", "unauthorized-login", "iot", "",
     "The infected iot device logged in to a honeypot."},
    {"iotcmd", "unauthorized-command", "iot", "",
     "The infected iot device logged in to a honeypot and issued malicous commands."},
    {"iotmirai", "infected system", "mirai", "", ""},
    {"ioturl", "c&c", "malware-generic", "", ""},
    {"automatedtest", "brute-force", "lookup-captcha", "",
     "The device automatically brute-forced the Spamhaus CBL lookup."},
    {"authspoofbadehlo", "brute-force", "authentication-spoof", "smtp",
     "The device spoofed SMTP authentication with a bad EHLO."},
    {"extortion", "spam", "extortion", "", ""},
    {"misc", "spam", "misc", "", ""},
};

/// Spamhaus CERT portal parser: `;` lines are header (kept in raw), data
/// lines are `ip, asn, cc, epoch, bot name, domain, dst ip, dst port, src
/// port, transport`; the bot name decides the classification.
class SpamhausCertParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& row = el.line;
    if (row.starts_with(';')) {
      st.tempdata.push_back(row);
      return;
    }
    std::vector<std::string_view> cols = putil::split(putil::strip(row), ',');
    for (auto& c : cols) c = putil::strip(c);
    auto col = [&cols](std::size_t i) -> std::string_view {
      if (i >= cols.size()) throw putil::ParseError("IndexError: list index out of range");
      return cols[i];
    };

    Message ev = new_event(report);
    const Value* url = ev.find("feed.url");
    if (url == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
    ev.change("feed.url", Value::string(url->as_string().substr(0, url->as_string().find("key="))));

    ev.add("source.ip", Value::string(col(0)));
    std::string asn(col(1));
    for (std::size_t p; (p = asn.find("AS")) != std::string::npos;) asn.erase(p, 2);
    if (asn != "?") ev.add("source.asn", Value::string(asn));
    ev.add("source.geolocation.cc", Value::string(col(2)));
    const auto epoch = putil::py_int(col(3));
    if (!epoch) throw putil::ParseError("ValueError: invalid literal for int()");
    const auto time = harm::datetime::from_timestamp(Value::integer(*epoch));
    ev.add("time.source", time ? Value::string(*time) : Value());

    harm::AddOptions soft;
    soft.raise_failure = false;
    std::string malware = harm::uni::lower(col(4));
    const Fixed* fixed = nullptr;
    for (const Fixed& f : kFixed)
      if (f.name == malware) fixed = &f;
    if (fixed != nullptr) {
      if (malware.starts_with("iot") && fixed->type == "scanner") malware.erase(0, 3);
      ev.add("classification.type", Value::string(fixed->type));
      ev.add("classification.identifier", Value::string(fixed->identifier));
      if (!fixed->application.empty())
        ev.add("protocol.application", Value::string(fixed->application));
      if (!fixed->text.empty()) ev.add("event_description.text", Value::string(fixed->text));
      if (malware == "iotmirai") ev.add("malware.name", Value::string("mirai"));
    } else if (malware == "iotscan" || malware == "iotuser") {
      ev.add("classification.type", Value::string("scanner"));
      ev.add("event_description.text",
             Value::string("The possibly infected IoT device scanned for other vulnerable IoT "
                           "devices."));
      if (col(7) == "23" || col(7) == "2323") {
        ev.add("protocol.application", Value::string("telnet"));
        ev.add("classification.identifier", Value::string("telnet"));
      } else {
        ev.add("classification.identifier", Value::string("scanner-generic"));
      }
    } else if (malware == "l_spamlink") {
      ev.add("classification.type", Value::string("spam"));
      ev.add("classification.identifier", Value::string("spamlink"));
      ev.add("event_description.text",
             Value::string("The URL appeared in a spam email sent by extra.spam_ip."));
      // source port column: ip:version:name
      const auto parts = putil::split(col(8), ':');
      if (parts.size() != 3) throw putil::ParseError("ValueError: not enough values to unpack");
      ev.add("malware.name", Value::string(parts[2]));
      ev.add("malware.version", Value::string(parts[1]));
      ev.add("source.url", Value::string(col(6)));
      ev.add("extra.spam_ip", Value::string(parts[0]));
    } else {
      if (malware == "auto") malware = "s_other";
      ev.add("malware.name", Value::string(malware));
      ev.add("classification.type", Value::string("infected system"));
      ev.add("source.url", Value::string(col(5)), soft);
    }

    // the domain column holds an IP or port for iotscan (broken according to the provider)
    if (!(malware == "iotscan" || col(5).find(':') != std::string_view::npos))
      ev.add("destination.fqdn", Value::string(col(5)), soft);
    ev.add("destination.ip", Value::string(col(6)), soft);
    ev.add("destination.port", Value::string(col(7)), soft);
    const std::string_view local_port = col(8);
    if (!local_port.empty() && local_port != "-" && local_port != "?" && malware != "l_spamlink") {
      const auto port = putil::py_int(local_port);
      if (!port) throw putil::ParseError("ValueError: invalid literal for int()");
      ev.add("extra.source.local_port", Value::integer(*port));
    }
    ev.add("protocol.transport", Value::string(col(9)), soft);
    ev.add("raw", Value::string(recover_line(el, st)));
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.spamhaus.parser_cert",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Spamhaus CERT portal CSV (infected and abusive hosts).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<SpamhausCertParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
