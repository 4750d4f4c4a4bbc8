// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.domain_valid.expert: forwards only events whose domain is syntactically
// valid and has a TLD from the IANA list.

#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "engine/api/registry.hpp"
#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/// python-validators' domain(): no whitespace and no "__", then the IDNA
/// form must match (case-insensitively)
/// ^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-_]{0,61}[a-z]$
/// Throws std::runtime_error where the library raises (not IDNA-encodable).
bool valid_domain(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value)
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return false;
  if (value.find("__") != std::string_view::npos) return false;
  if (value.find_first_of("\xc2\xe1\xe2\xe3") != std::string_view::npos) {
    // Non-ASCII whitespace (U+0085, U+00A0, U+1680, U+2000.., U+3000) also fails \s.
    for (std::string_view ws :
         {"\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82",
          "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87",
          "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
          "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"})
      if (value.find(ws) != std::string_view::npos) return false;
  }
  auto encoded = harm::detail::idna_encode(value);
  if (!encoded) throw std::runtime_error("Unable to encode/decode " + std::string(value));
  std::string_view d(*encoded);
  const auto last_dot = d.rfind('.');
  if (last_dot == std::string_view::npos) return false;
  // Every label before the TLD: 1-63 of [a-z0-9-], alphanumeric at both ends.
  std::string_view head = d.substr(0, last_dot + 1);
  while (!head.empty()) {
    const auto dot = head.find('.');
    std::string_view label = head.substr(0, dot);
    head.remove_prefix(dot + 1);
    if (label.empty() || label.size() > 63 || !alnum(label.front()) || !alnum(label.back()))
      return false;
    for (char c : label)
      if (!alnum(c) && c != '-') return false;
  }
  // TLD: 2-63 characters, alphanumeric first, letter last, [a-z0-9-_] between.
  std::string_view tld = d.substr(last_dot + 1);
  if (tld.size() < 2 || tld.size() > 63 || !alnum(tld.front()) || !alpha(tld.back())) return false;
  for (char c : tld)
    if (!alnum(c) && c != '-' && c != '_') return false;
  return true;
}

/// Forwards an event only if `domain_field` is present, a valid domain
/// without '_', and its last label is in the TLD list; drops it otherwise.
/// Read-only after init: runs concurrently.
class DomainValidExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    field_ = params().get_string("domain_field", "source.fqdn");
    const std::string path = params().get_string("tlds_domains_list");
    std::ifstream in(path);
    if (path.empty() || !in)
      throw ConfigError("tlds_domains_list", "TLD domain list file not found at '" + path + "'");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '#') continue;
      const auto b = line.find_first_not_of(" \t\r\n\v\f");
      const auto e = line.find_last_not_of(" \t\r\n\v\f");
      tlds_.insert(b == std::string::npos ? std::string()
                                          : harm::uni::lower(line.substr(b, e - b + 1)));
    }
    log().info("Loaded {} TLDs from {}.", tlds_.size(), path);
  }

  void process(Message& ev, api::Emitter& out) override {
    const Value* v = ev.find(field_);
    if (v != nullptr && v->is_string()) {
      const std::string& d = v->as_string();
      const auto dot = d.rfind('.');
      const std::string tld = harm::uni::lower(
          dot == std::string::npos ? std::string_view(d) : std::string_view(d).substr(dot + 1));
      if (valid_domain(d) && d.find('_') == std::string::npos && tlds_.count(tld) != 0) {
        out.send(std::move(ev));
        return;
      }
    }
    log().debug("Filtered out event with search field '{}'.", field_);
    out.drop("invalid domain");
  }

 private:
  std::string field_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> tlds_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.domain_valid.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Drops events whose domain field is missing, not a valid domain name, "
                   "contains '_' or has a TLD missing from the IANA TLD list.",
    .params = {api::ParamSpec{"domain_field", api::ParamType::String, "\"source.fqdn\"", false,
                              "The field holding the domain."},
               api::ParamSpec{"tlds_domains_list", api::ParamType::String,
                              "\"/opt/intelmq/var/lib/bots/domain_valid/tlds-alpha-by-domain.txt\"",
                              false,
                              "Path of IANA's tlds-alpha-by-domain.txt (one TLD per line, '#' "
                              "comment lines; compared case-insensitively)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<DomainValidExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
