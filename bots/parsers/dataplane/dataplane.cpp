// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.dataplane.parser: dataplane.org pipe-separated lists (bots.md §2.2 "Other P0 parsers").

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Fixed classification of one dataplane report category.
struct Category {
  std::string_view name;
  std::string_view type;
  std::string_view application;
  std::string_view text;
};

constexpr std::array<Category, 13> kCategories{{
    {"dnsrd", "scanner", "dns",
     "Address has been seen performing a DNS recursion desired query to a remote host. "
     "The source report lists hosts that are suspicious of more than just port scanning. The "
     "host may be DNS server cataloging or searching for hosts to use for DNS-based DDoS "
     "amplification."},
    {"dnsrdany", "scanner", "dns",
     "Address has been seen performing a DNS recursion desired IN ANY query to a remote host. "
     "The source report lists hosts that are suspicious of more than just port scanning. The "
     "host may be DNS server cataloging or searching for hosts to use for DNS-based DDoS "
     "amplification."},
    {"dnsversion", "scanner", "dns",
     "Address has been seen initiating a DNS CH TXT version.bind operation to a remote host. "
     "The source report lists hosts that are suspicious of more than just port scanning. The "
     "host may be DNS server cataloging or searching for vulnerable DNS servers."},
    {"proto41", "proxy", "6to4",
     "Address has been detected to offer open IPv6 over IPv4 tunneling. This could allow for "
     "the host to be used a public proxy against IPv6 hosts."},
    {"sipquery", "brute-force", "sip",
     "Address has been seen initiating a SIP OPTIONS query to a remote host. The source report "
     "lists hosts that are suspicious of more than just port scanning. The host may be SIP "
     "server cataloging or conducting various forms of telephony abuse."},
    {"sipinvitation", "brute-force", "sip",
     "Address has been seen initiating a SIP INVITE operation to a remote host. The source "
     "report lists hosts that are suspicious of more than just port scanning. The host may be "
     "SIP client cataloging or conducting various forms of telephony abuse."},
    {"sipregistration", "brute-force", "sip",
     "Address has been seen initiating a SIP REGISTER operation to a remote host. The source "
     "report lists hosts that are suspicious of more than just port scanning. The host may be "
     "SIP client cataloging or conducting various forms of telephony abuse."},
    {"smtpdata", "scanner", "smtp",
     "Address has been seen initiating a SMTP DATA operation to a remote host. The source "
     "report lists hosts that are suspicious of more than just port scanning. The host may be "
     "SMTP server cataloging or conducting various forms of email abuse."},
    {"smtpgreet", "scanner", "smtp",
     "Address has been seen initiating a SMTP HELO/EHLO operation to a remote host. The source "
     "report lists hosts that are suspicious of more than just port scanning. The host may be "
     "SMTP server cataloging or conducting various forms of email abuse."},
    {"sshclient", "scanner", "ssh",
     "Address has been seen initiating an SSH connection to a remote host. The source report "
     "lists hosts that are suspicious of more than just port scanning. The host may be SSH "
     "server cataloging or conducting authentication attack attempts."},
    {"sshpwauth", "brute-force", "ssh",
     "Address has been seen attempting to remotely login to a host using SSH password "
     "authentication. The source report lists hosts that are highly suspicious and are likely "
     "conducting malicious SSH password authentication attacks."},
    {"telnetlogin", "brute-force", "telnet",
     "Address has been seen initiating a telnet connection to a remote host. The source report "
     "lists hosts that are suspicious of more than just port scanning. The host may be telnet "
     "server cataloging or conducting authentication attack attempts."},
    {"vncrfb", "scanner", "vnc",
     "Address has been seen initiating a VNC remote buffer session to a remote host. The "
     "source report lists hosts that are suspicious of more than just port scanning. The host "
     "may be VNC/RFB server cataloging or conducting authentication attack attempts."},
}};

const Category* find_category(std::string_view name) {
  for (const Category& c : kCategories)
    if (c.name == name) return &c;
  return nullptr;
}

/// "YYYY-MM-DD HH:MM:SS" → "YYYY-MM-DDTHH:MM:SS+00:00" (first space only).
std::string convert_datetime(std::string_view s) {
  std::string out(s);
  if (const auto sp = out.find(' '); sp != std::string::npos) out[sp] = 'T';
  out += "+00:00";
  return out;
}

/// dataplane.org parser: header/comment lines are kept, each data line is
/// `ASN | AS name | IP | [first seen |] last seen | category`.
class DataplaneParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& line = el.line;
    if (line.starts_with('#')) {
      st.tempdata.push_back(line);
      return;
    }
    const std::vector<std::string_view> parts = putil::split(line, '|');
    const std::string_view feed = putil::strip(parts.back());
    const bool proto41 = feed == "proto41";
    Message ev = new_event(report);
    if (parts.size() != (proto41 ? 6u : 5u)) {
      const Value url = report.get("feed.url");
      throw putil::ParseError("Incorrect format for feed " +
                              (url.is_string() ? url.as_string() : std::string("None")) +
                              ", found line: \"" + line + "\"");
    }
    const Category* cat = find_category(feed);
    if (cat == nullptr) throw putil::ParseError("Unknown data feed " + std::string(feed) + ".");
    ev.update({{"classification.type", Value::string(cat->type)},
               {"protocol.application", Value::string(cat->application)},
               {"event_description.text", Value::string(cat->text)}});

    const std::string_view asn = putil::strip(parts[0]);
    if (asn != "NA") ev.add("source.asn", Value::string(asn));
    const std::string_view as_name = putil::strip(parts[1]);
    if (as_name != "NA") {
      const auto tokens = putil::split_ws(as_name);
      if (tokens.empty()) throw putil::ParseError("IndexError: list index out of range");
      ev.add("source.as_name", Value::string(tokens.front()));
    }
    ev.add("source.ip", Value::string(putil::strip(parts[2])));
    std::size_t next = 3;
    if (proto41)
      ev.add("extra.first_seen", Value::string(convert_datetime(putil::strip(parts[next++]))));
    ev.add("time.source", Value::string(convert_datetime(putil::strip(parts[next]))));
    ev.add("raw", Value::string(line));
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.dataplane.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the dataplane.org pipe-separated reports (SSH, SIP, DNS, SMTP, "
                   "telnet, VNC, proto41).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<DataplaneParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
