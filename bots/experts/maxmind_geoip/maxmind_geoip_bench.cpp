// SPDX-License-Identifier: AGPL-3.0-or-later
// Lookups per second of the MaxMind GeoIP expert's structure (libmaxminddb's
// memory-mapped search tree, as the bot uses it: MMDB_lookup_sockaddr, plus
// the decoding of the country code) beside a plain baseline: binary search in
// a sorted vector of the same networks. Usage: maxmind_geoip_bench [N networks]
// (default 200000; a synthetic City database is written to /tmp).

#include <arpa/inet.h>
#include <maxminddb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "bots/experts/maxmind_geoip/mmdb_writer.hpp"

using intelflow::bots::mmdb_test::MmdbWriter;

namespace {

struct Range {
  std::uint32_t first, last;
  std::uint16_t country;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  static const char* kCountries[] = {"AT", "DE", "CH", "NL", "FR", "US", "CN", "BR"};
  // Disjoint /24 networks with a country each.
  std::mt19937_64 rng(3);
  std::vector<std::uint32_t> nets;
  while (nets.size() < n)
    nets.push_back((static_cast<std::uint32_t>(rng()) % 0xdf000000u + 0x01000000u) & 0xffffff00u);
  std::sort(nets.begin(), nets.end());
  nets.erase(std::unique(nets.begin(), nets.end()), nets.end());
  MmdbWriter w;
  std::vector<Range> ranges;
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const auto c = static_cast<std::uint16_t>(i % 8);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%u.%u.%u.0/24", nets[i] >> 24, (nets[i] >> 16) & 255,
                  (nets[i] >> 8) & 255);
    w.insert(buf, MmdbWriter::city_record(kCountries[c], 1.5, 2.5, "City"));
    ranges.push_back({nets[i], nets[i] | 255u, c});
  }
  const std::string path = "/tmp/intelflow-maxmind-bench.mmdb";
  w.write(path);
  MMDB_s db;
  if (MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db) != MMDB_SUCCESS) {
    std::printf("cannot open %s\n", path.c_str());
    return 1;
  }
  std::printf("%zu networks, %u tree nodes\n", ranges.size(), db.metadata.node_count);

  // Half the queries hit a network, half are random.
  std::vector<std::uint32_t> addrs(1 << 20);
  for (std::size_t i = 0; i < addrs.size(); ++i)
    addrs[i] =
        i % 2 ? static_cast<std::uint32_t>(rng()) : (nets[rng() % nets.size()] | (rng() & 255));
  const int rounds = 3;
  std::uint64_t sink = 0;

  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < rounds; ++r)
    for (std::uint32_t a : addrs) {
      auto it = std::upper_bound(ranges.begin(), ranges.end(), a,
                                 [](std::uint32_t x, const Range& rg) { return x < rg.first; });
      if (it != ranges.begin() && a <= (it - 1)->last) sink += (it - 1)->country;
    }
  const double plain = static_cast<double>(addrs.size()) * rounds / seconds_since(t0);

  auto tree_rate = [&](bool decode) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    auto t1 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
      for (std::uint32_t a : addrs) {
        sa.sin_addr.s_addr = htonl(a);
        int err = 0;
        MMDB_lookup_result_s res =
            MMDB_lookup_sockaddr(&db, reinterpret_cast<sockaddr*>(&sa), &err);
        if (!res.found_entry) continue;
        if (!decode) {
          sink += res.netmask;
          continue;
        }
        MMDB_entry_data_s d;
        if (MMDB_get_value(&res.entry, &d, "country", "iso_code", nullptr) == MMDB_SUCCESS &&
            d.has_data)
          sink += static_cast<unsigned char>(d.utf8_string[0]);
      }
    return static_cast<double>(addrs.size()) * rounds / seconds_since(t1);
  };
  const double tree = tree_rate(false);
  const double tree_cc = tree_rate(true);
  std::printf("baseline  sorted-vector binary search      : %8.2f M lookups/s\n", plain / 1e6);
  std::printf("bot       mmdb search tree (lookup only)   : %8.2f M lookups/s  (x%.2f)\n",
              tree / 1e6, tree / plain);
  std::printf("bot       mmdb lookup + country decode     : %8.2f M lookups/s  (x%.2f)\n",
              tree_cc / 1e6, tree_cc / plain);
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
  MMDB_close(&db);
  return 0;
}
