// SPDX-License-Identifier: AGPL-3.0-or-later
// Lookups per second of the ASN lookup expert's prefix table (top-16-bit index
// + bucket binary search) beside a plain binary search over the same sorted
// ranges. Usage: asn_lookup_bench [ipasn.dat]  (default: a synthetic table of
// ~900k IPv4 prefixes shaped like a full BGP table).

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bots/experts/asn_lookup/prefix_table.hpp"

namespace asn = intelflow::bots::asn;

namespace {

asn::PrefixTable synthetic(std::size_t n) {
  std::mt19937_64 rng(7);
  std::vector<asn::Prefix> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    asn::Prefix p;
    const unsigned r = static_cast<unsigned>(rng() % 100);
    p.length = static_cast<std::uint8_t>(r < 60   ? 24
                                         : r < 75 ? 22 + rng() % 2
                                         : r < 95 ? 16 + rng() % 6
                                                  : 8 + rng() % 8);
    std::uint32_t a = static_cast<std::uint32_t>(rng());
    a = (a & 0x00ffffffu) | ((1u + static_cast<std::uint32_t>(rng() % 222)) << 24);
    p.network = a & ~((1u << (32 - p.length)) - 1);
    p.asn = 1 + static_cast<std::uint32_t>(rng() % 70000);
    v.push_back(p);
  }
  return asn::PrefixTable::from_prefixes(std::move(v));
}

template <class F>
double rate(const std::vector<std::uint32_t>& addrs, int rounds, F&& f, std::uint64_t& sink) {
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r)
    for (std::uint32_t a : addrs) {
      const asn::Prefix* p = f(a);
      sink += p ? p->asn : 1;
    }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(addrs.size()) * rounds / s;
}

}  // namespace

int main(int argc, char** argv) {
  asn::PrefixTable table = argc > 1 ? asn::PrefixTable::load_file(argv[1]) : synthetic(900000);
  std::printf("IPv4: %zu prefixes -> %zu ranges\n", table.v4().prefix_count(),
              table.v4().range_count());
  std::mt19937_64 rng(11);
  std::vector<std::uint32_t> addrs(1 << 20);
  for (auto& a : addrs) a = static_cast<std::uint32_t>(rng());
  std::uint64_t sink = 0;
  const int rounds = 5;
  // Warm-up and a consistency check.
  for (std::uint32_t a : addrs)
    if (table.v4().lookup(a) != table.v4().lookup_plain(a)) {
      std::printf("MISMATCH\n");
      return 1;
    }
  const double plain = rate(
      addrs, rounds, [&](std::uint32_t a) { return table.v4().lookup_plain(a); }, sink);
  const double indexed = rate(
      addrs, rounds, [&](std::uint32_t a) { return table.v4().lookup(a); }, sink);
  std::printf("baseline  sorted-vector binary search : %8.1f M lookups/s\n", plain / 1e6);
  std::printf("bot       16-bit index + bucket search: %8.1f M lookups/s  (x%.2f)\n", indexed / 1e6,
              indexed / plain);
  // Text path as the bot runs it: parse the address, then look up.
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 200000; ++i) {
    std::uint32_t a = addrs[i];
    texts.push_back(std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                    std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255));
  }
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& t : texts) {
      const asn::Prefix* p = table.lookup(t);
      sink += p ? p->asn : 1;
    }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("bot       text address (parse+lookup) : %8.1f M lookups/s\n",
              static_cast<double>(texts.size()) * rounds / s / 1e6);
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
  return 0;
}
