// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.url.expert: host, port, path, user name and protocols from source/destination.url.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/registry.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;

/// Default port and protocols of the schemes the reference knows.
struct Scheme {
  std::string_view name;
  int port;
  std::string_view application;  ///< empty: the scheme itself
  std::string_view transport;    ///< empty: none
};
constexpr Scheme kSchemes[] = {
    {"ftp", 21, "", "tcp"},  {"http", 80, "", "tcp"}, {"https", 443, "http", ""},
    {"sftp", 22, "", "tcp"}, {"ssh", 22, "", "tcp"},  {"tftp", 69, "", "udp"},
    {"ws", 80, "", "tcp"},   {"wss", 443, "", "tcp"},
};
const Scheme* scheme_info(std::string_view s) {
  for (const auto& k : kSchemes)
    if (k.name == s) return &k;
  return nullptr;
}

/// The parts of urllib.parse.urlparse(url) this bot reads.
struct ParsedUrl {
  std::string scheme;
  std::optional<std::string> hostname;
  std::optional<int> port;
  std::string path;
  std::optional<std::string> username;
};

ParsedUrl parse_url(std::string_view text) {
  const harm::url::SplitResult parts = harm::url::split(text);
  ParsedUrl u;
  u.scheme = parts.scheme;
  // urlparse splits ";params" off the last path segment for these schemes.
  static constexpr std::string_view kUsesParams[] = {"",     "ftp",   "hdl",   "prospero", "http",
                                                     "imap", "https", "shttp", "rtsp",     "rtspu",
                                                     "sip",  "sips",  "mms",   "sftp",     "tel"};
  u.path = parts.path;
  if (std::find(std::begin(kUsesParams), std::end(kUsesParams), u.scheme) !=
          std::end(kUsesParams) &&
      u.path.find(';') != std::string::npos) {
    const auto slash = u.path.rfind('/');
    const auto semi = u.path.find(';', slash == std::string::npos ? 0 : slash);
    if (semi != std::string::npos) u.path.resize(semi);
  }
  std::string_view netloc = parts.netloc;
  const auto at = netloc.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = netloc.substr(0, at);
    u.username = std::string(userinfo.substr(0, userinfo.find(':')));
  }
  std::string_view hostinfo = at == std::string_view::npos ? netloc : netloc.substr(at + 1);
  std::string_view host, port;
  if (const auto br = hostinfo.find('['); br != std::string_view::npos) {
    std::string_view bracketed = hostinfo.substr(br + 1);
    const auto close = bracketed.find(']');
    host = bracketed.substr(0, close);
    if (close != std::string_view::npos) {
      std::string_view after = bracketed.substr(close + 1);
      const auto colon = after.find(':');
      if (colon != std::string_view::npos) port = after.substr(colon + 1);
    }
  } else {
    const auto colon = hostinfo.find(':');
    host = hostinfo.substr(0, colon);
    if (colon != std::string_view::npos) port = hostinfo.substr(colon + 1);
  }
  if (!host.empty()) {
    const auto pct = host.find('%');
    std::string h = harm::uni::lower(host.substr(0, pct));
    if (pct != std::string_view::npos) h += host.substr(pct);
    u.hostname = std::move(h);
  }
  if (!port.empty()) {
    long value = 0;
    for (char c : port) {
      if (c < '0' || c > '9')
        throw harm::HarmonizationError(
            harm::ErrorKind::ValueError,
            "Port could not be cast to integer value as '" + std::string(port) + "'");
      value = value * 10 + (c - '0');
      if (value > 65535)
        throw harm::HarmonizationError(harm::ErrorKind::ValueError, "Port out of range 0-65535");
    }
    u.port = static_cast<int>(value);
  }
  return u;
}

/// For each side with a URL: the host goes to *.ip (valid address) or
/// *.fqdn (valid name), the explicit or default port to *.port, the path to
/// *.urlpath, the user name to *.account; protocol.application/transport are
/// taken from the first side that sets one. Everything is added with
/// `overwrite`; fields in `skip_fields` are never written. Stateless: concurrent.
class UrlExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    opts_.overwrite = params().get_bool("overwrite", false);
    skip_ = params().get_string_list("skip_fields", ',');
  }

  void process(Message& ev, api::Emitter& out) override {
    int protocols_added = 0;
    for (std::string_view base : {std::string_view("source"), std::string_view("destination")}) {
      const std::string b(base);
      const Value* url_value = ev.find(b + ".url");
      if (url_value == nullptr || !url_value->truthy() || !url_value->is_string()) continue;
      const std::string ip_key = b + ".ip", fqdn_key = b + ".fqdn", port_key = b + ".port",
                        path_key = b + ".urlpath", account_key = b + ".account";
      const ParsedUrl url = parse_url(url_value->as_string());
      const bool set_protocols = protocols_added == 0;
      if (url.hostname && !skipped(ip_key) &&
          harm::is_valid(harm::TypeId::IPAddress, Value::string(*url.hostname), true)) {
        ev.add(ip_key, Value::string(*url.hostname), opts_);
      } else if (url.hostname && !skipped(fqdn_key) &&
                 harm::is_valid(harm::TypeId::FQDN, Value::string(*url.hostname), true)) {
        ev.add(fqdn_key, Value::string(*url.hostname), opts_);
      }
      const Scheme* scheme = scheme_info(url.scheme);
      if (url.port && *url.port != 0 && !skipped(port_key))
        ev.add(port_key, Value::string(std::to_string(*url.port)), opts_);
      else if (!skipped(port_key) && scheme != nullptr)
        ev.add(port_key, Value::string(std::to_string(scheme->port)), opts_);
      if (!url.path.empty() && !skipped(path_key)) ev.add(path_key, Value::string(url.path), opts_);
      if (url.username && !url.username->empty() && !skipped(account_key)) {
        harm::AddOptions lenient = opts_;
        lenient.raise_failure = false;
        ev.add(account_key, Value::string(*url.username), lenient);
      }
      if (set_protocols && !url.scheme.empty() && !skipped("protocol.application")) {
        const std::string_view app = scheme != nullptr && !scheme->application.empty()
                                         ? scheme->application
                                         : std::string_view(url.scheme);
        ev.add("protocol.application", Value::string(app), opts_);
        ++protocols_added;
      }
      if (set_protocols && !url.scheme.empty() && !skipped("protocol.transport") &&
          scheme != nullptr && !scheme->transport.empty()) {
        ev.add("protocol.transport", Value::string(scheme->transport), opts_);
        ++protocols_added;
      }
    }
    out.send(std::move(ev));
  }

 private:
  bool skipped(std::string_view key) const {
    return std::find(skip_.begin(), skip_.end(), key) != skip_.end();
  }

  harm::AddOptions opts_;
  std::vector<std::string> skip_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.url.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Extracts host (ip or fqdn), port, path, user name and protocols from "
                   "source.url and destination.url.",
    .params = {api::ParamSpec{"overwrite", api::ParamType::Bool, "false", false,
                              "Replace existing fields."},
               api::ParamSpec{"skip_fields", api::ParamType::StringOrList, "null", false,
                              "Fields never written (list, or comma-separated string)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<UrlExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
