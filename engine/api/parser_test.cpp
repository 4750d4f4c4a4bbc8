// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <random>

#include "engine/api/parser.hpp"
#include "harmonization/unicode.hpp"

using intelflow::api::ParserBot;

namespace {

/// The plain definition: one character at a time, non-alphabet skipped.
std::string reference_decode(std::string_view in) {
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
  if (intelflow::harm::uni::valid_utf8(out)) return out;
  return intelflow::harm::uni::decode_utf8_ignore(out);
}

}  // namespace

TEST_CASE("parser: decode_base64_text decodes, skipping characters outside the alphabet",
          "[parser]") {
  CHECK(ParserBot::decode_base64_text("aGVsbG8gd29ybGQ=") == "hello world");
  CHECK(ParserBot::decode_base64_text("aGVs\nbG8g\r\nd29y bGQ=") == "hello world");
  CHECK(ParserBot::decode_base64_text("aGVsbG8") == "hello");  // 2 leftover bits dropped
  CHECK(ParserBot::decode_base64_text("") == "");
  CHECK(ParserBot::decode_base64_text("/w==").empty());  // 0xFF alone is invalid UTF-8: dropped
}

TEST_CASE("parser: decode_base64_text equals the one-character-at-a-time definition", "[parser]") {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(12345);
  for (int round = 0; round < 20000; ++round) {
    const std::size_t len = rng() % 64;
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
      const unsigned r = rng() % 100;
      if (r < 85)
        s.push_back(kAlpha[rng() % 64]);
      else if (r < 90)
        s.push_back('=');
      else if (r < 95)
        s.push_back("\n\r \t"[rng() % 4]);
      else
        s.push_back(static_cast<char>(rng() % 256));
    }
    INFO(s);
    REQUIRE(ParserBot::decode_base64_text(s) == reference_decode(s));
  }
}
