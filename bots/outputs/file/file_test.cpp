// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bots/common/conformance_case.hpp"
#include "bots/outputs/file/file.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::bots::FileOutput;
using intelflow::harm::Message;
using intelflow::harm::Value;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/intelflow-file-out-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

FileOutput& file_bot(TestBot& t) {
  return dynamic_cast<FileOutput&>(*t.bot);
}

Message sample(TestBot& t, const char* ip = "192.0.2.1") {
  auto ev = t.event();
  ev.add("source.ip", Value::string(ip));
  ev.add("raw", Value::string("line"));
  ev.add("time.source", Value::string("2024-06-01T12:00:00+00:00"));
  return ev;
}

}  // namespace

TEST_CASE("file output: one sorted JSON line per event, raw dropped, dirs created",
          "[outputs][file]") {
  TempDir d;
  std::string path = d.path + "/a/b/events.txt";
  TestBot t("outputs.file.output", {{"file", Value::string(path)}});
  auto ev = sample(t);
  CaptureEmitter out;
  t.process(ev, out);  // process + flush
  CHECK(slurp(path) ==
        "{\"source.ip\": \"192.0.2.1\", \"time.source\": \"2024-06-01T12:00:00+00:00\"}\n");
  CHECK(file_bot(t).offset() == fs::file_size(path));
}

TEST_CASE("file output: lines are buffered until flush", "[outputs][file]") {
  TempDir d;
  std::string path = d.path + "/events.txt";
  TestBot t("outputs.file.output", {{"file", Value::string(path)}});
  auto& bot = file_bot(t);
  bot.process(sample(t, "192.0.2.1"));
  bot.process(sample(t, "192.0.2.2"));
  CHECK(fs::file_size(path) == 0);
  CHECK(bot.offset() == 0);
  bot.flush();
  std::string text = slurp(path);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(bot.offset() == text.size());
}

TEST_CASE("file output: appends to an existing file and reports its offset", "[outputs][file]") {
  TempDir d;
  std::string path = d.path + "/events.txt";
  std::ofstream(path) << "old line\n";
  TestBot t("outputs.file.output", {{"file", Value::string(path)},
                                    {"keep_raw_field", Value::boolean(true)},
                                    {"message_with_type", Value::boolean(true)},
                                    {"fsync", Value::boolean(true)}});
  auto& bot = file_bot(t);
  CHECK(bot.offset() == 9);
  bot.process(sample(t));
  bot.flush();
  std::string text = slurp(path);
  CHECK(text.starts_with("old line\n{\"__type\": \"Event\", \"raw\": \"bGluZQ==\", "));
  CHECK(bot.offset() == text.size());
  bot.truncate_to(9);
  CHECK(slurp(path) == "old line\n");
}

TEST_CASE("file output: single_key and hierarchical export", "[outputs][file]") {
  TempDir d;
  std::string p1 = d.path + "/raw.txt", p2 = d.path + "/hier.txt";
  TestBot raw("outputs.file.output",
              {{"file", Value::string(p1)}, {"single_key", Value::string("raw")}});
  auto ev = sample(raw);
  CaptureEmitter out;
  raw.process(ev, out);
  CHECK(slurp(p1) == "line\n");
  TestBot hier("outputs.file.output",
               {{"file", Value::string(p2)}, {"hierarchical_output", Value::boolean(true)}});
  auto ev2 = sample(hier);
  hier.process(ev2, out);
  CHECK(slurp(p2) ==
        "{\"source\": {\"ip\": \"192.0.2.1\"}, \"time\": {\"source\": "
        "\"2024-06-01T12:00:00+00:00\"}}\n");
}

TEST_CASE("file output: format_filename renders event fields and strftime dates",
          "[outputs][file]") {
  TempDir d;
  std::string tmpl =
      d.path + "/{event[source.ip]}/{event[time.source]:%Y-%m-%d}-{event[feed.name]}.txt";
  TestBot t("outputs.file.output",
            {{"file", Value::string(tmpl)}, {"format_filename", Value::boolean(true)}});
  auto& bot = file_bot(t);
  bot.process(sample(t, "192.0.2.1"));
  bot.process(sample(t, "192.0.2.2"));
  bot.process(sample(t, "192.0.2.1"));
  bot.flush();
  std::string f1 = d.path + "/192.0.2.1/2024-06-01-None.txt";
  std::string f2 = d.path + "/192.0.2.2/2024-06-01-None.txt";
  REQUIRE(fs::exists(f1));
  REQUIRE(fs::exists(f2));
  std::string t1 = slurp(f1);
  CHECK(std::count(t1.begin(), t1.end(), '\n') == 2);
  CHECK(bot.current_path() == f1);

  auto bad = t.event();
  bad.add("source.ip", Value::string("192.0.2.1"));
  bad.add("time.source", Value::string("2024-06-01T12:00:00.123+00:00"));
  CHECK_NOTHROW(bot.process(bad));  // fractional seconds parse too
  CHECK_THROWS_AS(TestBot("outputs.file.output", {{"file", Value::string("/tmp/{x[y]}")},
                                                  {"format_filename", Value::boolean(true)}}),
                  ConfigError);
}

TEST_CASE("file output: a removed file is recreated at the next flush", "[outputs][file]") {
  TempDir d;
  std::string path = d.path + "/events.txt";
  TestBot t("outputs.file.output", {{"file", Value::string(path)}});
  auto& bot = file_bot(t);
  bot.process(sample(t));
  bot.flush();
  fs::remove(path);
  bot.process(sample(t, "192.0.2.9"));
  bot.flush();
  std::string text = slurp(path);
  CHECK(std::count(text.begin(), text.end(), '\n') == 1);
  CHECK(text.find("192.0.2.9") != std::string::npos);
  CHECK(bot.offset() == text.size());
}

TEST_CASE("file output: recorded IntelMQ case", "[outputs][file][conformance]") {
  TempDir d;
  auto c = intelflow::bots::testing::ConformanceCase::load("outputs/file/test_output__test_event",
                                                           d.path);
  if (!c) {
    WARN("case not found");
    return;
  }
  {
    TestBot t("outputs.file.output", c->parameters());
    for (auto& ev : c->input()) {
      CaptureEmitter out;
      t.process(ev, out);
    }
  }
  for (const auto& [path, spec] : c->member("output_files")->as_dict()) {
    std::string content;
    for (const auto& [k, v] : spec.as_dict())
      if (k == "content") content = v.as_string();
    CHECK(slurp(path) == content);
  }
}
