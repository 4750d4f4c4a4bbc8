// SPDX-License-Identifier: AGPL-3.0-or-later
// cache_bench: the embedded cache under the deduplicator's load (batches of
// exists_many + set_many of SHA-256 hex keys with replay markers as values),
// beside plain baselines in the same run: std::unordered_set<std::string> of
// the hex keys, and std::unordered_map<std::string, std::string> key → marker.
// Prints ops/s (one op = one key looked up and, if absent, stored) and the
// resident memory each structure adds. Times are CPU seconds of the thread.
//
//   cache_bench [--keys N] [--dup-percent P] [--batch B] [--dir DIR]

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bots/common/cache.hpp"
#include "bots/common/digest_table.hpp"

namespace {

using intelflow::bots::EmbeddedCache;

/// CPU time of this thread (the machine may be shared: wall time is noisy).
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

double seconds_since(double t0) {
  return Clock::now() - t0;
}

/// Resident set size in KiB (after returning free heap memory to the OS).
long rss_kib() {
  ::malloc_trim(0);
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

struct Workload {
  std::vector<std::string> keys;  ///< in arrival order, with repeats
  std::vector<std::string> markers;
  std::size_t unique = 0;
};

Workload make_workload(std::size_t n, unsigned dup_percent) {
  Workload w;
  std::mt19937_64 rng(1);
  w.keys.reserve(n);
  w.markers.reserve(n);
  char buf[65];
  for (std::size_t i = 0; i < n; ++i) {
    if (!w.keys.empty() && rng() % 100 < dup_percent) {
      w.keys.push_back(w.keys[rng() % w.keys.size()]);
    } else {
      std::uint64_t x[4] = {rng(), rng(), rng(), rng()};
      std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                    static_cast<unsigned long long>(x[0]), static_cast<unsigned long long>(x[1]),
                    static_cast<unsigned long long>(x[2]), static_cast<unsigned long long>(x[3]));
      w.keys.emplace_back(buf);
      ++w.unique;
    }
    w.markers.push_back(intelflow::bots::replay_marker(1 + i / 10'000, i));
  }
  return w;
}

void report(const char* name, std::size_t ops, double secs, long rss_before, long rss_after,
            std::size_t stored, double extra_secs = -1, const char* extra_name = nullptr) {
  std::printf(
      "%-44s %9.0f ops/s  %7.3f s  +%7.1f MiB  (%5.1f B/key, %zu keys)", name,
      static_cast<double>(ops) / secs, secs, static_cast<double>(rss_after - rss_before) / 1024.0,
      static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(stored), stored);
  if (extra_name != nullptr) std::printf("  %s %.3f s", extra_name, extra_secs);
  std::printf("\n");
}

/// The deduplicator's pattern on an embedded cache: per batch one
/// exists_many, then set_many of the keys not found (a repeat inside one
/// batch, rare here, is simply stored twice).
std::size_t run_cache(EmbeddedCache& c, const Workload& w, std::size_t batch, bool flush) {
  std::vector<std::string_view> keys, skeys, svals;
  std::vector<char> found;
  std::size_t stored = 0;
  for (std::size_t off = 0; off < w.keys.size(); off += batch) {
    std::size_t end = std::min(w.keys.size(), off + batch);
    keys.clear();
    for (std::size_t i = off; i < end; ++i) keys.emplace_back(w.keys[i]);
    c.exists_many(keys, found);
    skeys.clear();
    svals.clear();
    for (std::size_t j = 0; j < keys.size(); ++j) {
      if (found[j]) continue;
      skeys.push_back(keys[j]);
      svals.emplace_back(w.markers[off + j]);
    }
    c.set_many(skeys, svals);
    stored += skeys.size();
    if (flush) c.flush();
  }
  return stored;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1'000'000;
  unsigned dup = 10;
  std::size_t batch = 256;
  std::string dir = "/tmp/intelflow-cache-bench-" + std::to_string(::getpid());
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view a = argv[i];
    if (a == "--keys")
      n = std::stoull(argv[i + 1]);
    else if (a == "--dup-percent")
      dup = static_cast<unsigned>(std::stoul(argv[i + 1]));
    else if (a == "--batch")
      batch = std::stoull(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
  }
  Workload w = make_workload(n, dup);
  std::printf("cache_bench: %zu lookups, %zu distinct keys, batch %zu\n", n, w.unique, batch);

  {  // baseline 1: a set of the hex strings
    long r0 = rss_kib();
    auto t0 = Clock::now();
    auto* s = new std::unordered_set<std::string>();
    for (const auto& k : w.keys) s->insert(k);
    double secs = seconds_since(t0);
    long r1 = rss_kib();
    auto t1 = Clock::now();
    delete s;
    report("baseline unordered_set<string> (hex key)", n, secs, r0, r1, w.unique, seconds_since(t1),
           "destroy");
  }
  {  // baseline 2: key → marker, the previous embedded cache's layout minus expiry
    long r0 = rss_kib();
    auto t0 = Clock::now();
    auto* m = new std::unordered_map<std::string, std::string>();
    for (std::size_t i = 0; i < n; ++i) m->try_emplace(w.keys[i], w.markers[i]);
    double secs = seconds_since(t0);
    long r1 = rss_kib();
    auto t1 = Clock::now();
    delete m;
    report("baseline unordered_map<string,string>", n, secs, r0, r1, w.unique, seconds_since(t1),
           "destroy");
  }
  {  // the embedded cache in memory only
    long r0 = rss_kib();
    auto t0 = Clock::now();
    auto* c = new EmbeddedCache("", 86400);
    std::size_t stored = run_cache(*c, w, batch, false);
    double secs = seconds_since(t0);
    long r1 = rss_kib();
    auto t1 = Clock::now();
    delete c;
    report("EmbeddedCache (memory only)", n, secs, r0, r1, stored, seconds_since(t1), "destroy");
  }
  {  // with its log, flushed per batch as the deduplicator does
    std::filesystem::remove_all(dir);
    long r0 = rss_kib();
    auto t0 = Clock::now();
    auto* c = new EmbeddedCache(dir, 86400);
    std::size_t stored = run_cache(*c, w, batch, true);
    double secs = seconds_since(t0);
    long r1 = rss_kib();
    auto log = std::filesystem::file_size(c->log_path());
    auto t1 = Clock::now();
    delete c;
    report("EmbeddedCache (log, flush per batch)", n, secs, r0, r1, stored, seconds_since(t1),
           "destroy");
    std::printf("%-44s %.1f MiB (%.1f B/key)\n", "  log size", static_cast<double>(log) / 1048576.0,
                static_cast<double>(log) / static_cast<double>(stored));
    long r2 = rss_kib();
    auto t2 = Clock::now();
    auto* again = new EmbeddedCache(dir, 86400);
    double load = seconds_since(t2);
    long r3 = rss_kib();
    std::printf("%-44s %9.0f keys/s  %7.3f s  +%7.1f MiB  (%zu keys)\n", "  restart (load the log)",
                static_cast<double>(again->size()) / load, load,
                static_cast<double>(r3 - r2) / 1024.0, again->size());
    delete again;
    std::filesystem::remove_all(dir);
  }
  return 0;
}
