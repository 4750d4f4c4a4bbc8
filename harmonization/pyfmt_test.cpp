// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "harmonization/errors.hpp"
#include "harmonization/pyfmt.hpp"

using intelflow::harm::ErrorKind;
using intelflow::harm::HarmonizationError;
using intelflow::harm::Value;
namespace py = intelflow::harm::py;

namespace {
Value loads(std::string_view s) {
  Value v;
  REQUIRE(py::json_loads(s, v));
  return v;
}
}  // namespace

TEST_CASE("pyfmt: float repr uses Python's shortest round-trip form", "[pyfmt]") {
  CHECK(py::float_repr(100.0) == "100.0");
  CHECK(py::float_repr(1e16) == "1e+16");
  CHECK(py::float_repr(1e15) == "1000000000000000.0");
  CHECK(py::float_repr(1.2345678901234568e+16) == "1.2345678901234568e+16");
  CHECK(py::float_repr(0.0001) == "0.0001");
  CHECK(py::float_repr(0.00001) == "1e-05");
  CHECK(py::float_repr(1.5e300) == "1.5e+300");
  CHECK(py::float_repr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(py::float_repr(-0.0) == "-0.0");
  CHECK(py::float_repr(5e-324) == "5e-324");
  CHECK(py::float_repr(123456789012345.6) == "123456789012345.6");
  CHECK(py::float_repr(std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(py::float_repr(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("pyfmt: str() renders non-strings like Python", "[pyfmt]") {
  CHECK(py::str(Value::string("x y")) == "x y");
  CHECK(py::str(Value::integer(-5)) == "-5");
  CHECK(py::str(Value::floating(1.5)) == "1.5");
  CHECK(py::str(Value::boolean(true)) == "True");
  CHECK(py::str(Value()) == "None");
  CHECK(py::str(Value::list({Value::integer(1), Value::string("a")})) == "[1, 'a']");
  CHECK(py::str(Value::dict({{"a", Value::integer(1)}})) == "{'a': 1}");
  CHECK(py::str_len(Value::string("äöü")) == 3);
  CHECK(py::str_len(Value::integer(80)) == 2);
  CHECK(py::str_len(Value::boolean(false)) == 5);
}

TEST_CASE("pyfmt: repr() chooses quotes and escapes like Python", "[pyfmt]") {
  CHECK(py::repr(Value::string("a'b")) == "\"a'b\"");
  CHECK(py::repr(Value::string("a\"b'")) == "'a\"b\\''");
  CHECK(py::repr(Value::string("back\\slash")) == "'back\\\\slash'");
  CHECK(py::repr(Value::string("t\tn\nr\r\x01\x7f")) == "'t\\tn\\nr\\r\\x01\\x7f'");
  CHECK(py::repr(Value::string("h\xc3\xa9")) == "'h\xc3\xa9'");
  CHECK(py::repr(Value::bytes(std::string("\x00"
                                          "a'\xff",
                                          4))) == "b\"\\x00a'\\xff\"");
  CHECK(py::repr(Value::floating(50.0)) == "50.0");
  CHECK(py::repr(Value::boolean(false)) == "False");
  CHECK(py::repr(Value::big_integer("123456789012345678901234567890")) ==
        "123456789012345678901234567890");
}

TEST_CASE("pyfmt: json.dumps separators, escapes and special floats", "[pyfmt]") {
  Value v = Value::dict({{"b", Value::integer(1)},
                         {"a", Value::list({Value::floating(1e16), Value::boolean(true), Value()})},
                         {"c", Value::string("h\xc3\xa9 \xf0\x9f\x98\x80 \"q\" \\ \x7f")}});
  CHECK(py::json_dumps(v) ==
        R"({"b": 1, "a": [1e+16, true, null], "c": "h\u00e9 \ud83d\ude00 \"q\" \\ \u007f"})");
  py::JsonOptions sorted;
  sorted.sort_keys = true;
  sorted.ensure_ascii = false;
  CHECK(py::json_dumps(v, sorted) ==
        "{\"a\": [1e+16, true, null], \"b\": 1, \"c\": \"h\xc3\xa9 \xf0\x9f\x98\x80 "
        "\\\"q\\\" \\\\ \x7f\"}");
  CHECK(py::json_dumps(Value::floating(std::nan(""))) == "NaN");
  CHECK(py::json_dumps(Value::floating(-std::numeric_limits<double>::infinity())) == "-Infinity");
  CHECK(py::json_dumps(Value::dict({})) == "{}");
  CHECK(py::json_dumps(Value::string(std::string("\x00\b\f", 3))) == R"("\u0000\b\f")");
}

TEST_CASE("pyfmt: json.dumps refuses bytes", "[pyfmt]") {
  try {
    py::json_dumps(Value::bytes("x"));
    FAIL("no exception");
  } catch (const HarmonizationError& e) {
    CHECK(e.kind() == ErrorKind::ValueError);
  }
}

TEST_CASE("pyfmt: json_loads keeps ints, floats, big ints and special floats apart", "[pyfmt]") {
  Value v = loads(R"( [1, 1.0, -0, 1e400, -1e400, 1e-400, 123456789012345678901234567890,
                       -9223372036854775808, 9223372036854775808, NaN, -Infinity] )");
  const auto& l = v.as_list();
  REQUIRE(l.size() == 11);
  CHECK(l[0].is_int());
  CHECK(l[1].is_float());
  CHECK((l[2].is_int() && l[2].as_int() == 0));
  CHECK((l[3].is_float() && std::isinf(l[3].as_float()) && l[3].as_float() > 0));
  CHECK((l[4].is_float() && l[4].as_float() < 0));
  CHECK((l[5].is_float() && l[5].as_float() == 0.0));
  CHECK((l[6].is_bigint() && l[6].as_string() == "123456789012345678901234567890"));
  CHECK((l[7].is_int() && l[7].as_int() == std::numeric_limits<std::int64_t>::min()));
  CHECK((l[8].is_bigint() && l[8].as_string() == "9223372036854775808"));
  CHECK((l[9].is_float() && std::isnan(l[9].as_float())));
  CHECK((l[10].is_float() && std::isinf(l[10].as_float())));
}

TEST_CASE("pyfmt: json_loads decodes escapes and surrogate pairs", "[pyfmt]") {
  Value v = loads(R"("a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00")");
  CHECK(v.as_string() == "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  // a lone surrogate survives (as Python keeps it in the str)
  CHECK(loads(R"("\ud800x")").as_string() == "\xed\xa0\x80x");
}

TEST_CASE(
    "pyfmt: json_loads objects keep order, duplicate key keeps first position with last value",
    "[pyfmt]") {
  Value v = loads(R"({"b": 1, "a": 2, "b": 3})");
  const auto& d = v.as_dict();
  REQUIRE(d.size() == 2);
  CHECK(d[0].first == "b");
  CHECK(d[0].second.as_int() == 3);
  CHECK(d[1].first == "a");
}

TEST_CASE("pyfmt: json_loads rejects what Python's json rejects", "[pyfmt]") {
  Value v;
  for (std::string_view bad :
       {"", "01", "1.", "1e", "[1,]", "{\"a\":1,}", "\"\x01\"", "'a'", "{a: 1}", "[1] x",
        "\"\\x41\"", "\"\\u12\"", "tru", "-", "nan", "\xef\xbb\xbf{}"}) {
    INFO(bad);
    CHECK_FALSE(py::json_loads(bad, v));
  }
  CHECK(py::json_loads(" \t\r\n{} \n", v));
}
