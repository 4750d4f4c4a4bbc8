// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.vxvault.parser: the VXVault URL list (bots.md "vxvault.parser").

#include <memory>
#include <optional>
#include <string>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Schemes for which urllib.parse.urlparse splits `;params` off the last path segment.
bool uses_params(std::string_view scheme) {
  static constexpr std::string_view kSchemes[] = {"",     "ftp",   "hdl",   "prospero", "http",
                                                  "imap", "https", "shttp", "rtsp",     "rtspu",
                                                  "sip",  "sips",  "mms",   "sftp",     "tel"};
  for (auto s : kSchemes)
    if (s == scheme) return true;
  return false;
}

/// urlparse(url).hostname: the host of the netloc, lowercased, brackets removed.
std::optional<std::string> hostname_of(const harm::url::SplitResult& p) {
  std::string_view hostinfo = p.netloc;
  if (auto at = hostinfo.rfind('@'); at != std::string_view::npos)
    hostinfo = hostinfo.substr(at + 1);
  std::string_view host;
  if (!hostinfo.empty() && hostinfo[0] == '[') {
    const auto close = hostinfo.find(']');
    host = close == std::string_view::npos ? hostinfo.substr(1) : hostinfo.substr(1, close - 1);
  } else {
    host = hostinfo.substr(0, hostinfo.find(':'));
  }
  if (host.empty()) return std::nullopt;
  return harm::uni::lower(host);
}

/// urlparse(url).port: nullopt if absent; throws like Python for a bad port.
std::optional<long> port_of(const harm::url::SplitResult& p) {
  std::string_view hostinfo = p.netloc;
  if (auto at = hostinfo.rfind('@'); at != std::string_view::npos)
    hostinfo = hostinfo.substr(at + 1);
  std::string_view port;
  bool have = false;
  if (!hostinfo.empty() && hostinfo[0] == '[') {
    const auto close = hostinfo.find(']');
    if (close != std::string_view::npos && hostinfo.substr(close + 1).starts_with(':')) {
      port = hostinfo.substr(close + 2);
      have = true;
    }
  } else if (auto colon = hostinfo.find(':'); colon != std::string_view::npos) {
    port = hostinfo.substr(colon + 1);
    have = true;
  }
  if (!have || port.empty()) return std::nullopt;
  if (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 9)
    throw std::runtime_error("ValueError: Port could not be cast to integer value as '" +
                             std::string(port) + "'");
  const long v = std::stol(std::string(port));
  if (v > 65535) throw std::runtime_error("ValueError: Port out of range 0-65535");
  return v;
}

/// VXVault parser: the first three report lines are kept (the third is the
/// time of the list), every later line starting with `http` is one URL.
class VxVaultParser final : public api::ParserBot {
 protected:
  void parse(const Message& report, ParseState& st, std::vector<Element>& out) override {
    const std::string text = decode_raw(report);
    const auto lines = splitlines(harm::uni::strip(text));
    for (std::size_t i = 0; i < lines.size() && i < 3; ++i) st.tempdata.emplace_back(lines[i]);
    for (std::size_t i = 4; i < lines.size(); ++i) {
      Element el;
      el.line = std::string(harm::uni::strip(lines[i]));
      out.push_back(std::move(el));
    }
  }

  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& row = el.line;
    if (!row.starts_with("http")) return;
    harm::url::SplitResult parts = harm::url::split(row);
    const std::optional<std::string> host = hostname_of(parts);
    const std::optional<long> port = port_of(parts);
    // geturl(): urlunparse drops an empty `;params` suffix of the last segment
    if (uses_params(parts.scheme)) {
      const auto seg = parts.path.rfind('/');
      const auto semi = parts.path.find(';', seg == std::string::npos ? 0 : seg);
      if (semi != std::string::npos && semi + 1 == parts.path.size()) parts.path.pop_back();
    }
    const std::string url = harm::url::unsplit(parts);

    Message ev = new_event(report);
    const Value h = host ? Value::string(*host) : Value();
    if (host && harm::is_valid(harm::TypeId::IPAddress, h, true))
      ev.add("source.ip", h);
    else
      ev.add("source.fqdn", h);
    ev.add("classification.type", Value::string("malware-distribution"));
    ev.add("source.url", Value::string(url));
    if (port && *port != 0) ev.add("source.port", Value::integer(*port));
    ev.add("raw", Value::string(row));
    if (st.tempdata.size() < 3) throw std::runtime_error("IndexError: list index out of range");
    ev.add("time.source", Value::string(st.tempdata[2]));
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.vxvault.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the VXVault URL list (malware distribution URLs).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<VxVaultParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
