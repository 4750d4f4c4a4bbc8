// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;
namespace fs = std::filesystem;

namespace {

const char* kModule = "intelmq.bots.collectors.file.collector_file";

std::string b64decode(const std::string& in) {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    auto p = kAlpha.find(c);
    if (p == std::string::npos) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

/// A fresh scratch directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name) {
    path = fs::temp_directory_path() /
           ("intelflow-filecollector-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(path / name, std::ios::binary) << content;
  }
};

void collect(testing::TestBot& t, testing::CaptureEmitter& out) {
  auto* c = dynamic_cast<CollectorBot*>(t.bot.get());
  REQUIRE(c != nullptr);
  c->collect(out);
}

std::vector<std::pair<std::string, Value>> params(const TempDir& d,
                                                  std::vector<std::pair<std::string, Value>> more) {
  more.emplace_back("path", Value::string(d.path.string()));
  return more;
}

}  // namespace

TEST_CASE("file collector: one report per matching file, in name order",
          "[collectors][file_collector]") {
  TempDir d("basic");
  d.write("b.txt", "second\n");
  d.write("a.txt", "Lorem ipsum\n");
  d.write("c.csv", "not matching\n");
  d.write("empty.txt", "");
  fs::create_directories(d.path / "dir.txt");
  testing::TestBot t(kModule, params(d, {{"postfix", Value::string(".txt")},
                                         {"name", Value::string("Example feed")}}));
  testing::CaptureEmitter out;
  collect(t, out);
  auto& reports = out.sent["_default"];
  REQUIRE(reports.size() == 2);
  CHECK(b64decode(reports[0].get("raw").as_string()) == "Lorem ipsum\n");
  CHECK(reports[0].get("extra.file_name") == Value::string("a.txt"));
  CHECK(reports[0].get("feed.url") ==
        Value::string("file://localhost" + (d.path / "a.txt").string()));
  CHECK(reports[0].get("feed.name") == Value::string("Example feed"));
  CHECK(reports[0].get("feed.accuracy") == Value::floating(100.0));
  CHECK(reports[0].contains("time.observation"));
  CHECK(reports[1].get("extra.file_name") == Value::string("b.txt"));
  // without delete_file the files stay and are read again next round
  CHECK(fs::exists(d.path / "a.txt"));
  testing::CaptureEmitter again;
  collect(t, again);
  CHECK(again.sent["_default"].size() == 2);
}

TEST_CASE("file collector: chunking replicates the header line", "[collectors][file_collector]") {
  TempDir d("chunks");
  d.write("data.csv", "h1,h2\n1,2\n3,4\n5,6\n");
  testing::TestBot t(kModule, params(d, {{"chunk_size", Value::integer(8)}}));
  testing::CaptureEmitter out;
  collect(t, out);
  auto& reports = out.sent["_default"];
  REQUIRE(reports.size() == 2);
  CHECK(b64decode(reports[0].get("raw").as_string()) == "h1,h2\n1,2\n3,4\n");
  CHECK(b64decode(reports[1].get("raw").as_string()) == "h1,h2\n5,6\n");
  CHECK(reports[1].get("extra.file_name") == Value::string("data.csv"));
}

TEST_CASE("file collector: delete_file removes collected files only",
          "[collectors][file_collector]") {
  TempDir d("delete");
  d.write("x.csv", "1.2.3.4\n");
  d.write("keep.txt", "other\n");
  testing::TestBot t(kModule, params(d, {{"delete_file", Value::boolean(true)}}));
  testing::CaptureEmitter out;
  collect(t, out);
  CHECK(out.sent["_default"].size() == 1);
  CHECK_FALSE(fs::exists(d.path / "x.csv"));
  CHECK(fs::exists(d.path / "keep.txt"));
}

TEST_CASE("file collector: a locked file is skipped and not deleted",
          "[collectors][file_collector]") {
  TempDir d("locked");
  d.write("x.csv", "1.2.3.4\n");
  testing::TestBot t(kModule, params(d, {{"delete_file", Value::boolean(true)}}));
  int fd = ::open((d.path / "x.csv").c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::flock(fd, LOCK_EX) == 0);
  testing::CaptureEmitter out;
  collect(t, out);
  CHECK(out.sent["_default"].empty());
  CHECK(fs::exists(d.path / "x.csv"));
  ::close(fd);  // releases the lock
  testing::CaptureEmitter later;
  collect(t, later);
  CHECK(later.sent["_default"].size() == 1);
  CHECK_FALSE(fs::exists(d.path / "x.csv"));
}

TEST_CASE("file collector: bad configurations are refused", "[collectors][file_collector]") {
  TempDir d("config");
  d.write("file.csv", "x\n");
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"path", Value::string((d.path / "file.csv").string())}}),
      ConfigError);
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"path", Value::string((d.path / "missing").string())}}),
      ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, params(d, {{"postfix", Value::string("")},
                                                       {"delete_file", Value::boolean(true)}})),
                  ConfigError);
  CHECK_NOTHROW(testing::TestBot(kModule, params(d, {{"postfix", Value::string("")}})));
}
