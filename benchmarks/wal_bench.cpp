// SPDX-License-Identifier: AGPL-3.0-or-later
// WAL benchmark: append throughput (MB/s, records/s) under fsync always /
// interval / never, for 1 MiB report chunks and 1 KiB records, from one and
// from several appending threads (group commit), beside a plain baseline (a
// loop of write + fdatasync of the same bytes to a plain file); then recovery
// speed: open a log of --size-mb of un-acknowledged records and time the scan.
//
// usage: wal_bench [--dir D] [--size-mb N] [--case-mb N] [--seconds S] [--threads T]
//   --dir      where the logs are written (default: $TMPDIR/wal_bench-<pid>), removed after
//   --size-mb  size of the log recovered (default 1024)
//   --case-mb  at most this much is appended per append case (default 512)
//   --seconds  at most this long per append case (default 3)
//   --threads  appending threads of the group-commit cases (default 4)

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "engine/wal/wal.hpp"

namespace fs = std::filesystem;
using namespace intelflow::wal;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  std::string dir;
  std::uint64_t size_mb = 1024;
  std::uint64_t case_mb = 512;
  double seconds = 3;
  int threads = 4;
};

struct Result {
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  double secs = 0;
  double mbps() const { return secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0; }
  double rps() const { return secs > 0 ? static_cast<double>(records) / secs : 0; }
};

const char* name(Fsync f) {
  return f == Fsync::Always ? "always" : f == Fsync::Interval ? "interval" : "never";
}

std::string size_name(std::size_t n) {
  return n >= (1u << 20) ? fmt::format("{} MiB", n >> 20) : fmt::format("{} KiB", n >> 10);
}

/// A record body like a report chunk: CSV-ish text, not compressible to nothing.
std::string make_payload(std::size_t n) {
  std::string s;
  s.reserve(n);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s += fmt::format("2024-06-{:02d}T10:00:00Z,{}.{}.{}.{},http://example{}.com/x,{},malware\n",
                     1 + x % 28, 1 + (x >> 8) % 223, (x >> 16) % 256, (x >> 24) % 256,
                     (x >> 32) % 256, (x >> 40) % 100000, 64000 + (x >> 48) % 1000);
  }
  s.resize(n);
  return s;
}

/// `threads` threads call append_durable until the byte or time budget is spent.
Result append_case(const Config& c, Fsync policy, const std::string& payload, int threads) {
  std::string dir = c.dir + "/append";
  fs::remove_all(dir);
  Options o;
  o.dir = dir;
  o.fsync = policy;
  o.max_bytes = ~0ull;  // nothing is acknowledged here: never block on space
  RecoveryReport rr;
  Result res;
  {
    Wal w(o, rr);
    const std::uint64_t budget = c.case_mb << 20;
    std::atomic<std::uint64_t> bytes{0}, records{0};
    const auto t0 = Clock::now();
    const auto deadline = t0 + std::chrono::duration<double>(c.seconds);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&] {
        while (bytes.load(std::memory_order_relaxed) < budget && Clock::now() < deadline) {
          w.append_durable(payload);
          bytes.fetch_add(payload.size(), std::memory_order_relaxed);
          records.fetch_add(1, std::memory_order_relaxed);
        }
      });
    for (auto& t : ts) t.join();
    res.secs = std::chrono::duration<double>(Clock::now() - t0).count();
    res.bytes = bytes.load();
    res.records = records.load();
    w.close();
  }
  fs::remove_all(dir);
  return res;
}

/// The baseline: write + fdatasync of the same bytes, in a loop, to a plain
/// file (growing: every sync also commits the new file size), or, with
/// `preallocate`, into a file allocated beforehand (as WAL segments are).
Result baseline_case(const Config& c, const std::string& payload, bool preallocate) {
  std::string path = c.dir + "/baseline.dat";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  Result res;
  const std::uint64_t budget = c.case_mb << 20;
  if (preallocate) {
    // Enough for what the time budget can write at most.
    (void)::posix_fallocate(fd, 0, static_cast<off_t>(budget + payload.size()));
    ::fdatasync(fd);
  }
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(c.seconds);
  while (res.bytes < budget && Clock::now() < deadline) {
    std::size_t off = 0;
    while (off < payload.size()) {
      ssize_t n = ::write(fd, payload.data() + off, payload.size() - off);
      if (n < 0) {
        std::perror("write");
        std::exit(1);
      }
      off += static_cast<std::size_t>(n);
    }
    if (::fdatasync(fd) != 0) {
      std::perror("fdatasync");
      std::exit(1);
    }
    res.bytes += payload.size();
    ++res.records;
  }
  res.secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);
  fs::remove(path);
  return res;
}

struct RecoveryResult {
  std::uint64_t records = 0;
  std::uint64_t segments = 0;
  std::uint64_t bytes_scanned = 0;
  double build_secs = 0;
  double warm_secs = 0;
  double cold_secs = 0;
};

/// Evicts a synced file's pages from the page cache (only this file's).
void evict(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".wal") continue;
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

/// Writes size_mb of un-acknowledged records, then opens (recovers) the log
/// twice: after evicting its pages from the page cache (cold), then again
/// with them cached (warm).
RecoveryResult recovery_case(const Config& c, std::size_t record_size) {
  std::string dir = c.dir + "/recovery";
  fs::remove_all(dir);
  Options o;
  o.dir = dir;
  o.fsync = Fsync::Never;
  o.max_bytes = ~0ull;
  RecoveryResult res;
  const std::string payload = make_payload(record_size);
  const std::uint64_t n = std::max<std::uint64_t>(1, (c.size_mb << 20) / record_size);
  {
    const auto t0 = Clock::now();
    RecoveryReport rr;
    Wal w(o, rr);
    std::uint64_t last = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
      last = w.append(payload);
      // Keep the queue (memory) short: wait every 64 MiB.
      if ((i + 1) % std::max<std::uint64_t>(1, (64u << 20) / record_size) == 0)
        w.wait_durable(last);
    }
    w.wait_durable(last);
    w.close();
    res.build_secs = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  // Each open runs in a fresh child process (a daemon starting up): the
  // allocator has no memory left over from an earlier pass to reuse.
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 0) evict(dir);  // cold: the log's pages are not cached
    int fds[2];
    if (::pipe(fds) != 0) std::exit(1);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      const auto t0 = Clock::now();
      RecoveryReport rr;
      Wal w(o, rr);
      double out[4] = {std::chrono::duration<double>(Clock::now() - t0).count(),
                       static_cast<double>(rr.pending.size()), static_cast<double>(rr.segments),
                       static_cast<double>(rr.bytes_scanned)};
      w.close();
      (void)!::write(fds[1], out, sizeof out);
      ::_exit(0);
    }
    ::close(fds[1]);
    double in[4] = {0, 0, 0, 0};
    const bool got = ::read(fds[0], in, sizeof in) == static_cast<ssize_t>(sizeof in);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!got || static_cast<std::uint64_t>(in[1]) != n) {
      std::fprintf(stderr, "wal_bench: recovery returned %.0f records, expected %llu\n", in[1],
                   static_cast<unsigned long long>(n));
      std::exit(1);
    }
    res.records = static_cast<std::uint64_t>(in[1]);
    res.segments = static_cast<std::uint64_t>(in[2]);
    res.bytes_scanned = static_cast<std::uint64_t>(in[3]);
    (pass == 0 ? res.cold_secs : res.warm_secs) = in[0];
  }
  fs::remove_all(dir);
  return res;
}

bool parse_args(int argc, char** argv, Config& c) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--dir" && (v = next()))
      c.dir = v;
    else if (a == "--size-mb" && (v = next()))
      c.size_mb = std::strtoull(v, nullptr, 10);
    else if (a == "--case-mb" && (v = next()))
      c.case_mb = std::strtoull(v, nullptr, 10);
    else if (a == "--seconds" && (v = next()))
      c.seconds = std::atof(v);
    else if (a == "--threads" && (v = next()))
      c.threads = std::max(1, std::atoi(v));
    else {
      std::fprintf(stderr,
                   "usage: wal_bench [--dir D] [--size-mb N] [--case-mb N] [--seconds S] "
                   "[--threads T]\n");
      return false;
    }
  }
  if (c.size_mb == 0) c.size_mb = 1;
  if (c.case_mb == 0) c.case_mb = 1;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  if (!parse_args(argc, argv, c)) return 2;
  bool own_dir = c.dir.empty();
  if (own_dir)
    c.dir = (fs::temp_directory_path() / fmt::format("wal_bench-{}", ::getpid())).string();
  fs::create_directories(c.dir);

  fmt::print("WAL append: append_durable() per record, 64 MiB preallocated segments, dir {}\n",
             c.dir);
  fmt::print("(each case: at most {} MiB or {:.1f} s; interval = 50 ms)\n\n", c.case_mb, c.seconds);
  fmt::print("{:<26} {:>8} {:>7} {:>10} {:>9} {:>7} {:>9} {:>11}\n", "case", "record", "threads",
             "records", "MB", "secs", "MB/s", "records/s");
  auto row = [](const std::string& label, std::size_t rec, int threads, const Result& r) {
    fmt::print("{:<26} {:>8} {:>7} {:>10} {:>9.1f} {:>7.2f} {:>9.1f} {:>11.0f}\n", label,
               size_name(rec), threads, r.records, static_cast<double>(r.bytes) / 1e6, r.secs,
               r.mbps(), r.rps());
    std::fflush(stdout);
  };
  double always_1m = 0, base_1m = 0, always_1k_group = 0, base_1k = 0;
  for (std::size_t rec : {std::size_t{1} << 20, std::size_t{1} << 10}) {
    const std::string payload = make_payload(rec);
    Result b = baseline_case(c, payload, false);
    row("baseline write+fdatasync", rec, 1, b);
    row("  same, preallocated file", rec, 1, baseline_case(c, payload, true));
    if (rec == (1u << 20)) base_1m = b.mbps();
    if (rec == (1u << 10)) base_1k = b.rps();
    for (Fsync f : {Fsync::Always, Fsync::Interval, Fsync::Never}) {
      for (int threads : {1, c.threads}) {
        Result r = append_case(c, f, payload, threads);
        row(fmt::format("wal fsync={}", name(f)), rec, threads, r);
        if (f == Fsync::Always && rec == (1u << 20) && threads == 1) always_1m = r.mbps();
        if (f == Fsync::Always && rec == (1u << 10) && threads == c.threads)
          always_1k_group = r.rps();
      }
    }
    fmt::print("\n");
  }

  fmt::print(
      "WAL recovery: open a log of {} MiB of un-acknowledged records (scan, CRC, collect)\n\n",
      c.size_mb);
  fmt::print("{:<10} {:>10} {:>9} {:>10} {:>10} {:>12} {:>10} {:>12}\n", "record", "records",
             "segments", "MB", "build s", "cold s", "cold MB/s", "warm MB/s");
  double cold_1m = 0;
  for (std::size_t rec : {std::size_t{1} << 20, std::size_t{1} << 10}) {
    RecoveryResult r = recovery_case(c, rec);
    const double mb = static_cast<double>(r.bytes_scanned) / 1e6;
    fmt::print("{:<10} {:>10} {:>9} {:>10.1f} {:>10.2f} {:>12.3f} {:>10.0f} {:>12.0f}\n",
               size_name(rec), r.records, r.segments, mb, r.build_secs, r.cold_secs,
               mb / r.cold_secs, mb / r.warm_secs);
    if (rec == (1u << 20)) cold_1m = mb / r.cold_secs;
    std::fflush(stdout);
  }
  if (own_dir) fs::remove_all(c.dir);
  fmt::print(
      "\nwal_bench: done. fsync=always 1 MiB x1: {:.0f} MB/s (baseline {:.0f} MB/s); "
      "1 KiB x{}: {:.0f} records/s (baseline {:.0f}); recovery (cold) {:.0f} MB/s\n",
      always_1m, base_1m, c.threads, always_1k_group, base_1k, cold_1m);
  return 0;
}
