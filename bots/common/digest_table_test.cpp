// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>

#include "bots/common/digest_table.hpp"

using intelflow::bots::CompactValue;
using intelflow::bots::DigestTable;
using intelflow::bots::KeyDigest;

namespace {

/// A 64-hex key from a number (only the last digits differ between keys).
std::string hex_key(std::uint64_t n) {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%048x%016llx", 0, static_cast<unsigned long long>(n));
  return buf;
}

KeyDigest digest(std::uint64_t n) {
  KeyDigest d;
  REQUIRE(DigestTable::digest_of(hex_key(n), d));
  return d;
}

CompactValue value(std::string_view v) {
  CompactValue c;
  REQUIRE(DigestTable::encode_value(v, c));
  return c;
}

std::string decoded(const DigestTable::Slot* s) {
  REQUIRE(s != nullptr);
  std::string out;
  DigestTable::decode_value(CompactValue{s->tag(), s->payload}, out);
  return out;
}

}  // namespace

TEST_CASE("digest table: only 64 lowercase hex digits have a digest", "[cache][digest]") {
  KeyDigest d;
  CHECK(DigestTable::digest_of(std::string(64, 'a'), d));
  CHECK_FALSE(DigestTable::digest_of(std::string(64, 'A'), d));  // Redis keys are case-sensitive
  CHECK_FALSE(DigestTable::digest_of(std::string(63, 'a'), d));
  CHECK_FALSE(DigestTable::digest_of(std::string(65, 'a'), d));
  CHECK_FALSE(DigestTable::digest_of(std::string(63, 'a') + "g", d));
  CHECK_FALSE(DigestTable::digest_of("k", d));
  // Keys differing only in the first, a middle or the last digit differ.
  KeyDigest a, b, c, e;
  std::string k(64, '0');
  REQUIRE(DigestTable::digest_of(k, a));
  k[63] = '1';
  REQUIRE(DigestTable::digest_of(k, b));
  k[63] = '0';
  k[0] = '1';
  REQUIRE(DigestTable::digest_of(k, c));
  k[0] = '0';
  k[40] = 'f';
  REQUIRE(DigestTable::digest_of(k, e));
  CHECK_FALSE(a == b);
  CHECK_FALSE(a == c);
  CHECK_FALSE(a == e);
  CHECK_FALSE(b == e);
  CHECK((a.b & 0xff) == 0);
}

TEST_CASE("digest table: short values and replay markers are stored exactly", "[cache][digest]") {
  for (std::string_view v : {"", "hash", "12345678", "a\0b"}) {
    std::string out;
    DigestTable::decode_value(value(v), out);
    CHECK(out == v);
  }
  std::string m = intelflow::bots::replay_marker(42, 7);
  CHECK(m.size() == 26);
  CHECK(m.starts_with("intelflow:"));
  CHECK(value(m).tag == DigestTable::kTagMarker);
  std::string out;
  DigestTable::decode_value(value(m), out);
  CHECK(out == m);
  CHECK(intelflow::bots::replay_marker(42, 8) != m);
  CHECK(intelflow::bots::replay_marker(43, 7) != m);
  CompactValue c;
  CHECK_FALSE(DigestTable::encode_value("123456789", c));                    // 9 bytes
  CHECK_FALSE(DigestTable::encode_value("intelflow:7:1", c));                // old format
  CHECK_FALSE(DigestTable::encode_value("intelflow:ABCDEF0123456789", c));   // uppercase
  CHECK_FALSE(DigestTable::encode_value("intelflow:0123456789abcdef0", c));  // 17 digits
}

TEST_CASE("digest table: put, overwrite, find, erase", "[cache][digest]") {
  DigestTable t;
  CHECK(t.find(digest(1)) == nullptr);
  t.put(digest(1), value("one"), 0, 0);
  t.put(digest(2), value("two"), 5000, 0);
  CHECK(t.size() == 2);
  CHECK(decoded(t.find(digest(1))) == "one");
  CHECK(t.find(digest(2))->expires_ms == 5000);
  t.put(digest(1), value("uno"), 100, 0);
  CHECK(t.size() == 2);
  CHECK(decoded(t.find(digest(1))) == "uno");
  CHECK(t.erase(digest(1)));
  CHECK_FALSE(t.erase(digest(1)));
  CHECK(t.find(digest(1)) == nullptr);
  CHECK(t.size() == 1);
}

TEST_CASE("digest table: expiry is judged by the caller's clock, growth drops expired entries",
          "[cache][digest]") {
  DigestTable t;
  t.put(digest(1), value("x"), 1000, 0);
  CHECK(t.find(digest(1))->live(999));
  CHECK_FALSE(t.find(digest(1))->live(1000));
  t.put(digest(2), value("y"), 0, 0);
  CHECK(t.find(digest(2))->live(1'000'000'000));
  // Fill the table with entries that expire at 1000, then insert at 2000:
  // the growth sweeps them instead of doubling.
  const std::size_t cap = t.capacity();
  for (std::uint64_t i = 3; t.size() < cap * 7 / 8; ++i) t.put(digest(i), value("e"), 1000, 0);
  t.put(digest(1'000'000), value("new"), 0, 2000);
  CHECK(t.capacity() == cap);
  CHECK(t.size() == 2);
  CHECK(decoded(t.find(digest(2))) == "y");
  CHECK(decoded(t.find(digest(1'000'000))) == "new");
  CHECK(t.find(digest(1)) == nullptr);
}

TEST_CASE("digest table: grows and keeps every entry", "[cache][digest]") {
  DigestTable t;
  const std::size_t cap = t.capacity();
  for (std::uint64_t i = 0; i < 100'000; ++i) t.put(digest(i), value(std::to_string(i)), 0, 0);
  CHECK(t.size() == 100'000);
  CHECK(t.capacity() > cap);
  CHECK(t.size() * 8 <= t.capacity() * 7);
  CHECK(t.memory_bytes() == t.capacity() * 32);
  for (std::uint64_t i = 0; i < 100'000; i += 997)
    CHECK(decoded(t.find(digest(i))) == std::to_string(i));
  CHECK(t.find(digest(100'000)) == nullptr);
  std::size_t n = 0;
  t.for_each([&](const DigestTable::Slot&) { ++n; });
  CHECK(n == 100'000);
  t.clear();
  CHECK(t.size() == 0);
  CHECK(t.find(digest(5)) == nullptr);
}

TEST_CASE("digest table: random puts and erases agree with a std::unordered_map (collisions)",
          "[cache][digest]") {
  // Few distinct keys in a small table: long probe runs, wrap-around at the
  // end of the array, and backward-shift deletion inside clusters.
  std::mt19937_64 rng(12345);
  DigestTable t;
  std::unordered_map<std::uint64_t, std::string> model;
  for (int step = 0; step < 200'000; ++step) {
    std::uint64_t k = rng() % 1500;
    if (rng() % 3 == 0) {
      CHECK(t.erase(digest(k)) == (model.erase(k) == 1));
    } else {
      std::string v = std::to_string(rng() % 100000);
      t.put(digest(k), value(v), 0, 0);
      model[k] = v;
    }
    if (step % 10'000 == 0) {
      REQUIRE(t.size() == model.size());
      for (std::uint64_t q = 0; q < 1500; ++q) {
        auto it = model.find(q);
        const auto* s = t.find(digest(q));
        REQUIRE((s != nullptr) == (it != model.end()));
        if (s != nullptr) REQUIRE(decoded(s) == it->second);
      }
    }
  }
  CHECK(t.size() == model.size());
}

TEST_CASE("digest table: sweep drops expired entries and shrinks", "[cache][digest]") {
  DigestTable t;
  for (std::uint64_t i = 0; i < 50'000; ++i) t.put(digest(i), value("v"), i < 49'990 ? 10 : 0, 0);
  const std::size_t cap = t.capacity();
  t.sweep(10);
  CHECK(t.size() == 10);
  CHECK(t.capacity() < cap);
  for (std::uint64_t i = 49'990; i < 50'000; ++i) CHECK(t.find(digest(i)) != nullptr);
  CHECK(t.find(digest(0)) == nullptr);
}
