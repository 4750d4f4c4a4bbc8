// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.url2fqdn.expert: URL host → *.fqdn, or *.ip when it is no FQDN (deprecated in IntelMQ).

#include <arpa/inet.h>

#include <optional>
#include <string>
#include <string_view>

#include "engine/api/registry.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;
using harm::ErrorKind;
using harm::HarmonizationError;

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

/// Python's ipaddress.ip_address accepts the text (urllib's bracketed-host check).
bool python_ip(const std::string& s) {
  unsigned char buf[16];
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) return true;
  // ipaddress rejects leading zeros in IPv4 octets; inet_pton does too.
  return inet_pton(AF_INET, s.c_str(), buf) == 1;
}

/// urllib.parse.urlparse(url).hostname (CPython 3.11): the netloc's host part,
/// lower-cased; nullopt for None. Throws ValueError where urlsplit raises.
std::optional<std::string> url_hostname(std::string_view url, std::string& scratch) {
  // Strip leading C0 control chars and spaces, remove tab/CR/LF anywhere.
  std::size_t b = 0;
  while (b < url.size() && static_cast<unsigned char>(url[b]) <= 0x20) ++b;
  url.remove_prefix(b);
  if (url.find_first_of("\t\r\n") != std::string_view::npos) {
    scratch.clear();
    for (char c : url)
      if (c != '\t' && c != '\r' && c != '\n') scratch += c;
    url = scratch;
  }
  // Scheme.
  auto colon = url.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) {
    bool ok = true;
    for (std::size_t i = 0; i < colon; ++i) ok = ok && scheme_char(url[i]);
    if (ok) url.remove_prefix(colon + 1);
  }
  if (url.substr(0, 2) != "//") return std::nullopt;
  url.remove_prefix(2);
  std::string_view netloc = url.substr(0, url.find_first_of("/?#"));
  bool open = netloc.find('[') != std::string_view::npos;
  bool close = netloc.find(']') != std::string_view::npos;
  if (open != close) throw HarmonizationError(ErrorKind::ValueError, "Invalid IPv6 URL");
  if (open) {
    // Bracketed host must be an IP address or an IPvFuture literal ("v...").
    std::string_view after = netloc.substr(netloc.find('[') + 1);
    std::string_view br = after.substr(0, after.find(']'));
    if (br.empty() || (br[0] != 'v' && br[0] != 'V')) {
      std::string s(br.substr(0, br.find('%')));
      if (!python_ip(s))
        throw HarmonizationError(
            ErrorKind::ValueError,
            "'" + std::string(br) + "' does not appear to be an IPv4 or IPv6 address");
    }
  }
  std::string_view hostinfo = netloc;
  auto at = hostinfo.rfind('@');
  if (at != std::string_view::npos) hostinfo.remove_prefix(at + 1);
  std::string_view host;
  auto lb = hostinfo.find('[');
  if (lb != std::string_view::npos) {
    std::string_view br = hostinfo.substr(lb + 1);
    host = br.substr(0, br.find(']'));
  } else {
    host = hostinfo.substr(0, hostinfo.find(':'));
  }
  if (host.empty()) return std::nullopt;
  // .hostname lower-cases the part before a '%' zone id.
  auto pct = host.find('%');
  std::string_view main = host.substr(0, pct);
  std::string out;
  bool ascii = true;
  for (char c : main) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) {
    out.assign(main);
    for (auto& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  } else {
    out = harm::uni::lower(main);
  }
  if (pct != std::string_view::npos) out.append(host.substr(pct));
  return out;
}

/// Sets source/destination.fqdn from the host of the URL, or .ip when the host
/// is not a valid FQDN. Stateless.
class Url2FqdnExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    overwrite_ = params().get_bool("overwrite", false);
  }

  void process(Message& ev, api::Emitter& out) override {
    static constexpr struct {
      std::string_view url, fqdn, ip;
    } kSides[] = {{"source.url", "source.fqdn", "source.ip"},
                  {"destination.url", "destination.fqdn", "destination.ip"}};
    thread_local std::string scratch;
    harm::AddOptions opts;
    opts.overwrite = overwrite_;
    opts.raise_failure = false;
    for (const auto& side : kSides) {
      const Value* url = ev.find(side.url);
      if (url == nullptr) continue;
      if (!overwrite_ && ev.contains(side.fqdn)) continue;
      std::optional<std::string> host;
      if (url->is_string()) host = url_hostname(url->as_string(), scratch);
      Value hv = host ? Value::string(std::move(*host)) : Value::null();
      // add() returning False (invalid) or None (no host) falls back to the IP field.
      if (ev.add(side.fqdn, hv, opts) != harm::AddResult::Added)
        ev.add(side.ip, std::move(hv), opts);
    }
    out.send(std::move(ev));
  }

 private:
  bool overwrite_ = false;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.url2fqdn.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Sets source/destination.fqdn from the host of the URL (or .ip when the host "
                   "is an IP address). Deprecated in IntelMQ in favour of experts.url.",
    .params = {api::ParamSpec{"overwrite", api::ParamType::Bool, "false", false,
                              "Replace an existing fqdn (and ip)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<Url2FqdnExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
