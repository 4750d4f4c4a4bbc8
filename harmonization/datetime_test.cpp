// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <random>

#include "harmonization/datetime.hpp"
#include "harmonization/datetime_internal.hpp"
#include "harmonization/errors.hpp"

namespace dt = intelflow::harm::datetime;
using intelflow::harm::ErrorKind;
using intelflow::harm::HarmonizationError;
using intelflow::harm::Value;

namespace {

/// Pins "now" to 2024-06-15T12:00:00Z (a Saturday) for the scope.
struct PinnedClock {
  PinnedClock() { dt::set_clock_override(1718452800); }
  ~PinnedClock() { dt::set_clock_override(std::nullopt); }
};

std::string san(const char* s) {
  const Value v = dt::sanitize(Value::string(s));
  return v.is_null() ? std::string("<null>") : v.as_string();
}

ErrorKind kind_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const HarmonizationError& e) {
    return e.kind();
  }
  FAIL("no exception");
  return ErrorKind::InvalidValue;
}

Value s(const char* x) {
  return Value::string(x);
}

}  // namespace

// ------------------------------------------------------------ strict form

TEST_CASE("datetime: canonical UTC strings are valid and kept as they are", "[datetime]") {
  CHECK(dt::is_valid_string("2015-08-31T08:16:10+00:00"));
  CHECK(dt::is_valid_string("2015-08-31T08:16:10.123456+00:00"));
  CHECK(dt::is_valid_string("2015-08-31T08:16:10.000000+00:00"));
  CHECK(dt::is_valid_string("0001-01-01T00:00:00+00:00"));
  CHECK(dt::is_valid_string("9999-12-31T23:59:59.999999+00:00"));
  CHECK(dt::is_valid_string("2016-02-29T00:00:00+00:00"));
  CHECK(san("2015-08-31T08:16:10.5+00:00") == "2015-08-31T08:16:10.5+00:00");
}

TEST_CASE("datetime: the strict pattern follows strptime field rules", "[datetime]") {
  // one-digit fields, a space-padded day, a lowercase 't' and 1-6 fraction digits pass as-is
  CHECK(dt::is_valid_string("2015-8-31T8:16:10+00:00"));
  CHECK(dt::is_valid_string("2015-08- 1T08:16:10+00:00"));
  CHECK(dt::is_valid_string("2015-08-31t08:16:10+00:00"));
  CHECK(dt::is_valid_string("2015-08-31T08:16:10.5+00:00"));
  // Unicode decimal digits match \d (but not the ASCII-only month field)
  CHECK(
      dt::is_valid_string("\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x90-12-31T12:00:00+00:00"));
  CHECK_FALSE(dt::is_valid_string("2020-\xef\xbc\x91\xef\xbc\x92-31T12:00:00+00:00"));
  // everything else is not the strict form
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10Z"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10+01:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10-00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31 08:16:10+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10.1234567+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10.+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:60+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T24:00:00+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-02-29T00:00:00+00:00"));
  CHECK_FALSE(dt::is_valid_string("0000-01-01T00:00:00+00:00"));
  CHECK_FALSE(dt::is_valid_string("02015-08-31T08:16:10+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-008-31T08:16:10+00:00"));
  CHECK_FALSE(dt::is_valid_string(" 2015-08-31T08:16:10+00:00"));
  CHECK_FALSE(dt::is_valid_string("2015-08-31T08:16:10+00:00 "));
  CHECK_FALSE(dt::is_valid_string(""));
}

TEST_CASE("datetime: is_valid needs a non-empty str in the strict form", "[datetime]") {
  CHECK(dt::is_valid(s("2015-08-31T08:16:10+00:00")));
  CHECK_FALSE(dt::is_valid(s("2015-08-31T08:16:10Z")));
  CHECK_FALSE(dt::is_valid(Value::integer(1441008970)));
  CHECK_FALSE(dt::is_valid(Value::bytes("2015-08-31T08:16:10+00:00")));
  CHECK_FALSE(dt::is_valid(Value::null()));
}

// ---------------------------------------------------------------- sanitize

TEST_CASE("datetime: sanitize converts offsets to UTC", "[datetime]") {
  CHECK(san("2015-08-31T08:16:10+05:00") == "2015-08-31T03:16:10+00:00");
  CHECK(san("2015-08-31T08:16:10-05:00") == "2015-08-31T13:16:10+00:00");
  CHECK(san("2015-08-31T08:16:10+0530") == "2015-08-31T02:46:10+00:00");
  CHECK(san("2015-08-31T08:16:10+14:00") == "2015-08-30T18:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 +02") == "2015-08-31T06:16:10+00:00");
  CHECK(san("2016-07-19 06:40:01.617719+02:00 UTC") == "2016-07-19T04:40:01.617719+00:00");
  CHECK(san("2015-08-31 08:16:10 -0300 (BRST)") == "2015-08-31T11:16:10+00:00");
  // offsets of a day or more, and results outside years 1..9999, are rejected
  CHECK(san("2015-08-31T08:16:10+24:00") == "<null>");
  CHECK(san("9999-12-31T23:59:59-01:00") == "<null>");
}

TEST_CASE("datetime: Z, UTC and GMT mean UTC, UTC+2 is POSIX-inverted", "[datetime]") {
  CHECK(san("2015-08-31T08:16:10Z") == "2015-08-31T08:16:10+00:00");
  CHECK(san("2015-08-31T08:16:10z") == "2015-08-31T08:16:10+00:00");
  CHECK(san("2016-07-19 13:08:38 UTC") == "2016-07-19T13:08:38+00:00");
  CHECK(san("Mon, 31 Aug 2015 08:16:10 GMT") == "2015-08-31T08:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 UTC+2") == "2015-08-31T10:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 GMT+2") == "2015-08-31T10:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 UTC-5") == "2015-08-31T03:16:10+00:00");
  CHECK(san("Sun Aug 30 2015 08:16:10 GMT+0200 (CEST)") == "2015-08-30T10:16:10+00:00");
  // a UTC name wins over a numeric offset given with it
  CHECK(san("2015-08-31 08:16:10 +0200 (UTC)") == "2015-08-31T08:16:10+00:00");
}

TEST_CASE("datetime: unknown zone names are ignored (time taken as UTC)", "[datetime]") {
  CHECK(san("2015-08-31 08:16:10 CEST") == "2015-08-31T08:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 PST") == "2015-08-31T08:16:10+00:00");
  CHECK(san("2015-08-31 08:16:10 CET") == "2015-08-31T08:16:10+00:00");
}

TEST_CASE("datetime: RFC 2822, ctime and month names in any position", "[datetime]") {
  CHECK(san("Mon, 31 Aug 2015 08:16:10 +0200") == "2015-08-31T06:16:10+00:00");
  CHECK(san("Tue, 01 Sep 2015 00:00:00 -0000") == "2015-09-01T00:00:00+00:00");
  CHECK(san("Mon Aug 31 08:16:10 2015") == "2015-08-31T08:16:10+00:00");
  CHECK(san("Mon Aug 31 08:16:10 UTC 2015") == "2015-08-31T08:16:10+00:00");
  CHECK(san("The event happened on 31st December 2020 12:00") == "2020-12-31T12:00:00+00:00");
  CHECK(san("31-Dec-2020") == "2020-12-31T00:00:00+00:00");
  CHECK(san("Dec-31-2020") == "2020-12-31T00:00:00+00:00");
  CHECK(san("Sep.20.2009") == "2009-09-20T00:00:00+00:00");
}

TEST_CASE("datetime: numeric dates are month-first unless the first number is > 12", "[datetime]") {
  CHECK(san("08/09/2015") == "2015-08-09T00:00:00+00:00");
  CHECK(san("01.02.2020") == "2020-01-02T00:00:00+00:00");
  CHECK(san("31.08.2015") == "2015-08-31T00:00:00+00:00");
  CHECK(san("31/08/2015") == "2015-08-31T00:00:00+00:00");
  CHECK(san("2015/08/31 08:16:10") == "2015-08-31T08:16:10+00:00");
  CHECK(san("1/2/3") == "2003-01-02T00:00:00+00:00");
  CHECK(san("99-01-01") == "1999-01-01T00:00:00+00:00");
  CHECK(san("10-01-01") == "2001-10-01T00:00:00+00:00");
  CHECK(san("12/31/2020 11:59 PM") == "2020-12-31T23:59:00+00:00");
}

TEST_CASE("datetime: compact forms and truncated fractions", "[datetime]") {
  CHECK(san("20150831") == "2015-08-31T00:00:00+00:00");
  CHECK(san("20150831T081610") == "2015-08-31T08:16:10+00:00");
  CHECK(san("201508310816") == "2015-08-31T08:16:00+00:00");
  CHECK(san("2015-08-31T08") == "2015-08-31T08:00:00+00:00");
  CHECK(san("150831") == "2031-08-15T00:00:00+00:00");  // YYMMDD read as DD-MM-YY
  CHECK(san("2015-08-31T08:16:10.1234567+00:00") == "2015-08-31T08:16:10.123456+00:00");
  CHECK(san("2015-08-31T08:16:10.123456789") == "2015-08-31T08:16:10.123456+00:00");
  CHECK(san("2015-08-31T08:16:10,5") == "2015-08-31T08:16:10.500000+00:00");
}

TEST_CASE("datetime: AM/PM and h/m/s labels", "[datetime]") {
  PinnedClock clock;
  CHECK(san("2015-08-31 08:16:10 PM") == "2015-08-31T20:16:10+00:00");
  CHECK(san("2015-08-31 8:16 pm") == "2015-08-31T20:16:00+00:00");
  CHECK(san("12 am") == "2024-06-15T00:00:00+00:00");
  CHECK(san("5pm") == "2024-06-15T17:00:00+00:00");
  CHECK(san("10h36m28s") == "2024-06-15T10:36:28+00:00");
  CHECK(san("10.5h") == "2024-06-15T10:30:00+00:00");
}

TEST_CASE("datetime: missing parts come from today, missing time is midnight", "[datetime]") {
  PinnedClock clock;
  CHECK(san("12:00") == "2024-06-15T12:00:00+00:00");
  CHECK(san("08:16:10") == "2024-06-15T08:16:10+00:00");
  CHECK(san("2015-08-31") == "2015-08-31T00:00:00+00:00");
  CHECK(san("2015-08") == "2015-08-15T00:00:00+00:00");
  CHECK(san("2015") == "2015-06-15T00:00:00+00:00");
  CHECK(san("August 2015") == "2015-08-15T00:00:00+00:00");
  CHECK(san("Aug 31") == "2024-08-31T00:00:00+00:00");
  CHECK(san("10 Sep") == "2024-09-10T00:00:00+00:00");
  CHECK(san("123") == "0123-06-15T00:00:00+00:00");
  CHECK(san("1e3") == "2024-01-03T00:00:00+00:00");
  CHECK(san("in 2015") == "2015-06-15T00:00:00+00:00");
  // a weekday alone moves forward to its next occurrence (today counts)
  CHECK(san("Tuesday") == "2024-06-18T00:00:00+00:00");
  CHECK(san("Saturday") == "2024-06-15T00:00:00+00:00");
}

TEST_CASE("datetime: a default day beyond the month's end falls back to its last day",
          "[datetime]") {
  dt::set_clock_override(1706659200);  // 2024-01-31
  CHECK(san("Feb 2023") == "2023-02-28T00:00:00+00:00");
  CHECK(san("2024-02") == "2024-02-29T00:00:00+00:00");
  dt::set_clock_override(std::nullopt);
}

TEST_CASE("datetime: unknown words are skipped", "[datetime]") {
  CHECK(san("foo 2015-08-31 bar") == "2015-08-31T00:00:00+00:00");
  CHECK(san("2015-08-31T08:16:10+00:00[Europe/Vienna]") == "2015-08-31T08:16:10+00:00");
  CHECK(san(" 2015-08-31T08:16:10+00:00") == "2015-08-31T08:16:10+00:00");
}

TEST_CASE("datetime: inputs without a usable date or time are rejected", "[datetime]") {
  for (const char* bad : {"",
                          " ",
                          "-",
                          "foo",
                          "N/A",
                          "now",
                          "today",
                          "yesterday",
                          "0",
                          "true",
                          "1441008970",
                          "1441008970.5",
                          "129410017915727600",
                          "0018005550199",
                          "2015-W35-1",
                          "2015-02-29",
                          "2015-02-30",
                          "2015-13-01",
                          "2015-08-31T24:00:00",
                          "2015-08-31T36:16:10+00:00",
                          "nan 2015-08-31",
                          "Aug Sep 2015",
                          "0001-01-01 00:00:00",
                          "line\nbreak"}) {
    INFO(bad);
    CHECK(san(bad) == "<null>");
  }
}

TEST_CASE("datetime: sanitize turns non-text values into null", "[datetime]") {
  CHECK(dt::sanitize(Value::integer(1441008970)).is_null());
  CHECK(dt::sanitize(Value::floating(1441008970.5)).is_null());
  CHECK(dt::sanitize(Value::bytes("2015-08-31T08:16:10+00:00")).is_null());
  CHECK(dt::sanitize(Value::null()).is_null());
  CHECK(dt::sanitize(Value::boolean(true)).is_null());
}

TEST_CASE(
    "datetime: years outside 1..9999 after conversion to UTC are rejected; naive 0001-01-01 too",
    "[datetime]") {
  CHECK(san("0001-01-01 00:00:00 UTC") == "0001-01-01T00:00:00+00:00");
  CHECK(san("0001-01-02 00:00:00") == "0001-01-02T00:00:00+00:00");
  CHECK(san("0001-01-01T00:00:00+01:00") == "<null>");
}

TEST_CASE("datetime: a Decimal overflow inside dateutil escapes sanitize", "[datetime]") {
  // 29 integer digits before an 'h' label: decimal.InvalidOperation in the reference
  CHECK(kind_of([] { dt::sanitize(s("11111111111111111111111111111.5h")); }) ==
        ErrorKind::ValueError);
}

TEST_CASE("datetime: generate_now is the clock's second in canonical form", "[datetime]") {
  PinnedClock clock;
  CHECK(dt::now_epoch_seconds() == 1718452800);
  CHECK(dt::generate_now() == "2024-06-15T12:00:00+00:00");
  CHECK(dt::is_valid_string(dt::generate_now()));
}

// ----------------------------------------------------------------- helpers

TEST_CASE("datetime: from_timestamp takes ints, floats and numeric text", "[datetime][helpers]") {
  CHECK(dt::from_timestamp(Value::integer(0)) == "1970-01-01T00:00:00+00:00");
  CHECK(dt::from_timestamp(Value::integer(1441008970)) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::from_timestamp(s("1441008970")) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::from_timestamp(s("1441008970.123456")) == "2015-08-31T08:16:10.123456+00:00");
  CHECK(dt::from_timestamp(s("1e9")) == "2001-09-09T01:46:40+00:00");
  CHECK(dt::from_timestamp(s("1_000")) == "1970-01-01T00:16:40+00:00");
  CHECK(dt::from_timestamp(s("-1.5")) == "1969-12-31T23:59:58.500000+00:00");
  CHECK(dt::from_timestamp(Value::boolean(true)) == "1970-01-01T00:00:01+00:00");
  CHECK(dt::from_timestamp(Value::integer(-62135596800)) == "0001-01-01T00:00:00+00:00");
  CHECK(dt::from_timestamp(Value::integer(253402300799)) == "9999-12-31T23:59:59+00:00");
}

TEST_CASE("datetime: from_timestamp rounds floats half-even to microseconds",
          "[datetime][helpers]") {
  CHECK(dt::from_timestamp(Value::floating(1e-06)) == "1970-01-01T00:00:00.000001+00:00");
  CHECK(dt::from_timestamp(Value::floating(5e-07)) == "1970-01-01T00:00:00+00:00");
  CHECK(dt::from_timestamp(Value::floating(1.0000005)) == "1970-01-01T00:00:01.000001+00:00");
  CHECK(dt::from_timestamp(Value::floating(1.9999999)) == "1970-01-01T00:00:02+00:00");
  CHECK(dt::from_timestamp(Value::floating(-0.5)) == "1969-12-31T23:59:59.500000+00:00");
  CHECK(dt::from_timestamp(Value::floating(1234567890.1234567)) ==
        "2009-02-13T23:31:30.123457+00:00");
}

TEST_CASE("datetime: from_timestamp errors", "[datetime][helpers]") {
  for (const Value& v :
       {Value::integer(253402300800), Value::integer(-62135596801), Value::integer(1441008970123),
        s("abc"), s(""), s("nan"), s("0x10"), Value::list({}), Value::null(),
        Value::big_integer("99999999999999999999")}) {
    CHECK(kind_of([&] { dt::from_timestamp(v); }) == ErrorKind::ValueError);
  }
}

TEST_CASE("datetime: from_epoch_millis chooses the unit by the length of str(value)",
          "[datetime][helpers]") {
  CHECK(dt::from_epoch_millis(Value::integer(1441008970)) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::from_epoch_millis(Value::integer(144100897012)) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::from_epoch_millis(Value::integer(1441008970999)) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::from_epoch_millis(s("0000000000")) == "1970-01-01T00:00:00+00:00");
  // a float's repr counts: "1441008970.5" has 12 characters
  CHECK(dt::from_epoch_millis(Value::floating(1441008970.5)) == "1970-06-16T18:48:09+00:00");
  CHECK(dt::from_epoch_millis(s("  1441008970")) == "1970-06-16T18:48:09+00:00");
  CHECK(dt::from_epoch_millis(Value::integer(-144100897)) == "1965-06-08T03:58:23+00:00");
  CHECK_FALSE(dt::from_epoch_millis(Value::integer(14410089701)).has_value());
  CHECK_FALSE(dt::from_epoch_millis(s("-1441008970")).has_value());
  CHECK_FALSE(dt::from_epoch_millis(Value::boolean(true)).has_value());
  CHECK_FALSE(dt::from_epoch_millis(Value::floating(1441008970123.0)).has_value());
  CHECK(kind_of([] { dt::from_epoch_millis(s("abc")); }) == ErrorKind::ValueError);
  CHECK(kind_of([] { dt::from_epoch_millis(s("1441008970.5")); }) == ErrorKind::ValueError);
}

TEST_CASE("datetime: from_windows_nt counts 100 ns ticks from 1601", "[datetime][helpers]") {
  CHECK(dt::from_windows_nt(Value::integer(129410017915727600)) ==
        "2011-02-01T02:43:11.572760+00:00");
  CHECK(dt::from_windows_nt(s("+129410017915727600")) == "2011-02-01T02:43:11.572760+00:00");
  CHECK(dt::from_windows_nt(Value::integer(0)) == "1601-01-01T00:00:00+00:00");
  CHECK(dt::from_windows_nt(Value::integer(10)) == "1601-01-01T00:00:00.000001+00:00");
  CHECK(dt::from_windows_nt(Value::integer(25)) == "1601-01-01T00:00:00.000002+00:00");
  CHECK(dt::from_windows_nt(Value::integer(-10)) == "1600-12-31T23:59:59.999999+00:00");
  CHECK(dt::from_windows_nt(s(" 123 ")) == "1601-01-01T00:00:00.000012+00:00");
  CHECK(dt::from_windows_nt(Value::integer(-504911232000000000)) == "0001-01-01T00:00:00+00:00");
  for (const Value& v :
       {Value::integer(2650467744000000000), s("1.5"), s("abc"), s(""), Value::null()}) {
    CHECK(kind_of([&] { dt::from_windows_nt(v); }) == ErrorKind::ValueError);
  }
}

TEST_CASE("datetime: from_isoformat accepts only the strict form and echoes it",
          "[datetime][helpers]") {
  CHECK(dt::from_isoformat(s("2020-1-1T1:2:3+00:00")) == "2020-1-1T1:2:3+00:00");
  CHECK(dt::from_isoformat(s("2020-12-31T12:00:00.001+00:00")) == "2020-12-31T12:00:00.001+00:00");
  for (const char* bad : {"2020-12-31T12:00:00+01:00", "2020-12-31 12:00:00+00:00",
                          "2020-12-31T12:00:00", "2020-12-31T12:00:00Z", ""}) {
    INFO(bad);
    CHECK(kind_of([&] { dt::from_isoformat(s(bad)); }) == ErrorKind::ValueError);
  }
  CHECK(kind_of([] { dt::from_isoformat(Value::null()); }) == ErrorKind::ValueError);
}

TEST_CASE("datetime: from_fuzzy parses text and bytes, raises where dateutil raised",
          "[datetime][helpers]") {
  PinnedClock clock;
  CHECK(dt::from_fuzzy(s("2020-12-31 13:00:00+01:00")) == "2020-12-31T12:00:00+00:00");
  CHECK(dt::from_fuzzy(Value::bytes("2015-08-31")) == "2015-08-31T00:00:00+00:00");
  CHECK(dt::from_fuzzy(s("Sep 10 10:10")) == "2024-09-10T10:10:00+00:00");
  for (const Value& v :
       {s("foo"), s("today"), s("1441008970"), s("0018005550199"), s("2015-08-31T08:16:10+24:00"),
        Value::integer(1441008970), Value::bytes("\xff\xfe")}) {
    CHECK(kind_of([&] { dt::from_fuzzy(v); }) == ErrorKind::ValueError);
  }
}

TEST_CASE("datetime: from_format uses Python strptime semantics", "[datetime][helpers]") {
  auto ff = [](const char* v, const char* f) { return dt::from_format(s(v), f); };
  CHECK(ff("15 15 15 07 01 2019", "%M %H %S %m %d %Y") == "2019-07-01T15:15:15+00:00");
  CHECK(ff("2019-07-01 15:15:15 +0200", "%Y-%m-%d %H:%M:%S %z") == "2019-07-01T13:15:15+00:00");
  CHECK(ff("2019-07-01 15:15:15 -02:30", "%Y-%m-%d %H:%M:%S %z") == "2019-07-01T17:45:15+00:00");
  CHECK(ff("2019-07-01 15:15:15 Z", "%Y-%m-%d %H:%M:%S %z") == "2019-07-01T15:15:15+00:00");
  CHECK(ff("2019-07-01 15:15:15 UTC", "%Y-%m-%d %H:%M:%S %Z") == "2019-07-01T15:15:15+00:00");
  CHECK(ff("01/07/69", "%d/%m/%y") == "1969-07-01T00:00:00+00:00");
  CHECK(ff("01/07/68", "%d/%m/%y") == "2068-07-01T00:00:00+00:00");
  CHECK(ff("jul 1 2019", "%b %d %Y") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("JULY 1 2019", "%B %d %Y") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("2019-7-1", "%Y-%m-%d") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("2019 182", "%Y %j") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("Monday 2019 26", "%A %Y %W") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("2019-07-01T15:15:15.123", "%Y-%m-%dT%H:%M:%S.%f") ==
        "2019-07-01T15:15:15.123000+00:00");
  CHECK(ff("03:04 PM", "%I:%M %p") == "1900-01-01T15:04:00+00:00");
  CHECK(ff("2019   07", "%Y %m") == "2019-07-01T00:00:00+00:00");  // whitespace run
  CHECK(ff("2019-07-01%", "%Y-%m-%d%%") == "2019-07-01T00:00:00+00:00");
  CHECK(ff("", "") == "1900-01-01T00:00:00+00:00");
  CHECK(ff("Tue Jul  2 10:11:12 2019", "%c") == "2019-07-02T10:11:12+00:00");
  for (auto [v, f] : std::initializer_list<std::pair<const char*, const char*>>{
           {"2019-07-01 15:15:15 CET", "%Y-%m-%d %H:%M:%S %Z"},
           {"2019-07-01", "%d-%m-%Y"},
           {" 2019-07-01", "%Y-%m-%d"},
           {"2019-07-01 ", "%Y-%m-%d"},
           {"2019-07-01 25:00:00", "%Y-%m-%d %H:%M:%S"},
           {"1562000000", "%s"},
           {"2019", "%Y%"},
           {"x", ""},
           {"2019 2019", "%Y %Y"},
           {"Feb 29", "%b %d"},
           {"2019-07-01 15:15:15 +2400", "%Y-%m-%d %H:%M:%S %z"}}) {
    INFO(v << " / " << f);
    CHECK(kind_of([&] { dt::from_format(s(v), f); }) == ErrorKind::ValueError);
  }
}

TEST_CASE("datetime: from_format_midnight keeps the parsed date only", "[datetime][helpers]") {
  CHECK(dt::from_format_midnight(s("07-01-2019"), "%m-%d-%Y") == "2019-07-01T00:00:00+00:00");
  CHECK(dt::from_format_midnight(s("2019-07-01 23:15:15 -0200"), "%Y-%m-%d %H:%M:%S %z") ==
        "2019-07-01T00:00:00+00:00");
  CHECK(dt::from_format_midnight(s("15:15"), "%H:%M") == "1900-01-01T00:00:00+00:00");
  CHECK(kind_of([] { dt::from_format_midnight(s("2019-13-01"), "%Y-%m-%d"); }) ==
        ErrorKind::ValueError);
}

TEST_CASE("datetime: convert dispatches on the time_format name like the reference",
          "[datetime][helpers]") {
  CHECK(dt::convert(s("15 15 15 07 01 2019"), "from_format|%M %H %S %m %d %Y") ==
        "2019-07-01T15:15:15+00:00");
  CHECK(dt::convert(s("07-01-2019"), "from_format_midnight|%m-%d-%Y") ==
        "2019-07-01T00:00:00+00:00");
  CHECK(dt::convert(Value::integer(1441008970), "timestamp") == "2015-08-31T08:16:10+00:00");
  CHECK(dt::convert(s("1441008970123"), "epoch_millis") == "2015-08-31T08:16:10+00:00");
  CHECK_FALSE(dt::convert(s("14410089701"), "epoch_millis").has_value());
  CHECK(dt::convert(s("31st December 2020 12:00"), "fuzzy") == "2020-12-31T12:00:00+00:00");
  CHECK(kind_of([] { dt::convert(s("2019-07-01"), "unknown"); }) == ErrorKind::KeyError);
  CHECK(kind_of([] { dt::convert(s("2019-07-01"), ""); }) == ErrorKind::KeyError);
  CHECK(kind_of([] { dt::convert(s("2019-07-01"), "FUZZY"); }) == ErrorKind::KeyError);
  CHECK(kind_of([] { dt::convert(s("2019-07-01"), "from_format_midnight"); }) ==
        ErrorKind::ValueError);
  CHECK(kind_of([] { dt::convert(s("2019-07-01"), "from_format|"); }) == ErrorKind::ValueError);
  CHECK(kind_of([] { dt::convert(s("2020-12-31T12:00:00Z"), "utc_isoformat"); }) ==
        ErrorKind::ValueError);
}

TEST_CASE("datetime: Converter parses time_format once and applies it", "[datetime][converter]") {
  PinnedClock clock;
  CHECK(dt::Converter("")(s("12:00")) == "2024-06-15T12:00:00+00:00");
  CHECK(dt::Converter("fuzzy")(s("Aug 31 2015")) == "2015-08-31T00:00:00+00:00");
  CHECK(dt::Converter("timestamp")(s("1441008970")) == "2015-08-31T08:16:10+00:00");
  CHECK(dt::Converter("epoch_millis")(Value::integer(1441008970123)) ==
        "2015-08-31T08:16:10+00:00");
  CHECK(dt::Converter("windows_nt")(Value::integer(129410017915727600)) ==
        "2011-02-01T02:43:11.572760+00:00");
  CHECK(dt::Converter("utc_isoformat")(s("2020-12-31T12:00:00+00:00")) ==
        "2020-12-31T12:00:00+00:00");
  const dt::Converter fmt("from_format|%d.%m.%Y %H:%M");
  CHECK(fmt(s("31.08.2015 08:16")) == "2015-08-31T08:16:00+00:00");
  CHECK(fmt(s("01.09.2015 23:59")) == "2015-09-01T23:59:00+00:00");
  CHECK(kind_of([&] { fmt(s("2015-08-31")); }) == ErrorKind::ValueError);
  CHECK(dt::Converter("from_format_midnight|%d.%m.%Y %H:%M")(s("31.08.2015 08:16")) ==
        "2015-08-31T00:00:00+00:00");
  // a FORMAT may itself contain '|'
  CHECK(dt::Converter("from_format|%Y|%m")(s("2015|08")) == "2015-08-01T00:00:00+00:00");
}

TEST_CASE("datetime: Converter rejects unknown names and missing or superfluous FORMATs",
          "[datetime][converter]") {
  for (const char* bad :
       {"unknown", "FUZZY", "from_format", "from_format|", "from_format_midnight",
        "from_format_midnight|", "timestamp|%Y", "fuzzy|x", "utc_isoformat|x", "|%Y"}) {
    INFO(bad);
    CHECK(kind_of([&] { dt::Converter c(bad); }) == ErrorKind::InvalidArgument);
  }
  // a bad directive is a per-value ValueError, as in the reference
  const dt::Converter c("from_format|%Q");
  CHECK(kind_of([&] { c(s("x")); }) == ErrorKind::ValueError);
}

TEST_CASE("datetime: the fast path for YYYY-MM-DDTHH:MM:SS(Z|+00:00) equals the fuzzy parser",
          "[datetime]") {
  namespace d = dt::detail;
  const std::int64_t now = 1718452800;  // 2024-06-15T12:00:00Z
  // The general path: dateutil's tokenizer on the text, then the UTC conversion.
  auto general = [&](const std::string& text) -> std::optional<std::string> {
    try {
      return d::format_utc(d::utc_us(d::fuzzy_parse(d::decode_utf8(text), now, 2024)));
    } catch (const HarmonizationError&) {
      return std::nullopt;
    }
  };
  std::string out;
  REQUIRE(d::utc_iso_fast("2024-06-04T15:55:19Z", out));
  CHECK(out == "2024-06-04T15:55:19+00:00");
  REQUIRE(d::utc_iso_fast("2024-02-29 00:00:00+00:00", out));
  CHECK(out == "2024-02-29T00:00:00+00:00");
  CHECK_FALSE(d::utc_iso_fast("2023-02-29T00:00:00Z", out));  // no such day
  CHECK_FALSE(d::utc_iso_fast("2024-06-04T24:00:00Z", out));
  CHECK_FALSE(d::utc_iso_fast("2024-06-04T15:55:19+01:00", out));  // converted: general path

  std::mt19937 rng(2024);
  auto pick = [&](std::initializer_list<const char*> xs) {
    return std::string(xs.begin()[rng() % xs.size()]);
  };
  auto num = [&](int lo, int hi, int width) {
    std::string v =
        std::to_string(lo + static_cast<int>(rng() % static_cast<unsigned>(hi - lo + 1)));
    while (static_cast<int>(v.size()) < width) v.insert(v.begin(), '0');
    return v;
  };
  int accepted = 0;
  for (int round = 0; round < 30000; ++round) {
    std::string text = num(0, 9999, 4) + pick({"-", "-", "-", "/"}) + num(0, 13, 2) + "-" +
                       num(0, 32, 2) + pick({"T", "T", " ", "t", "x"}) + num(0, 24, 2) + ":" +
                       num(0, 60, 2) + pick({":", ":", ":", "."}) + num(0, 61, 2) +
                       pick({"Z", "Z", "+00:00", "-00:00", "z", "", "+01:00", "ZZ", " Z", "+0000"});
    if (rng() % 8 == 0) text[rng() % text.size()] = "0123456789-:TZ +."[rng() % 17];
    INFO(text);
    if (!d::utc_iso_fast(text, out)) continue;
    ++accepted;
    REQUIRE(general(text) == out);
    // and what the public helpers return with the fast path in place
    REQUIRE(dt::from_fuzzy(Value::string(text)) == out);
    REQUIRE(dt::parse(text) == out);
  }
  CHECK(accepted > 2000);
}
