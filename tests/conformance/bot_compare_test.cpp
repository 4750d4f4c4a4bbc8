// SPDX-License-Identifier: AGPL-3.0-or-later
// The bot-case comparison rule (conformance README): per path, in order,
// time.observation and ignore_fields dropped, `output` decoded, numbers by value.
#include <catch2/catch.hpp>

#include "harmonization/pyfmt.hpp"
#include "tests/conformance/bot_compare.hpp"

namespace {

using intelflow::harm::Value;
using namespace intelflow::conformance;

Value json(std::string_view text) {
  Value v;
  REQUIRE(intelflow::harm::py::json_loads(text, v));
  return v;
}

std::vector<std::string> diff_messages(std::string_view expected, std::string_view actual,
                                       std::vector<std::string> ignore = {"time.observation"}) {
  const Value parsed = json(actual);
  std::vector<Value> got(parsed.as_list().begin(), parsed.as_list().end());
  std::vector<std::string> diffs;
  compare_messages("path _default", json(expected).as_list(), got, ignore, diffs);
  return diffs;
}

}  // namespace

TEST_CASE("bot compare: time.observation is dropped and numbers compare by value", "[compare]") {
  CHECK(diff_messages(R"([{"__type": "Event", "source.port": 80, "time.observation": "x"}])",
                      R"([{"__type": "Event", "source.port": 80.0}])")
            .empty());
}

TEST_CASE("bot compare: a differing key names the path, the index and the key", "[compare]") {
  auto d = diff_messages(R"([{"__type": "Event"}, {"__type": "Event", "source.ip": "192.0.2.1"}])",
                         R"([{"__type": "Event"}, {"__type": "Event", "source.ip": "192.0.2.2"}])");
  REQUIRE(d.size() == 1);
  CHECK(d[0] == R"(path _default msg#1 key "source.ip": expected "192.0.2.1", got "192.0.2.2")");
}

TEST_CASE("bot compare: missing and unexpected keys are both reported", "[compare]") {
  auto d = diff_messages(R"([{"__type": "Event", "a.b": 1}])", R"([{"__type": "Event", "c": 2}])");
  REQUIRE(d.size() == 2);
  CHECK(d[0] == R"(path _default msg#0 key "a.b": missing (expected 1))");
  CHECK(d[1] == R"(path _default msg#0 key "c": unexpected (got 2))");
}

TEST_CASE("bot compare: order matters and the count must match", "[compare]") {
  auto d = diff_messages(R"([{"k": 1}, {"k": 2}])", R"([{"k": 2}])");
  REQUIRE(d.size() == 3);
  CHECK(d[0] == "path _default: expected 2 message(s), got 1");
  CHECK(d[1] == R"(path _default msg#0 key "k": expected 1, got 2)");
  CHECK(d[2].starts_with("path _default msg#1: missing message"));
}

TEST_CASE("bot compare: output is compared JSON-decoded, output.X ignored inside", "[compare]") {
  CHECK(diff_messages(R"([{"output": "{\"a\": 1, \"b\": [1, 2]}"}])",
                      R"([{"output": "{\"b\": [1, 2.0],  \"a\": 1}"}])")
            .empty());
  CHECK(diff_messages(R"([{"output": "{\"a\": 1, \"t\": 5}"}])", R"([{"output": "{\"a\": 1}"}])",
                      {"time.observation", "output.t"})
            .empty());
  CHECK_FALSE(
      diff_messages(R"([{"output": "{\"a\": 1}"}])", R"([{"output": "{\"a\": 2}"}])").empty());
}

TEST_CASE("bot compare: ignore_fields drops keys on both sides", "[compare]") {
  CHECK(
      diff_messages(R"([{"k": 1, "extra.r": 5}])", R"([{"k": 1}])", {"time.observation", "extra.r"})
          .empty());
}

TEST_CASE("bot compare: raw differences are shown decoded", "[compare]") {
  // "YWJj" = "abc", "YWJk" = "abd"
  auto d = diff_messages(R"([{"raw": "YWJj"}])", R"([{"raw": "YWJk"}])");
  REQUIRE(d.size() == 1);
  CHECK(
      d[0] ==
      R"(path _default msg#0 key "raw": decoded raw differs at byte 2: expected "abc", got "abd")");
}

TEST_CASE("bot compare: bools are not numbers, nested values compare by value", "[compare]") {
  CHECK_FALSE(same_json_value(json("true"), json("1")));
  CHECK(same_json_value(json(R"({"a": [1, {"b": 2.0}]})"), json(R"({"a": [1.0, {"b": 2}]})")));
  CHECK_FALSE(same_json_value(json(R"({"a": 1})"), json(R"({"a": 1, "b": 2})")));
}

TEST_CASE("bot compare: cache keys, values and TTL bounds", "[compare]") {
  std::map<std::string, CacheEntry> actual;
  actual["k1"] = CacheEntry{"string", Value::string("hash"), 3599};
  actual["k2"] = CacheEntry{"string", Value::string("hash"), -1};
  std::vector<std::string> diffs;
  compare_cache(json(R"({"k1": {"type": "string", "value": "hash", "ttl": 3600},
                         "k2": {"type": "string", "value": "hash", "ttl": null}})"),
                actual, diffs);
  CHECK(diffs.empty());

  diffs.clear();
  compare_cache(json(R"({"k1": {"type": "string", "value": "other", "ttl": 10},
                         "k3": {"type": "string", "value": "hash", "ttl": 10}})"),
                actual, diffs);
  REQUIRE(diffs.size() == 4);
  CHECK(diffs[0] == R"(cache key "k1" value: expected "other", got "hash")");
  CHECK(diffs[1] == R"(cache key "k1" ttl: expected at most 10s, got 3599s)");
  CHECK(diffs[2] == R"(cache key "k3": missing)");
  CHECK(diffs[3] == R"(cache key "k2": unexpected (string "hash"))");
}

TEST_CASE("bot compare: files by content, generated directory names by contents", "[compare]") {
  FileState f;
  f.exists = true;
  f.content = "{}\n";
  std::vector<std::string> diffs;
  compare_file("/w/tmp1", json(R"({"type": "file", "content": "{}\n"})"), f, false, diffs);
  CHECK(diffs.empty());
  compare_file("/w/tmp1", json(R"({"type": "file", "content": "[]\n"})"), f, false, diffs);
  REQUIRE(diffs.size() == 1);
  CHECK(diffs[0] == R"(file /w/tmp1 content: expected "[]\n", got "{}\n")");

  FileState d;
  d.exists = d.is_dir = true;
  d.files["vm.1.2"] = "x";
  diffs.clear();
  compare_file("/w/in", json(R"({"type": "dir", "content": {"vm.9.9": "x"}})"), d, true, diffs);
  CHECK(diffs.empty());
  compare_file("/w/in", json(R"({"type": "dir", "content": {"vm.9.9": "x"}})"), d, false, diffs);
  REQUIRE(diffs.size() == 2);
  CHECK(diffs[0] == "file /w/in/vm.9.9: missing");
}
