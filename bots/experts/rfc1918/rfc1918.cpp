// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.rfc1918.expert: deletes fields or drops events holding private/reserved
// addresses, documentation domains or private AS numbers.

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/registry.hpp"
#include "harmonization/errors.hpp"
#include "harmonization/types.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// A network of the reserved table: address bytes, family, prefix length.
struct Net {
  bool v6;
  std::array<unsigned char, 16> addr;
  int length;
};

Net net(const char* text, int length) {
  Net n{};
  n.v6 = std::strchr(text, ':') != nullptr;
  inet_pton(n.v6 ? AF_INET6 : AF_INET, text, n.addr.data());
  n.length = length;
  return n;
}

const std::vector<Net>& reserved_networks() {
  static const std::vector<Net> nets = {
      net("10.0.0.0", 8),     net("100.64.0.0", 10),   net("127.0.0.0", 8),
      net("169.254.0.0", 16), net("172.16.0.0", 12),   net("192.0.0.0", 24),
      net("192.0.2.0", 24),   net("192.88.99.0", 24),  net("192.168.0.0", 16),
      net("198.18.0.0", 15),  net("198.51.100.0", 24), net("203.0.113.0", 24),
      net("224.0.0.0", 4),    net("240.0.0.0", 4),     net("255.255.255.255", 32),
      net("fe80::", 64),      net("2001:db8::", 32),
  };
  return nets;
}

/// Python ipaddress.ip_address(text): IPv4 dotted quad or IPv6 text.
bool parse_ip(std::string_view text, bool& v6, std::array<unsigned char, 16>& out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  v6 = text.find(':') != std::string_view::npos;
  return inet_pton(v6 ? AF_INET6 : AF_INET, buf, out.data()) == 1;
}

bool in_reserved_network(bool v6, const std::array<unsigned char, 16>& a) {
  for (const Net& n : reserved_networks()) {
    if (n.v6 != v6) continue;
    int full = n.length / 8, rest = n.length % 8;
    if (std::memcmp(a.data(), n.addr.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest != 0) {
      const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((a[static_cast<std::size_t>(full)] & mask) !=
          (n.addr[static_cast<std::size_t>(full)] & mask))
        continue;
    }
    return true;
  }
  return false;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// RFC 2606 / RFC 6761 names: example.{com,net,org} and anything below them,
/// and the reserved TLDs .test, .example, .invalid, .localhost.
bool reserved_domain(std::string_view d) {
  static constexpr std::string_view kExact[] = {"example.com", "example.net", "example.org"};
  static constexpr std::string_view kSuffix[] = {".test",       ".example",     ".invalid",
                                                 ".localhost",  ".example.com", ".example.net",
                                                 ".example.org"};
  for (auto e : kExact)
    if (d == e) return true;
  for (auto s : kSuffix)
    if (ends_with(d, s)) return true;
  return false;
}

/// Python str.lower().strip().split(",").
std::vector<std::string> lower_strip_split(const std::string& text) {
  std::string s = harm::uni::lower(text);
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = s.find_first_not_of(ws);
  s = b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(ws) - b + 1);
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto comma = s.find(',', start);
    parts.push_back(s.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

/// Checks the configured fields in order; the first one holding a reserved
/// value is deleted (`del`) or drops the event (`drop`), and checking stops.
/// Stateless: runs concurrently.
class Rfc1918Expert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    fields_ = lower_strip_split(params().get_string("fields"));
    policies_ = lower_strip_split(params().get_string("policy"));
    if (fields_.size() != policies_.size())
      throw ConfigError("policy", "must have as many entries as 'fields' (" +
                                      std::to_string(policies_.size()) + " vs " +
                                      std::to_string(fields_.size()) + ")");
  }

  void process(Message& ev, api::Emitter& out) override {
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      const std::string& field = fields_[i];
      const Value* v = ev.find(field);
      if (v == nullptr) continue;
      if (!check(field, *v)) continue;
      if (policies_[i] == "del") {
        log().debug("Value removed from {}.", field);
        ev.remove(field);
      } else if (policies_[i] == "drop") {
        out.drop("reserved value in " + field);
        return;
      }
      break;
    }
    out.send(std::move(ev));
  }

 private:
  static bool check_ip(std::string_view text, bool raise) {
    bool v6 = false;
    std::array<unsigned char, 16> a{};
    if (!parse_ip(text, v6, a)) {
      if (raise)
        throw harm::HarmonizationError(
            harm::ErrorKind::ValueError,
            "'" + std::string(text) + "' does not appear to be an IPv4 or IPv6 address");
      return false;
    }
    return in_reserved_network(v6, a);
  }

  static bool check(std::string_view field, const Value& v) {
    if (ends_with(field, ".ip")) return v.is_string() && check_ip(v.as_string(), true);
    if (ends_with(field, ".fqdn")) return v.is_string() && reserved_domain(v.as_string());
    if (ends_with(field, ".url")) {
      if (!v.is_string()) return false;
      const std::string netloc = harm::url::split(v.as_string()).netloc;
      bool v6 = false;
      std::array<unsigned char, 16> a{};
      if (parse_ip(netloc, v6, a)) return in_reserved_network(v6, a);
      return reserved_domain(netloc);
    }
    if (ends_with(field, ".asn")) {
      if (!v.is_int()) return false;
      const std::int64_t n = v.as_int();
      return (n >= 64496 && n <= 64511) || (n >= 65536 && n <= 65551);
    }
    return false;
  }

  std::vector<std::string> fields_, policies_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.rfc1918.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Removes fields or drops events whose IP address, domain, URL host or AS "
                   "number is private, reserved or for documentation (RFC 1918, 2606, 3849, "
                   "5398, 5737, 6598 ...).",
    .params = {api::ParamSpec{"fields", api::ParamType::String,
                              "\"destination.ip,source.ip,source.url\"", false,
                              "Comma-separated fields to check, in order. Kind by suffix: .ip "
                              "(reserved networks), .fqdn (example.* and reserved TLDs), .url "
                              "(its netloc as IP or domain), .asn (private-use AS numbers)."},
               api::ParamSpec{"policy", api::ParamType::String, "\"del,drop,drop\"", false,
                              "Comma-separated action per field: 'del' deletes the field, "
                              "'drop' drops the event. Must have as many entries as 'fields'."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<Rfc1918Expert>(); },
});

}  // namespace
}  // namespace intelflow::bots
