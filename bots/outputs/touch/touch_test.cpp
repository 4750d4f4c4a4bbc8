// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>

#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Value;

namespace {
struct TempFile {
  TempFile() {
    char tmpl[] = "/tmp/intelflow-touch-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/stamp";
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
  std::string dir, path;
};
}  // namespace

TEST_CASE("touch output: sets atime and mtime of the file to now", "[outputs][touch]") {
  TempFile f;
  std::ofstream(f.path) << "content";
  const utimbuf old{946684800, 946684800};  // 2000-01-01
  REQUIRE(::utime(f.path.c_str(), &old) == 0);
  TestBot t("outputs.touch.output", {{"path", Value::string(f.path)}});
  CaptureEmitter out;
  auto ev = t.event();
  const std::time_t before = std::time(nullptr);
  t.process(ev, out);
  struct stat st {};
  REQUIRE(::stat(f.path.c_str(), &st) == 0);
  CHECK(st.st_mtime >= before - 1);
  CHECK(st.st_atime >= before - 1);
  CHECK(st.st_size == 7);  // content untouched
}

TEST_CASE("touch output: a missing file fails the event", "[outputs][touch]") {
  TempFile f;
  TestBot t("outputs.touch.output", {{"path", Value::string(f.path)}});
  CaptureEmitter out;
  auto ev = t.event();
  CHECK_THROWS(t.process(ev, out));
  CHECK_FALSE(std::filesystem::exists(f.path));  // not created
}

TEST_CASE("touch output: path is required", "[outputs][touch]") {
  CHECK_THROWS_AS(TestBot("outputs.touch.output", {}), ConfigError);
}
