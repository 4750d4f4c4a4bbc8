// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.domain_suffix.expert: public suffix of *.fqdn / *.reverse_dns from a Public
// Suffix List file (ICANN section), as the publicsuffixlist library computes it.

#include <algorithm>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

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

/// Python str.rstrip() for the whitespace of a text line.
std::string_view rstrip(std::string_view s) {
  const auto e = s.find_last_not_of(" \t\r\n\v\f");
  return e == std::string_view::npos ? std::string_view() : s.substr(0, e + 1);
}

/// The rules of the ICANN section of a Public Suffix List, with the
/// punycode form of every IDN rule added (publicsuffixlist's
/// accept_encoded_idn), and publicsuffix() of that library.
class SuffixList {
 public:
  /// Throws std::runtime_error "<name>:<line>: <reason>".
  void parse(std::string_view text, const std::string& name) {
    bool icann = false;
    std::size_t line_no = 0;
    while (!text.empty()) {
      ++line_no;
      const auto nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
      const std::string_view marker = rstrip(line);
      if (marker == "// ===BEGIN ICANN DOMAINS===") {
        icann = true;
        continue;
      }
      if (marker == "// ===END ICANN DOMAINS===") {
        icann = false;
        continue;
      }
      if (!icann) continue;
      // s = line.lower().split(" ")[0].rstrip()
      std::string s = harm::uni::lower(line.substr(0, line.find(' ')));
      s.resize(rstrip(s).size());
      if (s.empty() || s.rfind("//", 0) == 0) continue;
      std::size_t labels = 1;
      for (char c : s) labels += c == '.';
      if (labels > max_labels_) max_labels_ = labels;
      const bool exception = s[0] == '!';
      std::string_view bare = std::string_view(s).substr(exception ? 1 : 0);
      auto encoded = harm::detail::idna_encode(bare);
      if (!encoded)
        throw std::runtime_error(name + ":" + std::to_string(line_no) + ": rule '" + s +
                                 "' cannot be IDNA-encoded");
      rules_.insert(exception ? "!" + *encoded : *encoded);
      rules_.insert(std::move(s));
    }
  }

  /// publicsuffixlist's publicsuffix(domain) with accept_unknown=True.
  std::optional<std::string> publicsuffix(const std::string& domain) const {
    if (domain.find('\0') != std::string::npos) return std::nullopt;
    // labels = domain.lower().rsplit(".", maxlabel + 2)
    const std::string lower = harm::uni::lower(domain);
    std::vector<std::string_view> labels;
    {
      std::string_view rest(lower);
      const std::size_t max_split = max_labels_ + 2;
      std::size_t splits = 0;
      while (splits < max_split) {
        const auto dot = rest.rfind('.');
        if (dot == std::string_view::npos) break;
        labels.push_back(rest.substr(dot + 1));
        rest = rest.substr(0, dot);
        ++splits;
      }
      labels.push_back(rest);
      std::reverse(labels.begin(), labels.end());
    }
    for (auto l : labels)
      if (l.empty()) return std::nullopt;
    const std::size_t ll = labels.size();
    if (ll == 1) return domain;
    auto join = [&](std::size_t from) {
      std::string out;
      for (std::size_t k = from; k < ll; ++k) {
        if (k > from) out += '.';
        out += labels[k];
      }
      return out;
    };
    const std::size_t first = ll > max_labels_ ? ll - max_labels_ : 0;
    for (std::size_t i = first; i < ll; ++i) {
      const std::string s = join(i);
      if (i > 0 && has("!*." + s)) return s;
      if (has("!" + s)) {
        if (i + 1 < ll) return join(i + 1);
        return std::nullopt;
      }
      if (i > 0 && has("*." + s)) return join(i - 1);
      if (has(s)) return s;
    }
    return std::string(labels.back());
  }

  std::size_t size() const noexcept { return rules_.size(); }

 private:
  bool has(std::string_view rule) const { return rules_.find(rule) != rules_.end(); }

  std::unordered_set<std::string, StringHash, std::equal_to<>> rules_;
  std::size_t max_labels_ = 0;
};

/// Sets source/destination.domain_suffix from *.fqdn or *.reverse_dns (plain
/// add: an existing domain_suffix fails the event). Read-only after init:
/// runs concurrently.
class DomainSuffixExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const std::string field = params().get_string("field");
    if (field != "fqdn" && field != "reverse_dns")
      throw ConfigError("field", "must be 'fqdn' or 'reverse_dns', got '" + field + "'");
    sides_[0] = {"source." + field, "source.domain_suffix"};
    sides_[1] = {"destination." + field, "destination.domain_suffix"};
    const std::string path = params().get_string("suffix_file");
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) throw ConfigError("suffix_file", "cannot open '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    try {
      list_.parse(ss.str(), path);
    } catch (const std::exception& e) {
      throw ConfigError("suffix_file", e.what());
    }
    log().info("Loaded {} public suffix rules from {}.", list_.size(), path);
  }

  void process(Message& ev, api::Emitter& out) override {
    for (const auto& [key, target] : sides_) {
      const Value* v = ev.find(key);
      if (v == nullptr || !v->is_string()) continue;
      auto suffix = list_.publicsuffix(v->as_string());
      ev.add(target, suffix ? Value::string(std::move(*suffix)) : Value::null());
    }
    out.send(std::move(ev));
  }

 private:
  SuffixList list_;
  std::pair<std::string, std::string> sides_[2];
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.domain_suffix.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Sets source/destination.domain_suffix to the public suffix of the fqdn or "
                   "reverse_dns field, from a Public Suffix List file (ICANN section).",
    .params = {api::ParamSpec{"field", api::ParamType::String, "null", true,
                              "Which field to read: 'fqdn' or 'reverse_dns'."},
               api::ParamSpec{"suffix_file", api::ParamType::String, "null", true,
                              "Path of the Public Suffix List (public_suffix_list.dat). Only the "
                              "ICANN section is used; wildcard (*.) and exception (!) rules "
                              "apply; unknown TLDs are their own public suffix."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<DomainSuffixExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
