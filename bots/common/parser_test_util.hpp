// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Test support for parser unit tests (header-only, used by *_test.cpp only):
/// run a parser on one report built from a few fields and a raw text, then
/// look at the events, their decoded raw and the dumps.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/testing.hpp"

namespace intelflow::bots::ptest {

using harm::Message;
using harm::Value;

/// Standard base64 decoding (test helper; skips foreign characters).
inline std::string b64decode(const std::string& in) {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const auto p = kAlpha.find(c);
    if (p == std::string::npos) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

/// One parser run: report = `fields` + raw (base64 of `text`), processed once.
struct ParserRun {
  api::testing::TestBot bot;
  api::testing::CaptureEmitter out;

  ParserRun(const char* module, const std::vector<std::pair<std::string, std::string>>& fields,
            const std::string& text, std::vector<std::pair<std::string, Value>> params = {})
      : bot(module, std::move(params)), out({"_default", "_on_error"}) {
    Message report = bot.report();
    for (const auto& [k, v] : fields) report.add(k, Value::string(v));
    report.add("raw", Value::string(text));
    bot.process(report, out);
  }
  const std::vector<Message>& events() { return out.sent["_default"]; }
  std::size_t count() { return events().size(); }
  std::string raw(std::size_t i) { return b64decode(events().at(i).get("raw").as_string()); }
  Value get(std::size_t i, const char* key) { return events().at(i).get(key); }
  /// The value as text ("<missing>" if absent; numbers via their JSON text).
  std::string str(std::size_t i, const char* key) {
    const Value v = get(i, key);
    if (v.is_null()) return "<missing>";
    if (v.is_string()) return v.as_string();
    if (v.is_int()) return std::to_string(v.as_int());
    if (v.is_bool()) return v.as_bool() ? "true" : "false";
    return "<other>";
  }
  bool has(std::size_t i, const char* key) { return events().at(i).contains(key); }
  std::size_t dumps() const { return out.dumped.size(); }
  std::string dumped_raw(std::size_t i) const {
    return b64decode(out.dumped.at(i).first.get("raw").as_string());
  }
};

}  // namespace intelflow::bots::ptest
