// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.cymru.parser_cap_program: Team Cymru CAP, old and new format (bots.md §2.2 "P1 parsers").

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;
using putil::ParseError;

/// New format: fields set per category.
struct Static {
  std::string_view category;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};

const std::vector<Static>& static_mapping() {
  static const std::vector<Static> kMapping = {
      {"bot", {{"classification.type", "infected-system"}}},
      {"bruteforce", {{"classification.type", "brute-force"}}},
      {"controller", {{"classification.type", "c2server"}}},
      {"darknet", {{"classification.type", "scanner"}, {"classification.identifier", "darknet"}}},
      {"phishing",
       {{"classification.type", "phishing"}, {"classification.identifier", "phishing"}}},
      {"proxy", {{"classification.type", "proxy"}, {"classification.identifier", "openproxy"}}},
      {"honeypot", {{"classification.type", "scanner"}}},
      {"openresolvers",
       {{"classification.type", "vulnerable service"},
        {"classification.identifier", "dns-open-resolver"},
        {"protocol.application", "dns"}}},
      {"openresolver",
       {{"classification.type", "vulnerable service"},
        {"classification.identifier", "dns-open-resolver"},
        {"protocol.application", "dns"}}},
      {"scanner", {{"classification.type", "scanner"}, {"classification.identifier", "scanner"}}},
      {"spam", {{"classification.type", "spam"}, {"classification.identifier", "spam"}}},
      {"conficker",
       {{"classification.type", "infected-system"},
        {"classification.identifier", "conficker"},
        {"malware.name", "conficker"}}},
  };
  return kMapping;
}

constexpr std::pair<std::string_view, std::string_view> kProtocols[] = {
    {"1", "icmp"}, {"6", "tcp"},  {"11", "nvp-ii"},
    {"17", "udp"}, {"47", "gre"}, {"59", "ipv6-nonxt"},
};

std::int64_t to_int(std::string_view s) {
  const auto v = putil::py_int(s);
  if (!v) throw ParseError("ValueError: invalid literal for int(): '" + std::string(s) + "'");
  return *v;
}

/// Python `' '.join(parts)`.
std::string join(const std::vector<std::string_view>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.append(sep);
    out.append(parts[i]);
  }
  return out;
}

/// Old-format `bots` comment: `[srcport N] [mwtype TYPE...] [destaddr IP [comment...]]`.
void parse_bot_old(const std::vector<std::string_view>& parts, Message& ev) {
  std::vector<std::pair<std::string, std::string>> results;  // insertion ordered
  std::string key;
  bool have_key = false;
  std::vector<std::string_view> value;
  std::vector<std::string_view> comment;
  auto flush = [&] {
    if (have_key && !key.empty() && !value.empty()) {
      const std::string joined = join(value, " ");
      bool replaced = false;
      for (auto& [k, v] : results)
        if (k == key) v = joined, replaced = true;
      if (!replaced) results.emplace_back(key, joined);
    }
  };
  for (std::size_t i = 0; i <= parts.size(); ++i) {
    const bool end = i == parts.size();
    const std::string_view part = end ? std::string_view() : parts[i];
    if (end || part == "srcport" || part == "mwtype" || part == "destaddr" || part == "dstaddr") {
      flush();
      key = std::string(part);
      have_key = !end;
      value.clear();
    } else if (have_key && key == "destaddr" && value.size() == 1) {
      comment.push_back(part);
    } else {
      value.push_back(part);
    }
  }
  for (const auto& [kind, v] : results) {
    if (kind == "srcport") {
      ev.add("extra.source_port", Value::integer(to_int(v)));
    } else if (kind == "mwtype") {
      const std::string lower = harm::uni::lower(v);
      ev.add("classification.identifier", Value::string(lower));
      ev.add("malware.name", Value::string(lower));
    } else {
      ev.add("destination.ip", Value::string(v));
    }
  }
  if (!comment.empty()) ev.add("event_description.text", Value::string(join(comment, " ")));
}

/// Team Cymru CAP parser. `#` lines are header (kept in raw); the header
/// decides the format: "generated on" → new (`category|ip|asn|time|notes|asninfo`),
/// "Data file written at" → old (`type|ip|asn|time|comment|asname`).
class CymruCapParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& line = el.line;
    if (line.starts_with('#')) {
      st.tempdata.push_back(line);
      return;
    }
    // the last header naming a format wins (IntelMQ switches on each header line)
    int format = 0;
    for (const std::string& h : st.tempdata) {
      if (h.find("generated on") != std::string::npos)
        format = 2;
      else if (h.find("Data file written at") != std::string::npos)
        format = 1;
    }
    if (format == 0) throw ParseError("NotImplementedError: unknown CAP file format (no header)");
    const auto fields = putil::split(line, '|');
    if (fields.size() != 6)
      throw ParseError("ValueError: expected 6 fields, got " + std::to_string(fields.size()));
    if (format == 1)
      parse_old(fields, line, report, st, events);
    else
      parse_new(fields, line, report, st, events);
  }

 private:
  void parse_old(const std::vector<std::string_view>& f, const std::string& line,
                 const Message& report, const ParseState& st, std::vector<Message>& events) const {
    const std::string_view type = f[0], comments = f[4];
    const auto split = putil::split(comments, ' ');
    auto part = [&split](std::size_t i) -> std::string_view {
      if (i >= split.size()) throw ParseError("IndexError: list index out of range");
      return split[i];
    };
    Message ev = new_event(report);
    ev.add("source.ip", Value::string(f[1]));
    if (f[2] != "0") ev.add("source.asn", Value::string(f[2]));
    ev.add("time.source", Value::string(std::string(f[3]) + " GMT"));
    ev.add("source.as_name", Value::string(f[5]));
    ev.add("raw", Value::string(join_raw(st, line)));
    auto add = [&ev](std::string_view k, std::string_view v) { ev.add(k, Value::string(v)); };
    static constexpr std::array<std::string_view, 8> kWorms{
        "blaster", "dameware", "dipnet", "mydoom", "nachi", "phatbot", "sinit", "slammer"};
    bool worm = false;
    for (std::string_view w : kWorms) worm |= type == w;
    if (type == "beagle") {
      add("classification.type", "malware");
      add("classification.identifier", "beagle");
      add("malware.name", "beagle");
      if (!comments.empty())
        throw ParseError("NotImplementedError: can't parse the comment of report 'beagle'");
    } else if (worm) {
      add("classification.type", "malware");
      add("classification.identifier", type);
      add("malware.name", type);
    } else if (type == "bots") {
      add("classification.type", "infected-system");
      parse_bot_old(split, ev);
    } else if (type == "bruteforce") {
      add("classification.type", "brute-force");
      add("classification.identifier", comments);
      add("protocol.application", comments);
    } else if (type == "ddosreport") {
      throw ParseError("NotImplementedError: report 'ddosreport' not implemented");
    } else if (type == "defacement") {
      add("classification.type", "compromised");
      add("classification.identifier", type);
      add("source.url", part(0));
      add("extra.zoneh.id", part(1));
    } else if (type == "fastflux") {
      add("classification.type", "compromised");
      add("classification.identifier", type);
      if (!comments.empty()) add("source.reverse_dns", comments);
    } else if (type == "malwareurl") {
      add("source.url", part(0));
      add("classification.type", "malware");
      add("classification.identifier", "malwareurl");
    } else if (type == "openresolvers") {
      add("classification.type", "vulnerable service");
      add("classification.identifier", "dns-open-resolver");
      add("protocol.application", "dns");
    } else if (type == "phishing") {
      add("classification.type", "phishing");
      add("classification.identifier", "phishing");
      add("source.url", comments);
    } else if (type == "proxy") {
      add("classification.type", "proxy");
      add("classification.identifier", "openproxy");
      add("extra.request", comments);
    } else if (type == "routers") {
      add("classification.type", "compromised");
      if (!comments.empty()) add("classification.identifier", comments);
    } else if (type == "scanners") {
      add("classification.type", "scanner");
      add("classification.identifier", "scanner");
      const auto port = putil::py_int(comments);
      if (!port)
        throw ParseError("NotImplementedError: format for multiple scanned ports is unknown");
      ev.add("source.port", Value::integer(*port));
    } else if (type == "spam") {
      add("classification.type", "spam");
      add("classification.identifier", "spam");
      if (!comments.empty())
        throw ParseError("NotImplementedError: can't parse the comment of report 'spam'");
    } else if (type == "spreaders") {
      add("source.url", part(0));
      // reference bug kept: len(comment_split == 2) raises TypeError
      throw ParseError("TypeError: object of type 'bool' has no len()");
    } else if (type == "stormworm") {
      if (!ev.contains("feed.accuracy")) ev.add("feed.accuracy", Value::integer(100));
      for (std::size_t i = 0; i < split.size(); ++i) {
        if (split[i].starts_with("confidence:")) {
          // reference: event['feed.accuracy'] *= ... sets an existing key
          throw ParseError("KeyExists: key 'feed.accuracy' already exists");
        } else if (split[i] == "legacy" || split[i] == "crypto") {
          add("malware.version", split[i]);
        } else if (split[i] == "srcport") {
          ev.add("extra.source_port", Value::integer(to_int(part(i + 1))));
          break;
        }
      }
    } else if (type == "toxbot") {
      add("classification.type", "infected-system");
      add("classification.identifier", type);
      add("malware.name", type);
      ev.add("extra.source_port", Value::integer(to_int(part(1))));
    } else {
      throw ParseError("ValueError: Unknown report '" + std::string(type) + "'.");
    }
    events.push_back(std::move(ev));
  }

  void parse_new(const std::vector<std::string_view>& f, const std::string& line,
                 const Message& report, const ParseState& st, std::vector<Message>& events) const {
    const std::string_view category = f[0];
    std::string notes(f[4]);
    // bogus notes 'hostname: sub.example.comport: 80' → 'hostname: sub.example.com; port: 80'
    if (const std::size_t h = notes.find("hostname: "); h != std::string::npos) {
      const std::size_t name_begin = h + 10;
      std::size_t i = name_begin;
      while (i < notes.size() && notes[i] != ':') ++i;
      // [^:]+ then "port: " then digits: the host ends where "port: " starts
      if (i > name_begin && i >= name_begin + 4 && notes.compare(i - 4, 4, "port") == 0 &&
          i - 4 > name_begin && notes.compare(i, 2, ": ") == 0) {
        std::size_t d = i + 2;
        while (d < notes.size() && notes[d] >= '0' && notes[d] <= '9') ++d;
        if (d > i + 2)
          notes = notes.substr(0, h) + "hostname: " + notes.substr(name_begin, i - 4 - name_begin) +
                  "; port: " + notes.substr(i + 2, d - i - 2) + notes.substr(d);
      }
    }
    std::vector<std::string_view> comments;
    for (std::string_view c : putil::split(notes, ';'))
      if (!c.empty()) comments.push_back(c);
    const auto asninfo = [&] {
      std::vector<std::string_view> out;
      std::string_view s = f[5];
      for (std::size_t p; (p = s.find(", ")) != std::string_view::npos; s.remove_prefix(p + 2))
        out.push_back(s.substr(0, p));
      out.push_back(s);
      return out;
    }();

    Message ev = new_event(report);
    ev.add("raw", Value::string(join_raw(st, line)));
    ev.add("source.ip", Value::string(f[1]));
    if (f[2] != "0") ev.add("source.asn", Value::string(f[2]));
    ev.add("time.source", Value::string(std::string(f[3]) + " GMT"));
    ev.add("source.as_name",
           Value::string(join({asninfo.begin(), asninfo.end() - 1}, ", ")));  // CC at the end
    ev.add("source.geolocation.cc", Value::string(asninfo.back()));
    const bool comment_mapped = category == "bruteforce" || category == "phishing";
    if (comment_mapped && !comments.empty()) {
      if (category == "bruteforce") {
        ev.add("classification.identifier", Value::string(comments[0]));
        ev.add("protocol.application", Value::string(comments[0]));
      } else {
        ev.add("source.url", Value::string(comments[0]));
      }
    }
    const Static* mapping = nullptr;
    for (const Static& s : static_mapping())
      if (s.category == category) mapping = &s;
    if (mapping == nullptr)
      throw ParseError("ValueError: Unknown category '" + std::string(category) + "'.");
    for (const auto& [k, v] : mapping->fields) ev.add(k, Value::string(v));

    std::vector<std::string> destination_ports;
    for (std::string_view c : comments) {
      if (comment_mapped) break;
      std::string comment(c);
      if (comment.find(": ") == std::string::npos) {
        if (category == "proxy") {
          comment = "proxy_type: " + comment;
        } else {
          if (category == "bot") {
            Message attempt = ev.copy();
            bool ok = true;
            try {
              parse_bot_old(putil::split(notes, ' '), attempt);
            } catch (const std::exception&) {
              ok = false;
            }
            ev = std::move(attempt);
            if (ok) break;
          }
          throw ParseError("ValueError: Unable to parse comment '" + comment + "' of category '" +
                           std::string(category) + "'.");
        }
      }
      const auto kv = [&comment] {
        std::vector<std::string_view> out;
        std::string_view s = comment;
        for (std::size_t p; (p = s.find(": ")) != std::string_view::npos; s.remove_prefix(p + 2))
          out.push_back(s.substr(0, p));
        out.push_back(s);
        return out;
      }();
      if (kv.size() != 2) throw ParseError("ValueError: too many values to unpack");
      const std::string_view key = putil::strip(kv[0]);
      const std::string_view value = putil::strip(kv[1]);
      if (key == "family") {
        const std::string lower = harm::uni::lower(value);
        ev.add("classification.identifier", Value::string(lower));
        ev.add("malware.name", Value::string(lower));
      } else if (key == "dest_addr" || key == "destaddr") {
        ev.add("destination.ip", Value::string(value));
      } else if (key == "dest_port" || key == "ports_scanned" || key == "honeypot_port" ||
                 key == "darknet_port" || key == "destination_port_numbers") {
        std::string_view ports = value;
        if (const std::size_t t = ports.rfind(" (total_count:");
            t != std::string_view::npos && ports.ends_with(')') &&
            ports.find_first_not_of("0123456789", t + 14) == ports.size() - 1 &&
            ports.size() - 1 > t + 14)
          ports = ports.substr(0, t);
        for (std::string_view p : putil::split(ports, ','))
          destination_ports.emplace_back(putil::strip(p));
      } else if (key == "protocol") {
        std::string_view transport;
        for (const auto& [num, name] : kProtocols)
          if (num == value) transport = name;
        if (!transport.empty()) {
          ev.add("protocol.transport", Value::string(transport));
        } else {
          const std::int64_t number = to_int(value);
          if (number < 143)
            throw ParseError("ValueError: Unknown protocol '" + std::string(value) + "'.");
          ev.add("extra.protocol.transport", Value::integer(number));  // unassigned/reserved
        }
      } else if (key == "hostname") {
        ev.add("source.fqdn", Value::string(value));
      } else if (key == "proxy_type") {
        if (value.find('-') != std::string_view::npos) {
          const auto pp = putil::split(value, '-');
          if (pp.size() != 2) throw ParseError("ValueError: too many values to unpack");
          ev.add("protocol.application", Value::string(pp[0]));
          ev.add("source.port", Value::string(pp[1]));
        } else {
          ev.add("protocol.application", Value::string(value));
        }
      } else if (key == "port" || key == "srcport") {
        ev.add("source.port", Value::string(value));
      } else if (key == "username") {
        ev.add("source.account", Value::string(value));
      } else if (key == "additional_asns") {
        Value::List asns{ev.getitem("source.asn")};
        for (std::string_view a : putil::split(value, ','))
          asns.push_back(Value::integer(to_int(a)));
        ev.add("extra.source.asns", Value::list(std::move(asns)));
      } else {
        throw ParseError("ValueError: Unknown key '" + std::string(key) +
                         "' in comment of category '" + std::string(category) + "'.");
      }
    }
    for (const std::string& port : destination_ports) {
      Message copy = ev.copy();
      copy.add("destination.port", Value::string(port));
      events.push_back(std::move(copy));
    }
    if (destination_ports.empty()) events.push_back(std::move(ev));
  }

  /// raw: the header lines seen so far and the line, joined by "\n".
  static std::string join_raw(const ParseState& st, const std::string& line) {
    std::string r;
    for (const std::string& t : st.tempdata) r.append(t).append("\n");
    return r + line;
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.cymru.parser_cap_program",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses Team Cymru CAP program reports (old and new format).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<CymruCapParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
