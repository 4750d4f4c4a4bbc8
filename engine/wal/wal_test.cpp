// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <unistd.h>

#include "engine/wal/wal.hpp"

namespace fs = std::filesystem;
using namespace intelflow::wal;

namespace {
std::string fresh_dir(const std::string& name) {
  // The pid keeps concurrent runs of this binary (other build dirs) apart.
  auto d = fs::temp_directory_path() / ("intelflow-wal-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  return d.string();
}
Options small(const std::string& dir) {
  Options o;
  o.dir = dir;
  o.segment_bytes = 4096;
  return o;
}
std::vector<std::string> wal_files(const std::string& dir) {
  std::vector<std::string> v;
  for (auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".wal") v.push_back(e.path().string());
  std::sort(v.begin(), v.end());
  return v;
}
}  // namespace

TEST_CASE("wal: unacknowledged records are replayed after a restart, acknowledged ones are not",
          "[wal]") {
  auto dir = fresh_dir("replay");
  std::vector<std::uint64_t> seqs;
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    CHECK(r.pending.empty());
    for (int i = 0; i < 50; ++i) seqs.push_back(w.append_durable("record " + std::to_string(i), 7));
    for (int i = 0; i < 50; i += 2) w.ack(seqs[static_cast<std::size_t>(i)]);
    w.close();
  }
  RecoveryReport r;
  Wal w(small(dir), r);
  REQUIRE(r.pending.size() == 25);
  for (std::size_t k = 0; k < r.pending.size(); ++k) {
    CHECK(r.pending[k].payload == "record " + std::to_string(2 * k + 1));
    CHECK(r.pending[k].source == 7);
  }
  // Sequence numbers keep growing across restarts.
  CHECK(w.append("next") > seqs.back());
}

TEST_CASE("wal: a second process on the same directory is refused", "[wal]") {
  auto dir = fresh_dir("lock");
  RecoveryReport r1, r2;
  Wal w(small(dir), r1);
  // flock locks are per open file description: a second open in this process conflicts too.
  CHECK_THROWS_WITH(Wal(small(dir), r2), Catch::Contains("in use by another intelflow process"));
}

TEST_CASE("wal: acknowledged segments are deleted, disk use follows what is in flight", "[wal]") {
  auto dir = fresh_dir("retire");
  RecoveryReport r;
  Wal w(small(dir), r);
  std::string payload(1000, 'x');
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 40; ++i) seqs.push_back(w.append_durable(payload));
  CHECK(wal_files(dir).size() >= 8);
  for (auto s : seqs) w.ack(s);
  // One more durable append pushes the ACKs through the writer.
  auto last = w.append_durable("tail");
  CHECK(wal_files(dir).size() <= 2);
  w.ack(last);
  w.close();
  RecoveryReport r2;
  Wal w2(small(dir), r2);
  CHECK(r2.pending.empty());
}

TEST_CASE("wal: a torn tail is truncated and everything before it survives", "[wal]") {
  auto dir = fresh_dir("torn");
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    for (int i = 0; i < 3; ++i) w.append_durable("keep " + std::to_string(i));
    w.close();
  }
  auto files = wal_files(dir);
  REQUIRE(!files.empty());
  auto last = files.back();
  // Append half a record of garbage where the next record would start.
  auto sz = fs::file_size(last);
  {
    std::fstream f(last, std::ios::in | std::ios::out | std::ios::binary);
    // find end of valid data: the first zero header after our records
    std::string buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::size_t end = buf.find(std::string(24, '\0'));
    REQUIRE(end != std::string::npos);
    f.seekp(static_cast<std::streamoff>(end));
    f.write("\x30\x00\x00\x00garbage-torn", 16);
  }
  (void)sz;
  RecoveryReport r;
  Wal w(small(dir), r);
  CHECK(r.torn_tail_bytes > 0);
  REQUIRE(r.pending.size() == 3);
  CHECK(r.pending[2].payload == "keep 2");
}

TEST_CASE("wal: flipped bytes in an old segment are quarantined, intact records survive", "[wal]") {
  auto dir = fresh_dir("corrupt");
  std::string payload(600, 'y');
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    for (int i = 0; i < 20; ++i) w.append_durable(payload + std::to_string(i));
    w.close();
  }
  auto files = wal_files(dir);
  REQUIRE(files.size() >= 3);
  {
    // Flip a byte inside the second record of the first segment.
    std::fstream f(files.front(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(700);
    f.put('\x5A');
  }
  RecoveryReport r;
  Wal w(small(dir), r);
  CHECK(r.corrupt_regions == 1);
  CHECK(r.quarantined.size() == 1);
  CHECK(fs::exists(r.quarantined.front()));
  // Exactly one record was lost to the corruption; all others are replayed.
  CHECK(r.pending.size() == 19);
}

TEST_CASE("wal: a zero-filled segment or a garbage checkpoint does not stop recovery", "[wal]") {
  auto dir = fresh_dir("zero");
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    w.append_durable("one");
    w.close();
  }
  std::ofstream(dir + "/00000000000000999999.wal", std::ios::binary) << std::string(4096, '\0');
  std::ofstream(dir + "/checkpoint") << "garbage";
  RecoveryReport r;
  Wal w(small(dir), r);
  REQUIRE(r.pending.size() == 1);
  CHECK(r.pending[0].payload == "one");
  CHECK(!r.notes.empty());
}

TEST_CASE("wal: appends block at the byte bound until acknowledgements free space", "[wal]") {
  auto dir = fresh_dir("bound");
  Options o = small(dir);
  o.max_bytes = 3 * 4096;
  RecoveryReport r;
  Wal w(o, r);
  std::string payload(1500, 'z');
  std::vector<std::uint64_t> seqs;
  // Two records per segment: four records fill two of the three allowed segments.
  for (int i = 0; i < 4; ++i) seqs.push_back(w.append_durable(payload));
  std::atomic<int> appended{0};
  std::thread t([&] {
    for (int i = 0; i < 4; ++i) {
      w.append_durable(payload);
      ++appended;
    }
  });
  // The third segment fills, then the appender waits for space...
  while (w.live_bytes() < o.max_bytes) std::this_thread::yield();
  CHECK(appended.load() < 4);
  // ...which acknowledgements free.
  for (auto s : seqs) w.ack(s);
  t.join();
  CHECK(appended.load() == 4);
  CHECK(w.live_bytes() <= o.max_bytes + 2 * o.segment_bytes);
}

TEST_CASE("wal: concurrent appenders share group commits", "[wal]") {
  auto dir = fresh_dir("group");
  Options o;
  o.dir = dir;
  o.segment_bytes = 1 << 20;
  RecoveryReport r;
  Wal w(o, r);
  std::vector<std::thread> ts;
  std::mutex mu;
  std::set<std::uint64_t> seen;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto s = w.append_durable("t" + std::to_string(t) + "-" + std::to_string(i));
        std::lock_guard lk(mu);
        seen.insert(s);
      }
    });
  for (auto& th : ts) th.join();
  CHECK(seen.size() == 800);
  w.close();
  RecoveryReport r2;
  Wal w2(o, r2);
  CHECK(r2.pending.size() == 800);
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}
bool contains_in_wal(const std::string& dir, const std::string& needle) {
  for (const auto& f : wal_files(dir))
    if (slurp(f).find(needle) != std::string::npos) return true;
  return false;
}
/// Offsets of the record starts in a segment (walks the length fields).
std::vector<std::size_t> record_offsets(const std::string& seg) {
  std::string b = slurp(seg);
  std::vector<std::size_t> v;
  std::size_t off = 0;
  while (off + 24 <= b.size()) {
    std::uint32_t len;
    std::memcpy(&len, b.data() + off, 4);
    if (len == 0 && b[off + 16] == 0) break;
    v.push_back(off);
    off += 24 + ((len + 7) & ~std::size_t{7});
  }
  return v;
}
}  // namespace

TEST_CASE("wal: a power loss drops what was written but not synced (fsync never)", "[wal]") {
  auto dir = fresh_dir("power-never");
  Options o = small(dir);
  o.fsync = Fsync::Never;
  {
    RecoveryReport r;
    Wal w(o, r);
    for (int i = 0; i < 5; ++i) w.append_durable("unsynced-" + std::to_string(i));
    // The records did reach the file (page cache)...
    REQUIRE(contains_in_wal(dir, "unsynced-4"));
    w.simulate_power_loss_for_test();
  }
  // ...but not the disk.
  CHECK_FALSE(contains_in_wal(dir, "unsynced-"));
  RecoveryReport r;
  Wal w(o, r);
  CHECK(r.pending.empty());
  CHECK(r.torn_tail_bytes == 0);
}

TEST_CASE("wal: with fsync always every record reported durable survives a power loss", "[wal]") {
  auto dir = fresh_dir("power-always");
  std::string payload(700, 'a');
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    for (int i = 0; i < 30; ++i) w.append_durable(payload + std::to_string(i));
    w.simulate_power_loss_for_test();
  }
  RecoveryReport r;
  Wal w(small(dir), r);
  REQUIRE(r.pending.size() == 30);
  CHECK(r.pending.back().payload == payload + "29");
  CHECK(r.corrupt_regions == 0);
}

TEST_CASE("wal: a power loss keeps the synced prefix (fsync interval, synced at segment rolls)",
          "[wal]") {
  auto dir = fresh_dir("power-interval");
  Options o = small(dir);
  o.fsync = Fsync::Interval;
  o.interval_ms = 3600 * 1000;  // never within the test: only segment rolls sync
  std::string payload(1000, 'i');
  {
    RecoveryReport r;
    Wal w(o, r);
    for (int i = 0; i < 20; ++i) w.append_durable(payload + std::to_string(i));
    REQUIRE(wal_files(dir).size() >= 3);
    w.simulate_power_loss_for_test();
  }
  RecoveryReport r;
  Wal w(o, r);
  // Three records fit a 4 KiB segment: the rolled (synced) segments survive
  // whole, the records of the last one are gone.
  REQUIRE(!r.pending.empty());
  CHECK(r.pending.size() < 20);
  CHECK(r.pending.size() % 3 == 0);
  for (std::size_t k = 0; k < r.pending.size(); ++k)
    CHECK(r.pending[k].payload == payload + std::to_string(k));
}

TEST_CASE("wal: a torn record left by a power loss is cut off as a torn tail", "[wal]") {
  auto dir = fresh_dir("power-torn");
  Options o = small(dir);
  o.fsync = Fsync::Never;
  ::setenv("INTELFLOW_POWER_LOSS_TAIL", "garbage", 1);
  {
    RecoveryReport r;
    Wal w(o, r);
    w.append_durable("lost");
    w.simulate_power_loss_for_test();
  }
  ::unsetenv("INTELFLOW_POWER_LOSS_TAIL");
  RecoveryReport r;
  Wal w(o, r);
  CHECK(r.pending.empty());
  CHECK(r.torn_tail_bytes > 0);
  CHECK(r.quarantined.empty());
}

TEST_CASE(
    "wal: a damaged record inside the segment being written does not cut off the records "
    "after it",
    "[wal]") {
  auto dir = fresh_dir("mid-last");
  Options o;
  o.dir = dir;
  o.segment_bytes = 1 << 20;
  {
    RecoveryReport r;
    Wal w(o, r);
    for (int i = 0; i < 10; ++i) w.append_durable("record-" + std::to_string(i));
    w.close();
  }
  auto files = wal_files(dir);
  REQUIRE(files.size() == 1);
  auto offs = record_offsets(files[0]);
  REQUIRE(offs.size() == 10);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offs[4] + 26));  // a payload byte of record-4
    f.put('#');
  }
  RecoveryReport r;
  Wal w(o, r);
  REQUIRE(r.pending.size() == 9);
  CHECK(r.pending[4].payload == "record-5");
  CHECK(r.pending[8].payload == "record-9");
  CHECK(r.corrupt_regions == 1);
  CHECK(r.lost_records == 1);
  REQUIRE(r.quarantined.size() == 1);
  bool reported = false;
  for (const auto& n : r.notes)
    if (n.find("1 of them un-acknowledged and LOST") != std::string::npos) reported = true;
  CHECK(reported);
}

TEST_CASE("wal: a damaged region that held only acknowledged records loses nothing", "[wal]") {
  auto dir = fresh_dir("mid-acked");
  Options o;
  o.dir = dir;
  o.segment_bytes = 1 << 20;
  {
    RecoveryReport r;
    Wal w(o, r);
    std::vector<std::uint64_t> seqs;
    for (int i = 0; i < 6; ++i) seqs.push_back(w.append_durable("rec-" + std::to_string(i)));
    w.ack(seqs[1]);
    w.close();
  }
  auto files = wal_files(dir);
  auto offs = record_offsets(files[0]);
  REQUIRE(offs.size() >= 7);  // six DATA records and at least one ACK
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offs[1] + 4));  // the checksum of rec-1
    f.put('\x01');
  }
  RecoveryReport r;
  Wal w(o, r);
  CHECK(r.pending.size() == 5);
  CHECK(r.lost_records == 0);
  bool reported = false;
  for (const auto& n : r.notes)
    if (n.find("all already acknowledged: nothing lost") != std::string::npos) reported = true;
  CHECK(reported);
}

TEST_CASE("wal: zeros in the middle of a segment are skipped, the records after them replayed",
          "[wal]") {
  auto dir = fresh_dir("zero-hole");
  Options o;
  o.dir = dir;
  o.segment_bytes = 1 << 20;
  std::string payload(200, 'h');
  {
    RecoveryReport r;
    Wal w(o, r);
    for (int i = 0; i < 8; ++i) w.append_durable(payload + std::to_string(i));
    w.close();
  }
  auto files = wal_files(dir);
  auto offs = record_offsets(files[0]);
  REQUIRE(offs.size() == 8);
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(offs[2]));
    std::string zeros(offs[4] - offs[2], '\0');  // records 2 and 3
    f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  RecoveryReport r;
  Wal w(o, r);
  REQUIRE(r.pending.size() == 6);
  CHECK(r.pending[2].payload == payload + "4");
  CHECK(r.lost_records == 2);
}

TEST_CASE("wal: a truncated older segment is quarantined, later segments are intact", "[wal]") {
  auto dir = fresh_dir("truncated-old");
  std::string payload(1000, 't');
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    for (int i = 0; i < 12; ++i) w.append_durable(payload + std::to_string(i));
    w.close();
  }
  auto files = wal_files(dir);
  REQUIRE(files.size() >= 3);
  auto offs = record_offsets(files[0]);
  REQUIRE(offs.size() == 3);
  fs::resize_file(files[0], offs[2] + 100);  // cut inside the third record
  RecoveryReport r;
  Wal w(small(dir), r);
  CHECK(r.pending.size() == 11);
  CHECK(r.lost_records == 1);
  CHECK(r.quarantined.size() == 1);
  CHECK(r.pending[2].payload == payload + "3");
}

TEST_CASE("wal: the latest output position survives restarts that retire its segment", "[wal]") {
  // An output position recorded in a run, then runs that only append and
  // acknowledge: the segment holding the position is retired, but every later
  // recovery still finds the position (carried into the next run's segment).
  auto dir = fresh_dir("output-carry");
  std::string payload(1000, 'x');
  {
    RecoveryReport r;
    Wal w(small(dir), r);
    auto s = w.append_durable("report");
    w.append_output("out", "out\n12345\n1\n");
    w.ack(s);
    w.append_durable("flush");  // pushes the ACK and the position through the writer
    w.close();
  }
  for (int run = 0; run < 3; ++run) {
    RecoveryReport r;
    Wal w(small(dir), r);
    REQUIRE(!r.outputs.empty());
    CHECK(r.outputs.back() == "out\n12345\n1\n");
    for (auto& p : r.pending) w.ack(p.seq);
    // Enough traffic to roll segments and retire the older ones.
    for (int i = 0; i < 12; ++i) w.ack(w.append_durable(payload));
    w.append_durable("tail");
    w.close();
  }
}
