// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.tor_nodes.expert: marks source/destination.tor_node for IPs in a Tor node list.

#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "engine/api/registry.hpp"

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

/// Python str.strip() for the whitespace a text file holds.
std::string_view strip(std::string_view s) {
  constexpr std::string_view ws = " \t\r\n\v\f";
  const auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

/// Sets *.tor_node = true when *.ip is listed in the node file (loaded once
/// at init; lines compared as text after stripping). Never sets false.
/// Stateless after init: runs concurrently.
class TorNodesExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    overwrite_ = params().get_bool("overwrite", false);
    const std::string path = params().get_string("database");
    if (path.empty()) throw ConfigError("database", "is required (path to the Tor node list)");
    std::ifstream in(path);
    if (!in) throw ConfigError("database", "cannot open '" + path + "'");
    std::string line;
    while (std::getline(in, line)) {
      std::string_view s = strip(line);
      if (s.empty() || s[0] == '#') continue;
      nodes_.emplace(s);
    }
    if (in.bad()) throw ConfigError("database", "error reading '" + path + "'");
    log().info("Loaded {} Tor node addresses from {}.", nodes_.size(), path);
  }

  void process(Message& ev, api::Emitter& out) override {
    static constexpr std::pair<std::string_view, std::string_view> kSides[] = {
        {"source.ip", "source.tor_node"}, {"destination.ip", "destination.tor_node"}};
    harm::AddOptions opts;
    opts.overwrite = overwrite_;
    for (const auto& [ip_key, tor_key] : kSides) {
      const Value* ip = ev.find(ip_key);
      if (ip == nullptr || !ip->is_string()) continue;
      if (nodes_.find(std::string_view(ip->as_string())) != nodes_.end())
        ev.add(tor_key, Value::boolean(true), opts);
    }
    out.send(std::move(ev));
  }

 private:
  bool overwrite_ = false;
  std::unordered_set<std::string, StringHash, std::equal_to<>> nodes_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.tor_nodes.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Sets source/destination.tor_node to true for IP addresses listed in a Tor "
                   "node file.",
    .params = {api::ParamSpec{"database", api::ParamType::String, "null", true,
                              "Path of the Tor node list: one IP address per line, '#' comment "
                              "lines, blank lines ignored. Loaded once at start."},
               api::ParamSpec{"overwrite", api::ParamType::Bool, "false", false,
                              "Replace an existing tor_node value (only ever with true)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<TorNodesExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
