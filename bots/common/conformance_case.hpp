// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Test support (header only): reads one recorded IntelMQ bot case from the
/// shared conformance corpus (`$INTELFLOW_SOURCE_DIR/../shared/conformance`,
/// format in its README) for the unit tests of single bots: parameters,
/// input messages, expected messages per path, cache before/after. Cases
/// that are absent (corpus not checked out) are reported as unavailable.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "harmonization/message.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots::testing {

/// One recorded case (the first run only; followup runs are not needed here).
struct ConformanceCase {
  harm::Value doc;  ///< the whole case JSON

  /// The corpus directory, or empty if it is not there.
  static std::string corpus_dir() {
    const char* src = std::getenv("INTELFLOW_SOURCE_DIR");
#ifdef INTELFLOW_SOURCE_DIR
    if (src == nullptr) src = INTELFLOW_SOURCE_DIR;
#endif
    if (src == nullptr) return {};
    std::filesystem::path p = std::filesystem::path(src) / ".." / "shared" / "conformance";
    return std::filesystem::exists(p / "cases") ? p.lexically_normal().string() : std::string();
  }

  /// Loads cases/<id>.json with $CONFORMANCE_DIR / $WORKDIR replaced; nullopt if absent.
  static std::optional<ConformanceCase> load(const std::string& id, const std::string& workdir) {
    std::string dir = corpus_dir();
    if (dir.empty()) return std::nullopt;
    std::ifstream f(dir + "/cases/" + id + ".json");
    if (!f) return std::nullopt;
    std::stringstream ss;
    ss << f.rdbuf();
    std::string text = ss.str();
    replace_all(text, "$CONFORMANCE_DIR", dir);
    replace_all(text, "$WORKDIR", workdir);
    ConformanceCase c;
    if (!harm::py::json_loads(text, c.doc)) return std::nullopt;
    return c;
  }

  const harm::Value* member(std::string_view key) const {
    for (const auto& [k, v] : doc.as_dict())
      if (k == key) return &v;
    return nullptr;
  }

  /// Case parameters as bot parameter overrides.
  std::vector<std::pair<std::string, harm::Value>> parameters() const {
    std::vector<std::pair<std::string, harm::Value>> out;
    if (const auto* p = member("parameters"))
      for (const auto& [k, v] : p->as_dict()) out.emplace_back(k, v);
    return out;
  }

  static harm::Message to_message(const harm::Value& v) {
    return harm::Message::unserialize(harm::py::json_dumps(v),
                                      harm::Harmonization::default_instance());
  }

  std::vector<harm::Message> input() const {
    std::vector<harm::Message> out;
    for (const auto& m : member("input")->as_list()) out.push_back(to_message(m));
    return out;
  }

  /// Expected messages on `path` (empty if the path is not listed).
  std::vector<harm::Message> output(std::string_view path) const {
    std::vector<harm::Message> out;
    for (const auto& [k, msgs] : member("output")->as_dict())
      if (k == path)
        for (const auto& m : msgs.as_list()) out.push_back(to_message(m));
    return out;
  }

  /// cache_before / cache_after: key → (value, ttl).
  std::vector<std::pair<std::string, std::pair<std::string, std::int64_t>>> cache(
      std::string_view which) const {
    std::vector<std::pair<std::string, std::pair<std::string, std::int64_t>>> out;
    const auto* c = member(which);
    if (c == nullptr) return out;
    for (const auto& [k, e] : c->as_dict()) {
      std::string value;
      std::int64_t ttl = -1;
      for (const auto& [f, v] : e.as_dict()) {
        if (f == "value" && v.is_string()) value = v.as_string();
        if (f == "ttl" && v.is_int()) ttl = v.as_int();
      }
      out.push_back({k, {value, ttl}});
    }
    return out;
  }

  /// The case's comparison rule: drop time.observation (and ignore_fields), then
  /// the same key/value map with numbers compared by value.
  static bool same(harm::Message a, harm::Message b) {
    a.erase("time.observation");
    b.erase("time.observation");
    return a == b;
  }

 private:
  static void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
      s.replace(pos, from.size(), to);
  }
};

}  // namespace intelflow::bots::testing
