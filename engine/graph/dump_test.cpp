// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "engine/graph/dump.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/value.hpp"

namespace fs = std::filesystem;
using intelflow::graph::DumpFile;

namespace {
std::string fresh(const std::string& name) {
  auto d =
      fs::temp_directory_path() / ("intelflow-dump-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return (d / "bot.dump").string();
}
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("dump: batches are appended in place and the file stays one valid JSON object",
          "[engine]") {
  auto path = fresh("append");
  DumpFile df(path, "bot", "bot-queue");
  for (int batch = 0; batch < 20; ++batch) {
    for (int k = 0; k < 3; ++k)
      df.add("{\"n\": " + std::to_string(batch * 3 + k) + "}", "bad line", false,
             std::to_string(batch * 3 + k));
    REQUIRE(df.flush());
  }
  // The file was parsed once (first flush) and never rewritten whole: an
  // in-place append keeps the inode.
  CHECK(df.loads() <= 1);
  intelflow::harm::Value doc;
  REQUIRE(intelflow::harm::py::json_loads(slurp(path), doc));
  REQUIRE(doc.is_dict());
  CHECK(doc.as_dict().size() == 60);
  auto entries = DumpFile::read(path);
  REQUIRE(entries.size() == 60);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    CHECK(entries[i].message == "{\"n\": " + std::to_string(i) + "}");
    CHECK(entries[i].origin == std::to_string(i));
  }
  // The same origins again (a replay after a crash) add nothing.
  df.add("{\"n\": 0}", "bad line", false, "0");
  REQUIRE(df.flush());
  CHECK(DumpFile::read(path).size() == 60);
}

TEST_CASE("dump: a torn last entry (crash mid-append) is dropped, the rest is kept and repaired",
          "[engine]") {
  auto path = fresh("torn");
  {
    DumpFile df(path, "bot", "bot-queue");
    df.add("{\"n\": 1}", "e1", false, "1");
    df.add("{\"n\": 2}", "e2", false, "2");
    REQUIRE(df.flush());
  }
  // What a crash in the middle of the next append leaves behind.
  std::string text = slurp(path);
  text.resize(text.size() - 2);
  text += ",\n    \"2026-01-01T00:00:00.000001\": {\n        \"bot_id\": \"bo";
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  auto entries = DumpFile::read(path);
  REQUIRE(entries.size() == 2);
  CHECK(entries[1].message == "{\"n\": 2}");
  // The next writer repairs the file: valid JSON with the old and new entries.
  DumpFile df(path, "bot", "bot-queue");
  df.add("{\"n\": 3}", "e3", false, "3");
  REQUIRE(df.flush());
  intelflow::harm::Value doc;
  REQUIRE(intelflow::harm::py::json_loads(slurp(path), doc));
  CHECK(DumpFile::read(path).size() == 3);
}
