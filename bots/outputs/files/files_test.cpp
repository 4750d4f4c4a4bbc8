// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "bots/common/conformance_case.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Message;
using intelflow::harm::Value;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/intelflow-files-out-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

Message sample(TestBot& t, const char* ip = "192.0.2.1") {
  auto ev = t.event();
  ev.add("source.ip", Value::string(ip));
  ev.add("raw", Value::string("line"));
  ev.add("time.source", Value::string("2024-06-01T12:00:00+00:00"));
  return ev;
}

std::vector<std::pair<std::string, Value>> dirs(const TempDir& d,
                                                std::vector<std::pair<std::string, Value>> more) {
  more.emplace_back("dir", Value::string(d.path + "/incoming"));
  more.emplace_back("tmp", Value::string(d.path + "/tmp"));
  return more;
}

std::string hostname() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

}  // namespace

TEST_CASE("files output: one file per event in dir, named host.pid.time.dev.inode.json",
          "[outputs][files]") {
  TempDir d;
  TestBot t("outputs.files.output", dirs(d, {}));
  CaptureEmitter out;
  auto ev = sample(t);
  t.process(ev, out);
  auto files = files_in(d.path + "/incoming");
  REQUIRE(files.size() == 1);
  CHECK(slurp(files[0]) ==
        "{\"source.ip\": \"192.0.2.1\", \"time.source\": \"2024-06-01T12:00:00+00:00\"}");
  const std::string name = files[0].filename().string();
  const std::regex shape(R"((.+)\.(\d+)\.(\d+\.\d{6})\.(\d+)\.(\d+)\.json)");
  std::smatch m;
  REQUIRE(std::regex_match(name, m, shape));
  CHECK(m[1] == hostname());
  CHECK(m[2] == std::to_string(::getpid()));
  CHECK(m[5] != "0");                        // the inode of the written file
  CHECK(files_in(d.path + "/tmp").empty());  // renamed out of tmp
}

TEST_CASE("files output: every event gets its own file", "[outputs][files]") {
  TempDir d;
  TestBot t("outputs.files.output", dirs(d, {{"suffix", Value::string(".txt")}}));
  CaptureEmitter out;
  std::set<std::string> contents;
  for (int i = 1; i <= 20; ++i) {
    auto ev = sample(t, ("192.0.2." + std::to_string(i)).c_str());
    t.process(ev, out);
  }
  auto files = files_in(d.path + "/incoming");
  REQUIRE(files.size() == 20);
  for (const auto& f : files) {
    CHECK(f.extension() == ".txt");
    contents.insert(slurp(f));
  }
  CHECK(contents.size() == 20);
}

TEST_CASE("files output: hierarchical_output and message_with_type", "[outputs][files]") {
  TempDir d;
  TestBot t("outputs.files.output", dirs(d, {{"hierarchical_output", Value::boolean(true)},
                                             {"message_with_type", Value::boolean(true)},
                                             {"keep_raw_field", Value::boolean(true)}}));
  CaptureEmitter out;
  auto ev = sample(t);
  t.process(ev, out);
  auto files = files_in(d.path + "/incoming");
  REQUIRE(files.size() == 1);
  CHECK(slurp(files[0]) ==
        "{\"__type\": \"Event\", \"raw\": \"bGluZQ==\", \"source\": {\"ip\": \"192.0.2.1\"}, "
        "\"time\": {\"source\": \"2024-06-01T12:00:00+00:00\"}}");
}

TEST_CASE("files output: single_key writes one field (raw decoded, output JSON-decoded)",
          "[outputs][files]") {
  TempDir d;
  SECTION("raw") {
    TestBot t("outputs.files.output", dirs(d, {{"single_key", Value::string("raw")}}));
    CaptureEmitter out;
    auto ev = sample(t);
    t.process(ev, out);
    auto files = files_in(d.path + "/incoming");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]) == "line");
  }
  SECTION("output holding a JSON object") {
    TestBot t("outputs.files.output", dirs(d, {{"single_key", Value::string("output")}}));
    CaptureEmitter out;
    auto ev = t.event();
    ev.add("output", Value::string("{\"b\": [1, 2], \"a\": \"x\"}"));
    t.process(ev, out);
    auto files = files_in(d.path + "/incoming");
    REQUIRE(files.size() == 1);
    CHECK(slurp(files[0]) == "{\"b\": [1, 2], \"a\": \"x\"}");
  }
  SECTION("another field: str() of its value, None when absent") {
    TestBot t("outputs.files.output", dirs(d, {{"single_key", Value::string("source.port")},
                                               {"suffix", Value::string("")}}));
    CaptureEmitter out;
    auto ev = t.event();
    ev.add("source.port", Value::integer(443));
    t.process(ev, out);
    auto ev2 = t.event();
    t.process(ev2, out);
    std::set<std::string> contents;
    for (const auto& f : files_in(d.path + "/incoming")) contents.insert(slurp(f));
    CHECK(contents == std::set<std::string>{"443", "None"});
  }
}

TEST_CASE("files output: a failed export leaves no file behind", "[outputs][files]") {
  TempDir d;
  TestBot t("outputs.files.output", dirs(d, {{"single_key", Value::string("output")}}));
  CaptureEmitter out;
  auto ev = sample(t);  // no `output` field: export_event fails
  CHECK_THROWS(t.process(ev, out));
  CHECK(files_in(d.path + "/incoming").empty());
  CHECK(files_in(d.path + "/tmp").empty());
}

TEST_CASE("files output: tmp may equal dir, and fsync mode writes the same files",
          "[outputs][files]") {
  TempDir d;
  const std::string same = d.path + "/spool";
  TestBot t("outputs.files.output", {{"dir", Value::string(same)},
                                     {"tmp", Value::string(same + "/")},
                                     {"fsync", Value::boolean(true)}});
  CaptureEmitter out;
  auto ev = sample(t);
  t.process(ev, out);  // process + flush (fsync of the directory)
  auto files = files_in(same);
  REQUIRE(files.size() == 1);
  CHECK(slurp(files[0]).starts_with("{\"source.ip\": \"192.0.2.1\""));
}

TEST_CASE("files output: unusable directories are refused at start", "[outputs][files]") {
  TempDir d;
  SECTION("parent of dir missing (only one level is created)") {
    try {
      TestBot t("outputs.files.output", {{"dir", Value::string(d.path + "/no/such/dir")},
                                         {"tmp", Value::string(d.path + "/tmp")}});
      FAIL("init accepted a dir whose parent is missing");
    } catch (const ConfigError& e) {
      CHECK(e.param() == "dir");
      CHECK(std::string(e.what()).find("No such file or directory") != std::string::npos);
    }
  }
  SECTION("dir is a regular file") {
    std::ofstream(d.path + "/plain") << "x";
    try {
      TestBot t("outputs.files.output", {{"dir", Value::string(d.path + "/plain")},
                                         {"tmp", Value::string(d.path + "/tmp")}});
      FAIL("init accepted a regular file as dir");
    } catch (const ConfigError& e) {
      CHECK(e.param() == "dir");
      CHECK(std::string(e.what()).find("is not a directory") != std::string::npos);
    }
  }
  SECTION("empty tmp") {
    CHECK_THROWS_AS(TestBot("outputs.files.output",
                            {{"dir", Value::string(d.path + "/in")}, {"tmp", Value::string("")}}),
                    ConfigError);
  }
  SECTION("suffix with a slash") {
    CHECK_THROWS_AS(TestBot("outputs.files.output", dirs(d, {{"suffix", Value::string("/x")}})),
                    ConfigError);
  }
  SECTION("tmp and dir on different filesystems") {
    if (!fs::is_directory("/dev/shm") || ::access("/dev/shm", W_OK) != 0) return;
    TempDir shm_probe;  // only to get a unique name
    const std::string on_shm = "/dev/shm/" + fs::path(shm_probe.path).filename().string();
    struct Cleanup {
      std::string p;
      ~Cleanup() {
        std::error_code ec;
        fs::remove_all(p, ec);
      }
    } cleanup{on_shm};
    struct stat a {
    }, b{};
    if (::stat("/dev/shm", &a) != 0 || ::stat(d.path.c_str(), &b) != 0 || a.st_dev == b.st_dev)
      return;  // same filesystem here: nothing to test
    try {
      TestBot t("outputs.files.output",
                {{"dir", Value::string(d.path + "/in")}, {"tmp", Value::string(on_shm)}});
      FAIL("init accepted tmp and dir on different filesystems");
    } catch (const ConfigError& e) {
      CHECK(e.param() == "tmp");
      CHECK(std::string(e.what()).find("same filesystem") != std::string::npos);
    }
  }
}

TEST_CASE("files output: recorded IntelMQ case (single_key output, tmp = dir)",
          "[outputs][files][conformance]") {
  TempDir d;
  auto c = intelflow::bots::testing::ConformanceCase::load(
      "outputs/files/test_output__test_event_single_key", d.path);
  if (!c) {
    WARN("case not found");
    return;
  }
  fs::create_directories(d.path + "/tmp1/incoming");
  {
    TestBot t("outputs.files.output", c->parameters());
    for (auto& ev : c->input()) {
      CaptureEmitter out;
      t.process(ev, out);
    }
  }
  for (const auto& [path, spec] : c->member("output_files")->as_dict()) {
    std::vector<std::string> want;
    for (const auto& [k, v] : spec.as_dict())
      if (k == "content")
        for (const auto& [name, content] : v.as_dict()) want.push_back(content.as_string());
    std::vector<std::string> got;
    for (const auto& f : files_in(path)) got.push_back(slurp(f));
    CHECK(got == want);  // names are generated: contents only
  }
}
