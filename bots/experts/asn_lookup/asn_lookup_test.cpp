// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "bots/experts/asn_lookup/prefix_table.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;
namespace asn = intelflow::bots::asn;

namespace {

std::string testdata(const char* name) {
  return std::string(INTELFLOW_SOURCE_DIR) + "/bots/experts/asn_lookup/testdata/" + name;
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() / ("intelflow-asn-" + name);
  std::ofstream(p) << text;
  return p.string();
}

Message run(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, v);
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}

}  // namespace

TEST_CASE("asn_lookup: sets asn and network of both sides", "[experts][asn_lookup]") {
  testing::TestBot bot("experts.asn_lookup.expert",
                       {{"database", Value::string(testdata("ipasn.dat"))}});
  auto r = run(bot, {{"source.ip", Value::string("198.51.100.7")},
                     {"destination.ip", Value::string("10.9.9.9")}});
  CHECK(r.get("source.asn") == Value::integer(64510));
  CHECK(r.get("source.network") == Value::string("198.51.100.0/24"));
  CHECK(r.get("destination.asn") == Value::integer(64500));
  CHECK(r.get("destination.network") == Value::string("10.0.0.0/8"));
}

TEST_CASE("asn_lookup: the most specific prefix wins", "[experts][asn_lookup]") {
  testing::TestBot bot("experts.asn_lookup.expert",
                       {{"database", Value::string(testdata("ipasn.dat"))}});
  CHECK(run(bot, {{"source.ip", Value::string("10.1.2.3")}}).get("source.network") ==
        Value::string("10.1.2.0/24"));
  CHECK(run(bot, {{"source.ip", Value::string("10.1.3.0")}}).get("source.asn") ==
        Value::integer(64501));
  CHECK(run(bot, {{"source.ip", Value::string("10.2.0.0")}}).get("source.asn") ==
        Value::integer(64500));
  CHECK(run(bot, {{"source.ip", Value::string("10.255.255.255")}}).get("source.asn") ==
        Value::integer(64500));
}

TEST_CASE("asn_lookup: IPv6 lookups and host bits of a file prefix are cleared",
          "[experts][asn_lookup]") {
  testing::TestBot bot("experts.asn_lookup.expert",
                       {{"database", Value::string(testdata("ipasn.dat"))}});
  auto r = run(bot, {{"source.ip", Value::string("2001:db8:1:2::7")},
                     {"destination.ip", Value::string("2001:db8:ffff::1")}});
  CHECK(r.get("source.asn") == Value::integer(64521));
  CHECK(r.get("source.network") == Value::string("2001:db8:1::/48"));
  CHECK(r.get("destination.network") == Value::string("2001:db8::/32"));
  auto r2 = run(bot, {{"source.ip", Value::string("203.0.113.1")}});
  CHECK(r2.get("source.network") == Value::string("203.0.113.0/24"));
}

TEST_CASE("asn_lookup: existing values are overwritten, unknown addresses leave the event alone",
          "[experts][asn_lookup]") {
  testing::TestBot bot("experts.asn_lookup.expert",
                       {{"database", Value::string(testdata("ipasn.dat"))}});
  auto r = run(bot, {{"source.ip", Value::string("10.1.2.3")},
                     {"source.asn", Value::integer(1)},
                     {"destination.ip", Value::string("192.0.2.1")},
                     {"destination.asn", Value::integer(2)}});
  CHECK(r.get("source.asn") == Value::integer(64502));
  CHECK(r.get("destination.asn") == Value::integer(2));
  CHECK_FALSE(r.contains("destination.network"));
  auto r2 = run(bot, {{"source.fqdn", Value::string("example.com")}});
  CHECK(r2.size() == 1);
}

TEST_CASE("asn_lookup: a missing or malformed database refuses the start",
          "[experts][asn_lookup]") {
  CHECK_THROWS_AS(testing::TestBot("experts.asn_lookup.expert",
                                   {{"database", Value::string("/nonexistent/ipasn.dat")}}),
                  ConfigError);
  auto bad = write_temp("bad.dat", "; header\n10.0.0.0/8\t64500\n10.0.0.0 64501\n");
  try {
    testing::TestBot("experts.asn_lookup.expert", {{"database", Value::string(bad)}});
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.param() == "database");
    CHECK_THAT(e.what(), Catch::Contains(bad + ":3:"));
  }
  auto zero = write_temp("zero.dat", "10.0.0.0/8\t0\n");
  CHECK_THROWS_WITH(
      testing::TestBot("experts.asn_lookup.expert", {{"database", Value::string(zero)}}),
      Catch::Contains(":1: invalid AS number"));
  auto len = write_temp("len.dat", "10.0.0.0/33\t5\n");
  CHECK_THROWS_WITH(
      testing::TestBot("experts.asn_lookup.expert", {{"database", Value::string(len)}}),
      Catch::Contains("invalid prefix length"));
}

TEST_CASE("asn table: a repeated prefix keeps the later AS number", "[experts][asn_lookup]") {
  auto t = asn::PrefixTable::load_text("192.0.2.0/24\t1\n192.0.2.0/24\t2\n", "mem");
  REQUIRE(t.lookup("192.0.2.9") != nullptr);
  CHECK(t.lookup("192.0.2.9")->asn == 2);
  CHECK(t.lookup("192.0.3.0") == nullptr);
  CHECK_THROWS_AS(t.lookup("not-an-ip"), std::invalid_argument);
}

TEST_CASE("asn table: lookups agree with a brute-force longest prefix match",
          "[experts][asn_lookup]") {
  std::mt19937_64 rng(42);
  std::vector<asn::Prefix> prefixes;
  for (int i = 0; i < 3000; ++i) {
    asn::Prefix p;
    p.length = static_cast<std::uint8_t>(1 + rng() % 32);
    // Cluster networks so that many prefixes nest.
    std::uint32_t addr = static_cast<std::uint32_t>(rng()) & 0xff0fffffu;
    std::uint32_t mask = p.length == 32 ? ~0u : ~((1u << (32 - p.length)) - 1);
    p.network = addr & mask;
    p.asn = static_cast<std::uint32_t>(i + 1);
    prefixes.push_back(p);
  }
  auto table = asn::PrefixTable::from_prefixes(prefixes);
  auto brute = [&](std::uint32_t a) -> const asn::Prefix* {
    const asn::Prefix* best = nullptr;
    for (const auto& p : prefixes) {
      std::uint32_t mask = p.length == 32 ? ~0u : ~((1u << (32 - p.length)) - 1);
      if ((a & mask) == static_cast<std::uint32_t>(p.network) &&
          (best == nullptr || p.length >= best->length))
        best = &p;  // later duplicates win, like the table
    }
    return best;
  };
  for (int i = 0; i < 20000; ++i) {
    std::uint32_t a = static_cast<std::uint32_t>(rng()) & 0xff0fffffu;
    if (i % 3 == 0) a = static_cast<std::uint32_t>(prefixes[rng() % prefixes.size()].network);
    const asn::Prefix* want = brute(a);
    const asn::Prefix* got = table.v4().lookup(a);
    const asn::Prefix* plain = table.v4().lookup_plain(a);
    REQUIRE((want == nullptr) == (got == nullptr));
    REQUIRE(got == plain);
    if (want) {
      REQUIRE(got->asn == want->asn);
      REQUIRE(got->length == want->length);
    }
  }
}
