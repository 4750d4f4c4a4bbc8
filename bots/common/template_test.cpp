// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cmath>

#include "bots/common/template.hpp"

using intelflow::bots::DateTimeArg;
using intelflow::bots::FormatArg;
using intelflow::bots::FormatError;
using intelflow::bots::FormatTemplate;
using intelflow::harm::Value;

namespace {

/// Renders a one-field template `{a...}` with `v` the way str.format does.
std::string fmt1(std::string_view tmpl, const Value& v) {
  auto t = FormatTemplate::parse(tmpl);
  std::string out;
  for (const auto& p : t.pieces()) {
    if (!p.is_field) {
      out += p.literal;
      continue;
    }
    intelflow::bots::format_arg(out, FormatArg::of_value(v), p.conversion, p.spec);
  }
  return out;
}

}  // namespace

TEST_CASE("template: parses literals, escapes and replacement fields", "[template]") {
  auto t = FormatTemplate::parse("a{{b}}{msg[source.ip]}c{matches[x][1]!r:>4}");
  REQUIRE(t.pieces().size() == 4);
  CHECK(t.pieces()[0].literal == "a{b}");
  CHECK(t.pieces()[1].root == "msg");
  REQUIRE(t.pieces()[1].steps.size() == 1);
  CHECK(t.pieces()[1].steps[0].key == "source.ip");
  CHECK_FALSE(t.pieces()[1].steps[0].is_int);
  CHECK(t.pieces()[2].literal == "c");
  const auto& m = t.pieces()[3];
  CHECK(m.root == "matches");
  REQUIRE(m.steps.size() == 2);
  CHECK(m.steps[1].is_int);
  CHECK(m.steps[1].index == 1);
  CHECK(m.conversion == 'r');
  CHECK(m.spec == ">4");
  CHECK_FALSE(t.is_literal());
  CHECK(FormatTemplate::parse("plain {{text}}").is_literal());
}

TEST_CASE("template: brackets may hold ':', '!' and braces", "[template]") {
  auto t = FormatTemplate::parse("{a[b:c!d}]}");
  REQUIRE(t.pieces().size() == 1);
  CHECK(t.pieces()[0].steps[0].key == "b:c!d}");
  CHECK(t.pieces()[0].spec.empty());
}

TEST_CASE("template: syntax errors use Python's wording", "[template]") {
  CHECK_THROWS_WITH(FormatTemplate::parse("a}b"), "Single '}' encountered in format string");
  CHECK_THROWS_WITH(FormatTemplate::parse("{a[x]"), "expected '}' before end of string");
  CHECK_THROWS_WITH(FormatTemplate::parse("{a!x}"), "Unknown conversion specifier x");
  CHECK_THROWS_WITH(FormatTemplate::parse("{a[x]y}"),
                    "Only '.' or '[' may follow ']' in format field specifier");
  CHECK_THROWS_AS(FormatTemplate::parse("{a:{b}}"), FormatError);
}

TEST_CASE("template: format specs for strings match Python", "[template]") {
  CHECK(fmt1("{a}", Value::string("x")) == "x");
  CHECK(fmt1("{a:>5}", Value::string("ab")) == "   ab");
  CHECK(fmt1("{a:*^7}", Value::string("ab")) == "**ab***");
  CHECK(fmt1("{a:.2}", Value::string("abcdef")) == "ab");
  CHECK(fmt1("{a:é<4}", Value::string("x")) == "xééé");
  CHECK(fmt1("{{{a}}}", Value::string("v")) == "{v}");
  CHECK(fmt1("{a!r}", Value::string("it's")) == "\"it's\"");
  CHECK(fmt1("{a!r}", Value::string("ab")) == "'ab'");
  CHECK(fmt1("{a!a}", Value::string("é")) == "'\\xe9'");
  CHECK_THROWS_AS(fmt1("{a:d}", Value::string("x")), FormatError);
  CHECK_THROWS_AS(fmt1("{a:+}", Value::string("x")), FormatError);
}

TEST_CASE("template: format specs for integers and booleans match Python", "[template]") {
  CHECK(fmt1("{a:5d}", Value::integer(42)) == "   42");
  CHECK(fmt1("{a:+d}", Value::integer(42)) == "+42");
  CHECK(fmt1("{a: d}", Value::integer(5)) == " 5");
  CHECK(fmt1("{a:05d}", Value::integer(-42)) == "-0042");
  CHECK(fmt1("{a:,}", Value::integer(1234567)) == "1,234,567");
  CHECK(fmt1("{a:_x}", Value::integer(0xdeadbeef)) == "dead_beef");
  CHECK(fmt1("{a:#b}", Value::integer(5)) == "0b101");
  CHECK(fmt1("{a:x}", Value::integer(255)) == "ff");
  CHECK(fmt1("{a:X}", Value::integer(255)) == "FF");
  CHECK(fmt1("{a:o}", Value::integer(8)) == "10");
  CHECK(fmt1("{a:c}", Value::integer(65)) == "A");
  CHECK(fmt1("{a:n}", Value::integer(1234)) == "1234");
  CHECK(fmt1("{a!s:>4}", Value::integer(5)) == "   5");
  CHECK(fmt1("{a}", Value::boolean(true)) == "True");
  CHECK(fmt1("{a:>4}", Value::boolean(true)) == "   1");
  CHECK(fmt1("{a:d}", Value::boolean(false)) == "0");
  CHECK_THROWS_AS(fmt1("{a:.2d}", Value::integer(1)), FormatError);
}

TEST_CASE("template: format specs for floats match Python", "[template]") {
  CHECK(fmt1("{a}", Value::floating(1.0)) == "1.0");
  CHECK(fmt1("{a}", Value::floating(1e16)) == "1e+16");
  CHECK(fmt1("{a:.3}", Value::floating(1.0)) == "1.0");
  CHECK(fmt1("{a:.3f}", Value::floating(3.14159)) == "3.142");
  CHECK(fmt1("{a:e}", Value::floating(12345.678)) == "1.234568e+04");
  CHECK(fmt1("{a:g}", Value::floating(0.0001)) == "0.0001");
  CHECK(fmt1("{a:G}", Value::floating(1e-10)) == "1E-10");
  CHECK(fmt1("{a:.2%}", Value::floating(0.256)) == "25.60%");
  CHECK(fmt1("{a:10.2f}", Value::floating(-3.14159)) == "     -3.14");
  CHECK(fmt1("{a:=+8.2f}", Value::floating(3.5)) == "+   3.50");
  CHECK(fmt1("{a:,.2f}", Value::floating(1234567.891)) == "1,234,567.89");
  CHECK(fmt1("{a:.0f}", Value::floating(2.5)) == "2");
  CHECK(fmt1("{a:#.0f}", Value::floating(2.0)) == "2.");
  CHECK(fmt1("{a:z.1f}", Value::floating(-0.04)) == "0.0");
  CHECK(fmt1("{a:F}", Value::floating(HUGE_VAL)) == "INF");
}

TEST_CASE("template: None and containers only take an empty spec", "[template]") {
  std::string out;
  intelflow::bots::format_arg(out, FormatArg::none(), 0, "");
  CHECK(out == "None");
  CHECK_THROWS_AS(intelflow::bots::format_arg(out, FormatArg::none(), 0, ">5"), FormatError);
  CHECK(fmt1("{a}", Value::list({Value::integer(1), Value::string("x")})) == "[1, 'x']");
  CHECK_THROWS_AS(fmt1("{a:>3}", Value::list({})), FormatError);
}

TEST_CASE("template: datetimes print like str(datetime) and take strftime specs", "[template]") {
  DateTimeArg dt;
  REQUIRE(intelflow::bots::parse_intelmq_datetime("2024-06-01T12:34:56+00:00", dt));
  std::string out;
  intelflow::bots::format_arg(out, FormatArg::of_datetime(dt), 0, "");
  CHECK(out == "2024-06-01 12:34:56");
  out.clear();
  intelflow::bots::format_arg(out, FormatArg::of_datetime(dt), 0, "%Y-%m-%d_%H%a%j");
  CHECK(out == "2024-06-01_12Sat153");
  REQUIRE(intelflow::bots::parse_intelmq_datetime("2024-06-01T12:34:56.5+00:00", dt));
  out.clear();
  intelflow::bots::format_arg(out, FormatArg::of_datetime(dt), 0, "");
  CHECK(out == "2024-06-01 12:34:56.500000");
  out.clear();
  intelflow::bots::format_arg(out, FormatArg::of_datetime(dt), 0, "%f|%z|");
  CHECK(out == "500000||");
  CHECK_FALSE(intelflow::bots::parse_intelmq_datetime("2024-06-01T12:34:56Z", dt));
  CHECK_FALSE(intelflow::bots::parse_intelmq_datetime("2023-02-29T00:00:00+00:00", dt));
}

TEST_CASE("template: subscripts of strings, lists and dicts", "[template]") {
  intelflow::bots::FieldStep zero;
  zero.key = "0";
  zero.is_int = true;
  zero.index = 0;
  CHECK(intelflow::bots::subscript(Value::string("éx"), zero) == Value::string("é"));
  CHECK(intelflow::bots::subscript(Value::list({Value::integer(7)}), zero) == Value::integer(7));
  intelflow::bots::FieldStep k;
  k.key = "a";
  CHECK(intelflow::bots::subscript(Value::dict({{"a", Value::integer(1)}}), k) ==
        Value::integer(1));
  CHECK_THROWS_AS(intelflow::bots::subscript(Value::string("x"), k), FormatError);
}
