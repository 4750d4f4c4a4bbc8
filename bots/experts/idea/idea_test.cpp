// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <regex>

#include "engine/api/testing.hpp"
#include "harmonization/pyfmt.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;
namespace py = intelflow::harm::py;

namespace {

Value idea_of(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, std::move(v));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  Value out_json = out.sent["_default"][0].get("output");
  REQUIRE(out_json.is_string());
  Value idea;
  REQUIRE(py::json_loads(out_json.as_string(), idea));
  return idea;
}

const Value* member(const Value& d, std::string_view k) {
  for (const auto& [key, v] : d.as_dict())
    if (key == k) return &v;
  return nullptr;
}

std::string dumps(const Value& v) {
  py::JsonOptions o;
  o.sort_keys = true;
  return py::json_dumps(v, o);
}

}  // namespace

TEST_CASE("idea: a full event", "[experts][idea]") {
  testing::TestBot bot("experts.idea.expert", {});
  Value idea =
      idea_of(bot, {{"classification.type", Value::string("phishing")},
                    {"classification.identifier", Value::string("zeus gameover")},
                    {"comment", Value::string("a note")},
                    {"feed.name", Value::string("Feed")},
                    {"feed.code", Value::string("f/1")},
                    {"feed.accuracy", Value::floating(50.0)},
                    {"feed.url", Value::string("http://feed.example/list")},
                    {"raw", Value::string("caf\xc3\xa9")},
                    {"time.observation", Value::string("2016-04-20T19:02:35+00:00")},
                    {"source.ip", Value::string("192.0.2.1")},
                    {"source.port", Value::integer(4444)},
                    {"source.tor_node", Value::boolean(false)},
                    {"destination.ip", Value::string("2001:db8::1")},
                    {"destination.tor_node", Value::boolean(true)},
                    {"destination.fqdn", Value::string("example.org")},
                    {"malware.name", Value::string("zeus")},
                    {"malware.hash.md5", Value::string("d41d8cd98f00b204e9800998ecf8427e")},
                    {"status", Value::string("online")},
                    {"rtir_id", Value::integer(42)}});
  CHECK(*member(idea, "Format") == Value::string("IDEA0"));
  CHECK(*member(idea, "Description") == Value::string("Feed: a note"));
  CHECK(dumps(*member(idea, "Category")) == R"(["Fraud.Phishing"])");
  CHECK(*member(idea, "Confidence") == Value::floating(0.5));
  CHECK(*member(idea, "Note") == Value::string("a note"));
  CHECK(member(idea, "EventTime") == nullptr);
  CHECK(dumps(*member(idea, "Ref")) ==
        R"(["malid:zeus+gameover", "intelmq_feed:f%2F1", "rtir:42"])");
  // raw is decoded as ISO-8859-1: the two UTF-8 bytes of é become two characters.
  CHECK(
      dumps(*member(idea, "Attach")) ==
      R"([{"Hash": ["md5:d41d8cd98f00b204e9800998ecf8427e"], "Ref": ["malware:zeus-"]}, )"
      R"({"Content": "caf\u00c3\u00a9", "Ref": ["http://feed.example/list"], "Type": ["OrigData"]}])");
  // source.tor_node false yields `false` in Type (reference: `tor_node and "Tor"`).
  CHECK(
      dumps(*member(idea, "Source")) ==
      R"([{"IP4": ["192.0.2.1"], "Note": "online", "Port": [4444], "Type": ["Phishing", false]}])");
  CHECK(
      dumps(*member(idea, "Target")) ==
      R"([{"Hostname": ["example.org"], "IP6": ["2001:db8::1"], "Note": "online", "Type": ["Tor"]}])");
  const std::string id = member(idea, "ID")->as_string();
  CHECK(std::regex_match(
      id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
}

TEST_CASE("idea: confidence is clamped to 0..1", "[experts][idea]") {
  testing::TestBot bot("experts.idea.expert", {});
  CHECK(*member(idea_of(bot, {{"feed.accuracy", Value::floating(100.0)}}), "Confidence") ==
        Value::integer(1));
  CHECK(*member(idea_of(bot, {{"feed.accuracy", Value::floating(0.0)}}), "Confidence") ==
        Value::integer(0));
}

TEST_CASE("idea: a bare event and test_mode", "[experts][idea]") {
  testing::TestBot plain("experts.idea.expert", {});
  Value idea = idea_of(plain, {{"source.asn", Value::integer(1)}});
  // No classification.type: the category of "unknown"; no feed.name: no Description.
  CHECK(dumps(*member(idea, "Category")) == R"(["Other"])");
  CHECK(member(idea, "Description") == nullptr);
  CHECK(dumps(*member(idea, "Source")) == R"([{"ASN": [1]}])");
  CHECK(member(idea, "Target") == nullptr);
  CHECK(member(idea, "Attach") == nullptr);
  testing::TestBot test("experts.idea.expert", {{"test_mode", Value::boolean(true)}});
  Value t = idea_of(test, {{"classification.type", Value::string("dga-domain")},
                           {"feed.name", Value::string("F")}});
  // dga-domain is missing from the reference table: only "Test" remains.
  CHECK(dumps(*member(t, "Category")) == R"(["Test"])");
  CHECK(*member(t, "Description") == Value::string("F: dga-domain"));
}

TEST_CASE("idea: an existing output fails the event", "[experts][idea]") {
  testing::TestBot bot("experts.idea.expert", {});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("output", Value::string("{}"));
  CHECK_THROWS(bot.process(ev, out));
}
