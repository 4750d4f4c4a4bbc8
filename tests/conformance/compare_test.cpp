// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests of the conformance runner's comparison rules (VECTORS.md "How to compare").
#include <catch2/catch.hpp>
#include <cmath>

#include "tests/conformance/compare.hpp"

using intelflow::conformance::compare_outcome;
using intelflow::conformance::compare_value;
using intelflow::conformance::error_matches;
using intelflow::conformance::Json;
using intelflow::conformance::Outcome;
using intelflow::conformance::parse_clock;
using intelflow::conformance::to_value;
using intelflow::conformance::Unsupported;
using intelflow::harm::ErrorKind;
using intelflow::harm::HarmonizationError;
using intelflow::harm::Value;

namespace {
std::vector<std::string> diff(const char* expected_json, const Value& actual, bool text = false) {
  std::vector<std::string> d;
  compare_value(Json::parse(expected_json), actual, "x", d, text);
  return d;
}
Outcome throwing(ErrorKind k, const char* what = "boom") {
  return Outcome::capture([&]() -> Value { throw HarmonizationError(k, what); });
}
}  // namespace

TEST_CASE("runner: JSON ints stay ints and floats stay floats", "[conformance]") {
  CHECK(to_value(Json::parse("100")).is_int());
  CHECK(to_value(Json::parse("100.0")).is_float());
  CHECK(to_value(Json::parse("18446744073709551615")).is_bigint());
  CHECK(to_value(Json::parse("18446744073709551615")).as_string() == "18446744073709551615");
}

TEST_CASE("runner: value tags become special floats, big ints and bytes", "[conformance]") {
  CHECK(std::isnan(to_value(Json::parse(R"({"$float": "NaN"})")).as_float()));
  CHECK(to_value(Json::parse(R"({"$float": "-Infinity"})")).as_float() == -INFINITY);
  CHECK(to_value(Json::parse(R"({"$bigint": "-123456789012345678901"})")).as_string() ==
        "-123456789012345678901");
  Value b = to_value(Json::parse(R"({"$bytes_b64": "/w=="})"));
  REQUIRE(b.is_bytes());
  CHECK(b.as_string() == std::string("\xff", 1));
  CHECK_THROWS_AS(to_value(Json::parse(R"({"$ip_address": "1.2.3.4"})")), Unsupported);
}

TEST_CASE("runner: objects keep their key order", "[conformance]") {
  Value d = to_value(Json::parse(R"({"b": 1, "a": 2})"));
  REQUIRE(d.as_dict().size() == 2);
  CHECK(d.as_dict()[0].first == "b");
}

TEST_CASE("runner: numbers compare by value and by int/float kind", "[conformance]") {
  CHECK(diff("80", Value::integer(80)).empty());
  CHECK(diff("80.5", Value::floating(80.5)).empty());
  auto d = diff("80", Value::floating(80.0));
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "x: expected 80, got 80.0 [kind: expected int, got float]");
  d = diff("80.0", Value::integer(80));
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "x: expected 80.0, got 80 [kind: expected float, got int]");
  CHECK(diff("true", Value::integer(1)).size() == 1);
  CHECK(diff("81", Value::integer(80)).size() == 1);
}

TEST_CASE("runner: special floats compare NaN equal to NaN", "[conformance]") {
  CHECK(diff(R"({"$float": "NaN"})", Value::floating(NAN)).empty());
  CHECK(diff(R"({"$float": "Infinity"})", Value::floating(INFINITY)).empty());
  CHECK(diff(R"({"$float": "Infinity"})", Value::floating(-INFINITY)).size() == 1);
  CHECK(diff(R"({"$bigint": "99999999999999999999"})", Value::big_integer("99999999999999999999"))
            .empty());
  CHECK(diff(R"({"$bigint": "99999999999999999999"})", Value::string("99999999999999999999"))
            .size() == 1);
}

TEST_CASE("runner: strings compare byte for byte", "[conformance]") {
  CHECK(diff(R"("a")", Value::string("a")).empty());
  CHECK(diff(R"("a")", Value::string("A")).size() == 1);
  CHECK(diff(R"("1")", Value::integer(1)).size() == 1);
}

TEST_CASE("runner: JSON texts that only match structurally are failures that say so",
          "[conformance]") {
  auto d = diff(R"("{\"a\": 1, \"b\": 2}")", Value::string(R"({"b":2,"a":1})"), true);
  REQUIRE(d.size() == 1);
  CHECK(d[0].find("structurally equal") != std::string::npos);
  d = diff(R"("{\"a\": 1}")", Value::string(R"({"a": 2})"), true);
  REQUIRE(d.size() == 1);
  CHECK(d[0].find("structurally equal") == std::string::npos);
}

TEST_CASE("runner: objects compare order-insensitively, lists in order", "[conformance]") {
  Value d = Value::dict({{"b", Value::integer(2)}, {"a", Value::integer(1)}});
  CHECK(diff(R"({"a": 1, "b": 2})", d).empty());
  auto missing = diff(R"({"a": 1, "b": 2, "c": 3})", d);
  REQUIRE(missing.size() == 1);
  CHECK(missing[0] == R"(x["c"]: missing (expected 3))");
  auto extra = diff(R"({"a": 1})", d);
  REQUIRE(extra.size() == 1);
  CHECK(extra[0] == R"(x["b"]: unexpected key (got 2))");
  Value l = Value::list({Value::string("a"), Value::string("b")});
  CHECK(diff(R"(["a", "b"])", l).empty());
  CHECK(diff(R"(["b", "a"])", l).size() == 1);
}

TEST_CASE("runner: recorded error kinds map to C++ kinds", "[conformance]") {
  std::string why;
  CHECK(error_matches("InvalidValue", throwing(ErrorKind::InvalidValue), why));
  CHECK_FALSE(error_matches("InvalidValue", throwing(ErrorKind::ValueError), why));
  CHECK_FALSE(error_matches("KeyError", throwing(ErrorKind::InvalidKey), why));
  CHECK(error_matches("KeyError", throwing(ErrorKind::KeyError), why));
  // Python crashes leaking through the API: any HarmonizationError, never a success.
  CHECK(error_matches("binascii.Error", throwing(ErrorKind::InvalidValue), why));
  CHECK(error_matches("dateutil.ParserError", throwing(ErrorKind::ValueError), why));
  CHECK_FALSE(error_matches("ValueError", Outcome::capture([] { return Value(); }), why));
  // Stubs never count as the recorded error.
  CHECK_FALSE(
      error_matches("ValueError", throwing(ErrorKind::ValueError, "not implemented: x"), why));
}

TEST_CASE("runner: an expected error against a success is a diff naming both", "[conformance]") {
  std::vector<std::string> d;
  Json err = "KeyExists";
  compare_outcome(Json(), &err, Outcome::capture([] { return Value::boolean(true); }), "op#1 add",
                  d);
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "op#1 add: expected error KeyExists, got true");
  d.clear();
  compare_outcome(Json(true), nullptr, throwing(ErrorKind::InvalidValue, "bad"), "op#2 add", d);
  REQUIRE(d.size() == 1);
  CHECK(d[0] == "op#2 add: expected true, got error InvalidValue (\"bad\")");
}

TEST_CASE("runner: clock strings convert to epoch seconds", "[conformance]") {
  CHECK(parse_clock("1970-01-01T00:00:00+00:00") == 0);
  CHECK(parse_clock("2024-06-15T12:00:00+00:00") == 1718452800);
  CHECK(parse_clock("2024-06-15T14:00:00+02:00") == 1718452800);
  CHECK_FALSE(parse_clock("yesterday").has_value());
}
