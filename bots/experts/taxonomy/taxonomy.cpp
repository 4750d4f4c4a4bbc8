// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.taxonomy.expert: derives classification.taxonomy from classification.type (RSIT).

#include <string_view>
#include <utility>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;

std::string_view taxonomy_of(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kTable[] = {
      {"spam", "abusive-content"},
      {"harmful-speech", "abusive-content"},
      {"violence", "abusive-content"},
      {"ddos", "availability"},
      {"dos", "availability"},
      {"outage", "availability"},
      {"sabotage", "availability"},
      {"misconfiguration", "availability"},
      {"copyright", "fraud"},
      {"masquerade", "fraud"},
      {"phishing", "fraud"},
      {"unauthorized-use-of-resources", "fraud"},
      {"unauthorised-information-access", "information-content-security"},
      {"unauthorised-information-modification", "information-content-security"},
      {"data-loss", "information-content-security"},
      {"data-leak", "information-content-security"},
      {"scanner", "information-gathering"},
      {"sniffing", "information-gathering"},
      {"social-engineering", "information-gathering"},
      {"brute-force", "intrusion-attempts"},
      {"exploit", "intrusion-attempts"},
      {"ids-alert", "intrusion-attempts"},
      {"application-compromise", "intrusions"},
      {"burglary", "intrusions"},
      {"privileged-account-compromise", "intrusions"},
      {"system-compromise", "intrusions"},
      {"unprivileged-account-compromise", "intrusions"},
      {"c2-server", "malicious-code"},
      {"infected-system", "malicious-code"},
      {"malware-configuration", "malicious-code"},
      {"malware-distribution", "malicious-code"},
      {"blacklist", "other"},
      {"dga-domain", "other"},
      {"malware", "other"},
      {"other", "other"},
      {"proxy", "other"},
      {"tor", "other"},
      {"undetermined", "other"},
      {"test", "test"},
      {"ddos-amplifier", "vulnerable"},
      {"information-disclosure", "vulnerable"},
      {"potentially-unwanted-accessible", "vulnerable"},
      {"vulnerable-system", "vulnerable"},
      {"weak-crypto", "vulnerable"},
  };
  for (const auto& [t, tax] : kTable)
    if (t == type) return tax;
  return "other";
}

/// Sets classification.taxonomy from classification.type; fills in
/// `other`/`undetermined` when either is missing. Stateless.
class TaxonomyExpert final : public api::ExpertBot {
 public:
  void process(api::Message& ev, api::Emitter& out) override {
    const Value* type = ev.find("classification.type");
    const bool has_tax = ev.contains("classification.taxonomy");
    if (type == nullptr && !has_tax) {
      ev.add("classification.taxonomy", Value::string("other"));
      ev.add("classification.type", Value::string("undetermined"));
    } else if (type != nullptr && !has_tax) {
      std::string_view t = type->is_string() ? std::string_view(type->as_string()) : "";
      ev.add("classification.taxonomy", Value::string(taxonomy_of(t)));
    } else if (type == nullptr) {
      ev.add("classification.type", Value::string("undetermined"));
    }
    out.send(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.taxonomy.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Adds classification.taxonomy from classification.type (RSIT table); "
                   "missing values become other/undetermined.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<TaxonomyExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
