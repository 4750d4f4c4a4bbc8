// SPDX-License-Identifier: AGPL-3.0-or-later
// `intelflow dump` on real files: overview, show, delete, edit ($EDITOR set to
// a script), reinject into the spool, and the roll-forward of a re-injection
// interrupted between its spool and the dump rewrite. No daemon here (see
// tests/engine/dump_tool_test.py for the process test).

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/dumptool/dumptool.hpp"
#include "engine/dumptool/spool.hpp"
#include "engine/graph/dump.hpp"

namespace {

namespace fs = std::filesystem;
using namespace intelflow;
using graph::DumpEntry;
using graph::DumpFile;

const char* kGood =
    R"({"feed.name": "T", "raw": "MTAuMC4wLjEK", "__type": "Report", "time.observation": "2024-01-01T00:00:00+00:00"})";

struct Dir {
  std::string path;
  Dir() {
    path = (fs::temp_directory_path() /
            ("intelflow-dumptool-" + std::to_string(::getpid()) + "-" + std::to_string(++n)))
               .string();
    fs::remove_all(path);
    fs::create_directories(path + "/log");
  }
  ~Dir() { fs::remove_all(path); }
  std::string dump(const std::string& bot = "parser") const {
    return path + "/log/" + bot + ".dump";
  }
  static inline int n = 0;
};

DumpEntry entry(const std::string& ts, const std::string& msg, const std::string& error) {
  DumpEntry e;
  e.timestamp = ts;
  e.bot_id = "parser";
  e.source_queue = "parser-queue";
  e.traceback = error;
  e.message = msg;
  return e;
}

/// A dump with three entries: 0 and 2 valid messages, 1 an invalid one.
void three_entries(const Dir& d) {
  DumpFile::write(d.dump(),
                  {entry("2024-01-01T00:00:01", kGood, "ValueError: first"),
                   entry("2024-01-01T00:00:02", R"({"feed.accuracy": "lots", "__type": "Report"})",
                         "Traceback\nInvalidValue: second"),
                   entry("2024-01-01T00:00:03.5", kGood, "ValueError: third")});
}

struct Result {
  int rc;
  std::string out, err;
};

Result run(const Dir& d, std::vector<std::string> args) {
  args.insert(args.begin(), {"--state-dir", d.path});
  std::ostringstream out, err;
  int rc = dumptool::run(args, out, err);
  return {rc, out.str(), err.str()};
}

std::string write_script(const Dir& d, const std::string& name, const std::string& body) {
  auto p = d.path + "/" + name;
  std::ofstream(p) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(p, fs::perms::owner_all);
  return p;
}

}  // namespace

TEST_CASE("dump tool: the overview lists each dump file with count, first and last time",
          "[engine]") {
  Dir d;
  three_entries(d);
  auto r = run(d, {});
  CHECK(r.rc == 0);
  CHECK(r.out.find("parser") != std::string::npos);
  CHECK(r.out.find(" 3  2024-01-01T00:00:01 ") != std::string::npos);
  CHECK(r.out.find("2024-01-01T00:00:03.5") != std::string::npos);
  auto j = run(d, {"--json"});
  CHECK(j.out.find("\"count\": 3") != std::string::npos);
  CHECK(j.out.find("\"daemon_running\": false") != std::string::npos);
}

TEST_CASE("dump tool: show lists entries sorted by time and prints one in full", "[engine]") {
  Dir d;
  three_entries(d);
  auto r = run(d, {"parser"});
  CHECK(r.rc == 0);
  CHECK(r.out.find("  0: 2024-01-01T00:00:01 ValueError: first") != std::string::npos);
  CHECK(r.out.find("  1: 2024-01-01T00:00:02 InvalidValue: second") != std::string::npos);
  auto one = run(d, {"parser", "show", "2"});
  CHECK(one.out.find("2: 2024-01-01T00:00:03.5") != std::string::npos);
  CHECK(one.out.find("        \"feed.name\": \"T\",") != std::string::npos);  // pretty, indent 4
  auto trunc = run(d, {"parser", "show", "0", "--truncate", "4"});
  CHECK(trunc.out.find("\"MTAu...[truncated]\"") != std::string::npos);
  auto filtered = run(d, {"parser", "show", "--filter", "InvalidValue", "--json"});
  CHECK(filtered.out.find("\"index\": 1") != std::string::npos);
  CHECK(filtered.out.find("\"index\": 0") == std::string::npos);
  auto missing = run(d, {"parser", "show", "7"});
  CHECK(missing.rc == 1);
  CHECK(missing.err.find("no entry 7") != std::string::npos);
}

TEST_CASE("dump tool: delete removes entries, and the file when it becomes empty", "[engine]") {
  Dir d;
  three_entries(d);
  auto r = run(d, {"parser", "delete", "0,2"});
  CHECK(r.rc == 0);
  auto left = DumpFile::read(d.dump());
  REQUIRE(left.size() == 1);
  CHECK(left[0].timestamp == "2024-01-01T00:00:02");
  run(d, {"parser", "delete", "all"});
  CHECK_FALSE(fs::exists(d.dump()));
}

TEST_CASE("dump tool: edit saves a valid message and refuses an invalid one", "[engine]") {
  Dir d;
  three_entries(d);
  auto fix = write_script(d, "fix.sh", R"(sed -i 's/"lots"/50/' "$1")");
  ::setenv("EDITOR", fix.c_str(), 1);
  auto r = run(d, {"parser", "edit", "1"});
  CHECK(r.rc == 0);
  auto e = DumpFile::read(d.dump());
  CHECK(e[1].message == R"({"feed.accuracy": 50, "__type": "Report"})");
  CHECK(e[1].traceback == "Traceback\nInvalidValue: second");  // error kept

  auto breaks =
      write_script(d, "break.sh", R"(sed -i 's/"feed.name": "T"/"feed.accuracy": "lots"/' "$1")");
  ::setenv("EDITOR", breaks.c_str(), 1);
  auto before = DumpFile::read(d.dump());
  auto bad = run(d, {"parser", "edit", "0"});
  CHECK(bad.rc == 1);
  CHECK(bad.err.find("edit refused") != std::string::npos);
  CHECK(DumpFile::read(d.dump()) == before);

  auto nojson = write_script(d, "nojson.sh", R"(echo 'not json' > "$1")");
  ::setenv("EDITOR", nojson.c_str(), 1);
  CHECK(run(d, {"parser", "edit", "0"}).rc == 1);
  CHECK(DumpFile::read(d.dump()) == before);
  ::unsetenv("EDITOR");
}

TEST_CASE("dump tool: reinject moves valid entries to a ready spool and refuses invalid ones",
          "[engine]") {
  Dir d;
  three_entries(d);
  auto r = run(d, {"parser", "reinject", "all"});
  CHECK(r.rc == 1);  // entry 1 refused
  CHECK(r.err.find("entry 1: not a valid message") != std::string::npos);
  CHECK(r.out.find("Recovered dump 0.") != std::string::npos);
  CHECK(r.out.find("Recovered dump 2.") != std::string::npos);
  auto left = DumpFile::read(d.dump());
  REQUIRE(left.size() == 1);
  CHECK(left[0].timestamp == "2024-01-01T00:00:02");
  auto spools = dumptool::list_spools(d.path + "/reinject");
  REQUIRE(spools.size() == 1);
  CHECK(spools[0].state == dumptool::SpoolState::Ready);
  auto s = dumptool::read_spool(spools[0].path);
  CHECK(s.bot_id == "parser");
  REQUIRE(s.entries.size() == 2);
  CHECK(s.entries[0].original.timestamp == "2024-01-01T00:00:01");
  CHECK(s.entries[1].original.traceback == "ValueError: third");
  // The overview says they wait for the daemon.
  auto o = run(d, {});
  CHECK(o.out.find("Pending re-injection") != std::string::npos);
  CHECK(o.out.find("none is running") != std::string::npos);
}

TEST_CASE("dump tool: a base64 entry holding a message can be re-injected", "[engine]") {
  Dir d;
  auto e = entry("2024-01-01T00:00:01", "", "DecodingError");
  // base64 of kGood
  e.message =
      "eyJmZWVkLm5hbWUiOiAiVCIsICJyYXciOiAiTVRBdU1DNHdMakVLIiwgIl9fdHlwZSI6ICJSZXBvcnQiLCAidGlt"
      "ZS5vYnNlcnZhdGlvbiI6ICIyMDI0LTAxLTAxVDAwOjAwOjAwKzAwOjAwIn0=";
  e.base64 = true;
  DumpFile::write(d.dump(), {e});
  auto shown = run(d, {"parser", "show", "0"});
  CHECK(shown.out.find("\"feed.name\": \"T\"") != std::string::npos);
  auto r = run(d, {"parser", "reinject", "0"});
  CHECK(r.rc == 0);
  auto s = dumptool::read_spool(dumptool::list_spools(d.path + "/reinject").at(0).path);
  CHECK(s.entries.at(0).message.find("\"feed.name\": \"T\"") != std::string::npos);
  CHECK_FALSE(fs::exists(d.dump()));
}

TEST_CASE("dump tool: a prepared spool (crash before the dump rewrite) is rolled forward once",
          "[engine]") {
  Dir d;
  three_entries(d);
  auto all = DumpFile::read(d.dump());
  dumptool::Spool s;
  s.name = dumptool::new_spool_name();
  s.bot_id = "parser";
  s.dump_file = d.dump();
  s.entries.push_back({all[0], all[0].message});
  s.entries.push_back({all[2], all[2].message});
  const auto dir = d.path + "/reinject";
  dumptool::write_spool(dumptool::spool_path(dir, s.name, dumptool::SpoolState::Prepared), s);
  // As after a kill: the spool is there, the dump still holds the entries.
  CHECK(DumpFile::read(d.dump()).size() == 3);
  auto r = run(d, {});
  CHECK(r.out.find("Finished 1 interrupted re-injection.") != std::string::npos);
  auto left = DumpFile::read(d.dump());
  REQUIRE(left.size() == 1);
  CHECK(left[0] == all[1]);
  auto spools = dumptool::list_spools(dir);
  REQUIRE(spools.size() == 1);
  CHECK(spools[0].state == dumptool::SpoolState::Ready);
  // Idempotent: nothing more happens.
  CHECK(dumptool::roll_forward(dir, true) == 0);
  CHECK(DumpFile::read(d.dump()).size() == 1);
}

TEST_CASE("dump tool: a prepared spool whose dump file is locked waits (daemon side)", "[engine]") {
  Dir d;
  three_entries(d);
  auto all = DumpFile::read(d.dump());
  dumptool::Spool s;
  s.name = dumptool::new_spool_name();
  s.bot_id = "parser";
  s.dump_file = d.dump();
  s.entries.push_back({all[0], all[0].message});
  const auto dir = d.path + "/reinject";
  dumptool::write_spool(dumptool::spool_path(dir, s.name, dumptool::SpoolState::Prepared), s);
  {
    graph::DumpLock held(d.dump());
    CHECK(dumptool::roll_forward(dir, /*wait=*/false) == 0);
    CHECK(dumptool::list_spools(dir).at(0).state == dumptool::SpoolState::Prepared);
  }
  CHECK(dumptool::roll_forward(dir, /*wait=*/false) == 1);
  CHECK(DumpFile::read(d.dump()).size() == 2);
}

TEST_CASE("DumpFile: flush parses the file once and again only after an outside change",
          "[engine]") {
  Dir d;
  DumpFile f(d.dump(), "parser", "parser-queue");
  for (int i = 0; i < 5; ++i) {
    f.add(kGood, "err " + std::to_string(i));
    REQUIRE(f.flush());
  }
  CHECK(f.loads() == 1);
  CHECK(DumpFile::read(d.dump()).size() == 5);
  // `intelflow dump` deletes two entries: the next flush sees it.
  auto e = DumpFile::read(d.dump());
  e.erase(e.begin(), e.begin() + 2);
  DumpFile::write(d.dump(), e);
  f.add(kGood, "err 5");
  REQUIRE(f.flush());
  CHECK(f.loads() == 2);
  auto now = DumpFile::read(d.dump());
  REQUIRE(now.size() == 4);
  CHECK(now.front().traceback == "err 2");
  CHECK(now.back().traceback == "err 5");
  // The file removed (all deleted): the next flush starts a new one.
  fs::remove(d.dump());
  f.add(kGood, "err 6");
  REQUIRE(f.flush());
  CHECK(DumpFile::read(d.dump()).size() == 1);
}
