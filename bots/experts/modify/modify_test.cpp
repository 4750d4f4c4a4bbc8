// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "bots/common/conformance_case.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {

/// A rule file in a temporary directory.
struct RuleFile {
  explicit RuleFile(const std::string& text, const std::string& ext = ".json") {
    char tmpl[] = "/tmp/intelflow-modify-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/rules" + ext;
    std::ofstream(path) << text;
  }
  ~RuleFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir, path;
};

std::vector<std::pair<std::string, Value>> with_rules(
    const RuleFile& f, std::vector<std::pair<std::string, Value>> more = {}) {
  more.emplace_back("configuration_path", Value::string(f.path));
  return more;
}

Message run(TestBot& t, Message ev) {
  CaptureEmitter out;
  t.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return std::move(out.sent["_default"][0]);
}

const char* kPortRules = R"J([
  {"rulename": "explicit port", "if": {"source.url": "^https?://[^/:?#]+:(?P<port>[0-9]+)"},
   "then": {"source.port": "{matches[source.url][port]}",
            "comment": "port {matches[source.url][1]} of {msg[source.url]}"}},
  {"rulename": "web", "if": {"source.port": "^(80|443)$", "protocol.transport": ""},
   "then": {"protocol.application": "http", "protocol.transport": "tcp"}}
])J";

}  // namespace

TEST_CASE("modify: named and numbered groups and event fields in templates", "[experts][modify]") {
  RuleFile f(kPortRules);
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("source.url", Value::string("http://example.com:443/x"));
  Message r = run(t, std::move(ev));
  CHECK(r.get("source.port") == Value::integer(443));  // "443" sanitised to an integer
  CHECK(r.get("comment") == Value::string("port 443 of http://example.com:443/x"));
  // The second rule sees the port set by the first one (numbers matched as str()).
  CHECK(r.get("protocol.application") == Value::string("http"));
  CHECK(r.get("protocol.transport") == Value::string("tcp"));
}

TEST_CASE("modify: a rule without a match changes nothing", "[experts][modify]") {
  RuleFile f(kPortRules);
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("source.url", Value::string("ftp://example.com/x"));
  Message r = run(t, std::move(ev));
  CHECK_FALSE(r.contains("source.port"));
  CHECK_FALSE(r.contains("protocol.application"));
}

TEST_CASE("modify: empty condition means absent, non-string conditions compare equal",
          "[experts][modify]") {
  RuleFile f(R"J([
    {"rulename": "a", "if": {"classification.identifier": "", "source.port": 80},
     "then": {"classification.identifier": "port-eighty"}},
    {"rulename": "b", "if": {"source.port": 80.0, "feed.accuracy": 100},
     "then": {"comment": "float equals int"}},
    {"rulename": "c", "if": {"source.port": "80"}, "then": {"extra.matched": true}}
  ])J");
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("source.port", Value::integer(80));
  ev.add("feed.accuracy", Value::floating(100.0));
  Message r = run(t, std::move(ev));
  CHECK(r.get("classification.identifier") == Value::string("port-eighty"));
  CHECK(r.get("comment") == Value::string("float equals int"));
  CHECK(r.get("extra.matched") == Value::boolean(true));  // non-string value set as is

  auto ev2 = t.event();
  ev2.add("source.port", Value::integer(80));
  ev2.add("classification.identifier", Value::string("x"));
  Message r2 = run(t, std::move(ev2));
  CHECK(r2.get("classification.identifier") == Value::string("x"));
}

TEST_CASE("modify: overwrite false keeps existing values", "[experts][modify]") {
  RuleFile f(R"J([{"rulename": "t", "if": {"classification.type": "infected-system"},
                  "then": {"classification.type": "vulnerable-system", "comment": "seen"}}])J");
  TestBot keep("experts.modify.expert", with_rules(f, {{"overwrite", Value::boolean(false)}}));
  auto ev = keep.event();
  ev.add("classification.type", Value::string("infected-system"));
  Message r = run(keep, std::move(ev));
  CHECK(r.get("classification.type") == Value::string("infected-system"));
  CHECK(r.get("comment") == Value::string("seen"));

  TestBot over("experts.modify.expert", with_rules(f));
  auto ev2 = over.event();
  ev2.add("classification.type", Value::string("infected-system"));
  CHECK(run(over, std::move(ev2)).get("classification.type") == Value::string("vulnerable-system"));
}

TEST_CASE("modify: case_sensitive false matches regardless of case", "[experts][modify]") {
  RuleFile f(R"J([{"rulename": "n", "if": {"feed.name": "^abuse"}, "then": {"comment": "hit"}}])J");
  auto ev_of = [](TestBot& t) {
    auto ev = t.event();
    ev.add("feed.name", Value::string("Abuse.ch"));
    return ev;
  };
  TestBot cs("experts.modify.expert", with_rules(f));
  CHECK_FALSE(run(cs, ev_of(cs)).contains("comment"));
  TestBot ci("experts.modify.expert", with_rules(f, {{"case_sensitive", Value::boolean(false)}}));
  CHECK(run(ci, ev_of(ci)).get("comment") == Value::string("hit"));
}

TEST_CASE("modify: maximum_matches stops after that many applied rules", "[experts][modify]") {
  RuleFile f(R"J([
    {"rulename": "1", "if": {"feed.name": "."}, "then": {"comment": "one"}},
    {"rulename": "2", "if": {"feed.name": "."}, "then": {"comment": "two"}},
    {"rulename": "3", "if": {"feed.name": "."}, "then": {"extra.three": 3}}
  ])J");
  auto ev_of = [](TestBot& t) {
    auto ev = t.event();
    ev.add("feed.name", Value::string("x"));
    return ev;
  };
  TestBot one("experts.modify.expert", with_rules(f, {{"maximum_matches", Value::integer(1)}}));
  Message r = run(one, ev_of(one));
  CHECK(r.get("comment") == Value::string("one"));
  CHECK_FALSE(r.contains("extra.three"));
  TestBot all("experts.modify.expert", with_rules(f, {{"maximum_matches", Value::integer(0)}}));
  Message r2 = run(all, ev_of(all));
  CHECK(r2.get("comment") == Value::string("two"));
  CHECK(r2.get("extra.three") == Value::integer(3));
}

TEST_CASE("modify: a missing {msg[...]} field fails the event", "[experts][modify]") {
  RuleFile f(R"J([{"rulename": "m", "if": {"feed.name": "x"},
                  "then": {"classification.identifier": "{msg[malware.name]}"}}])J");
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("feed.name", Value::string("x"));
  CaptureEmitter out;
  CHECK_THROWS(t.process(ev, out));
}

TEST_CASE("modify: an empty expansion with overwrite deletes the field", "[experts][modify]") {
  RuleFile f(
      R"J([{"rulename": "g", "if": {"comment": "^(x?)-"}, "then": {"comment": "{matches[comment][1]}"}}])J");
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("comment", Value::string("-rest"));
  CHECK_FALSE(run(t, std::move(ev)).contains("comment"));
}

TEST_CASE("modify: a regex condition on a list value fails the event", "[experts][modify]") {
  RuleFile f(R"J([{"rulename": "l", "if": {"extra.tags": "a"}, "then": {"comment": "x"}}])J");
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("extra.tags", Value::list({Value::string("a")}));
  CaptureEmitter out;
  CHECK_THROWS(t.process(ev, out));
}

TEST_CASE("modify: YAML rule files work like JSON", "[experts][modify]") {
  RuleFile f(R"J(- rulename: yaml rule
  if:
    source.port: 443
    feed.name: '^x'
  then:
    protocol.application: https
    extra.flag: yes
)J",
             ".yaml");
  TestBot t("experts.modify.expert", with_rules(f));
  auto ev = t.event();
  ev.add("source.port", Value::integer(443));
  ev.add("feed.name", Value::string("xy"));
  Message r = run(t, std::move(ev));
  CHECK(r.get("protocol.application") == Value::string("https"));
  CHECK(r.get("extra.flag") == Value::string("yes"));  // YAML 1.2: "yes" is a string
}

TEST_CASE("modify: a bad rule file refuses to start with file:line", "[experts][modify]") {
  RuleFile bad_re(R"J([
  {"rulename": "ok", "if": {"feed.name": "x"}, "then": {"comment": "y"}},
  {"rulename": "broken", "if": {"feed.name": "(x"}, "then": {"comment": "y"}}
])J");
  CHECK_THROWS_WITH(TestBot("experts.modify.expert", with_rules(bad_re)),
                    Catch::Contains(bad_re.path + ":3:") && Catch::Contains("broken"));
  RuleFile bad_field(R"J([{"rulename": "f", "if": {}, "then": {"no.such.field": "y"}}])J");
  CHECK_THROWS_AS(TestBot("experts.modify.expert", with_rules(bad_field)), ConfigError);
  RuleFile bad_group(
      R"J([{"rulename": "g", "if": {"feed.name": "(x)"}, "then": {"comment": "{matches[feed.name][2]}"}}])J");
  CHECK_THROWS_AS(TestBot("experts.modify.expert", with_rules(bad_group)), ConfigError);
  RuleFile not_list(R"J({"rulename": "x"})J");
  CHECK_THROWS_AS(TestBot("experts.modify.expert", with_rules(not_list)), ConfigError);
  CHECK_THROWS_AS(TestBot("experts.modify.expert",
                          {{"configuration_path", Value::string("/nonexistent/rules.json")}}),
                  ConfigError);
}

TEST_CASE("modify: the benchmark rule file loads and applies", "[experts][modify]") {
  std::string dir = intelflow::bots::testing::ConformanceCase::corpus_dir();
  if (dir.empty()) {
    WARN("shared corpus not found: skipped");
    return;
  }
  std::string rules = dir + "/../bench/modify-rules.json";
  TestBot t("experts.modify.expert", {{"configuration_path", Value::string(rules)}});
  auto ev = t.event();
  ev.add("source.url", Value::string("http://evil.example:8080/files/zeus_12.exe"));
  Message r = run(t, std::move(ev));
  CHECK(r.get("source.port") == Value::integer(8080));
  CHECK(r.get("malware.name") == Value::string("zeus"));
  CHECK(r.get("classification.identifier") == Value::string("zeus"));
  CHECK_FALSE(r.contains("protocol.application"));
}

TEST_CASE("modify: recorded IntelMQ cases", "[experts][modify][conformance]") {
  for (const char* id :
       {"experts/modify/test_expert__test_events", "experts/modify/test_expert__test_overwrite",
        "experts/modify/test_expert__test_overwrite_not"}) {
    auto c = intelflow::bots::testing::ConformanceCase::load(id, "/tmp");
    if (!c) {
      WARN(std::string("case not found: ") + id);
      continue;
    }
    INFO(id);
    TestBot t("experts.modify.expert", c->parameters());
    auto inputs = c->input();
    auto expected = c->output("_default");
    REQUIRE(inputs.size() == expected.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      INFO("message " << i);
      Message got = run(t, std::move(inputs[i]));
      CHECK(intelflow::bots::testing::ConformanceCase::same(got, expected[i]));
    }
  }
}
