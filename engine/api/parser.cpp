// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/api/parser.hpp"

#include <array>

#include "harmonization/unicode.hpp"

namespace intelflow::api {

const ParamSpec kParserParams[2] = {
    {"default_fields", ParamType::Dict, "{}", false,
     "Fields added to every event (without overwriting what the parser set)."},
    {"copy_collector_provided_fields", ParamType::StringList, "[]", false,
     "Report fields copied into every event, e.g. extra.file_name."},
};

void ParserBot::init(BotContext& ctx) {
  Bot::init(ctx);
  if (const Value* df = ctx.params.find("default_fields"); df != nullptr && df->is_dict()) {
    Message dummy(harm::MessageKind::Event, ctx.harmonization);
    for (const auto& [k, v] : df->as_dict()) {
      try {
        dummy.add(k, v, {.sanitize = true, .overwrite = true});
      } catch (const harm::HarmonizationError& e) {
        if (e.kind() == harm::ErrorKind::InvalidKey)
          throw ConfigError("default_fields", "invalid key '" + k + "' in default_fields");
        throw ConfigError("default_fields", "invalid value of key '" + k + "' in default_fields");
      }
      default_fields_.emplace_back(k, v);
    }
  }
  copy_collector_provided_fields_ = ctx.params.get_string_list("copy_collector_provided_fields");
}

Message ParserBot::new_event(const Message& report) const {
  return Message::event_from_report(report, copy_collector_provided_fields_);
}

void ParserBot::apply_default_fields(Message& ev) const {
  for (const auto& [k, v] : default_fields_) ev.add(k, v, {.sanitize = true, .overwrite = false});
}

std::string ParserBot::decode_raw(const Message& report) {
  const Value* raw = report.find("raw");
  if (raw == nullptr || !raw->is_string()) return {};
  return decode_base64_text(raw->as_string());
}

std::string ParserBot::decode_base64_text(std::string_view in) {
  static constexpr auto kMap = [] {
    std::array<signed char, 256> m{};
    m.fill(-1);
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < kAlphabet.size(); ++i)
      m[static_cast<unsigned char>(kAlphabet[i])] = static_cast<signed char>(i);
    return m;
  }();
  const auto* u = reinterpret_cast<const unsigned char*>(in.data());
  const std::size_t n = in.size();
  std::string bytes(n / 4 * 3 + 3, '\0');  // room for every 6 bits of input
  char* o = bytes.data();
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t i = 0;
  while (i < n) {
    // Four alphabet characters at a byte boundary: three bytes at once.
    while (bits == 0 && i + 4 <= n) {
      const int a = kMap[u[i]], b = kMap[u[i + 1]], c = kMap[u[i + 2]], d = kMap[u[i + 3]];
      if ((a | b | c | d) < 0) break;
      const auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
      o[0] = static_cast<char>(v >> 16);
      o[1] = static_cast<char>((v >> 8) & 0xFF);
      o[2] = static_cast<char>(v & 0xFF);
      o += 3;
      i += 4;
    }
    if (i >= n) break;
    // One character: '=', whitespace and foreign characters are skipped.
    const int d = kMap[u[i++]];
    if (d < 0) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *o++ = static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  bytes.resize(static_cast<std::size_t>(o - bytes.data()));
  if (harm::uni::valid_utf8(bytes)) return bytes;
  return harm::uni::decode_utf8_ignore(bytes);
}

std::vector<std::string_view> ParserBot::splitlines(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0, i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    std::size_t brk = 0;  // length of the line break at i
    if (c == '\n' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e) {
      brk = 1;
    } else if (c == '\r') {
      brk = (i + 1 < n && text[i + 1] == '\n') ? 2 : 1;
    } else if (c == 0xC2 && i + 1 < n && static_cast<unsigned char>(text[i + 1]) == 0x85) {
      brk = 2;
    } else if (c == 0xE2 && i + 2 < n && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      brk = 3;
    }
    if (brk != 0) {
      out.push_back(text.substr(start, i - start));
      i += brk;
      start = i;
    } else {
      ++i;
    }
  }
  if (start < n) out.push_back(text.substr(start));
  return out;
}

void ParserBot::parse(const Message& report, ParseState& /*st*/, std::vector<Element>& out) {
  std::string text = decode_raw(report);
  for (std::string_view line : splitlines(text)) {
    std::string_view s = harm::uni::strip(line);
    bool skip = false;
    for (const auto& p : ignore_lines_starting_)
      if (s.starts_with(p)) skip = true;
    if (skip) continue;
    Element el;
    el.line = std::string(s);
    out.push_back(std::move(el));
  }
}

std::string ParserBot::recover_line(const Element& el, const ParseState& st) const {
  std::string r;
  for (const auto& t : st.tempdata) {
    r += t;
    r += '\n';
  }
  r += el.line;
  return r;
}

void ParserBot::fail_line(const Message& report, const std::string& recovered,
                          std::string_view error, Emitter& out) const {
  // report.copy() + change("raw", ...), without copying the report's raw
  out.dump(report.copy_and_change("raw", Value::string(recovered)), error);
}

void ParserBot::process(const Message& report, Emitter& out) {
  if (report.find("raw") == nullptr) {
    log().warn(
        "Report without raw field received. Possible bug or misconfiguration in previous bots.");
    return;
  }
  ParseState st;
  std::vector<Element> elements;
  parse(report, st, elements);
  std::size_t sent = 0, failed = 0;
  std::vector<Message> events;
  for (const Element& el : elements) {
    if (el.line.empty() && el.row.empty() && !el.json.truthy()) continue;
    events.clear();
    st.current_line = el.line;
    try {
      parse_line(el, report, st, events);
      for (auto& ev : events) apply_default_fields(ev);
    } catch (const std::exception& e) {
      ++failed;
      log().error("Failed to parse line: {}", e.what());
      fail_line(report, recover_line(el, st), e.what(), out);
      continue;
    }
    for (auto& ev : events) {
      if (ev.empty()) continue;
      out.send(std::move(ev));
      ++sent;
    }
  }
  log().debug("Sent {} events and found {} problem(s).", sent, failed);
}

}  // namespace intelflow::api
