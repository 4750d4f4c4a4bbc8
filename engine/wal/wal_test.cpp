// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "engine/wal/wal.hpp"

namespace fs = std::filesystem;
using namespace intelflow::wal;

namespace {
std::string fresh_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("intelflow-wal-" + name);
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
