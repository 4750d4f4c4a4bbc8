// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <string>

#include "engine/wal/crc32c.hpp"

using intelflow::wal::crc32c;

TEST_CASE("crc32c: matches the standard check value", "[wal]") {
  const std::string s = "123456789";
  CHECK(crc32c(s.data(), s.size()) == 0xE3069283u);
}

TEST_CASE("crc32c: incremental equals one-shot, any split", "[wal]") {
  std::string s;
  for (int i = 0; i < 1000; ++i) s.push_back(static_cast<char>(i * 37));
  auto whole = crc32c(s.data(), s.size());
  for (std::size_t cut : {0u, 1u, 7u, 8u, 9u, 500u, 999u}) {
    auto a = crc32c(s.data(), cut);
    CHECK(crc32c(s.data() + cut, s.size() - cut, a) == whole);
  }
  CHECK(crc32c("", 0) == 0u);
}
