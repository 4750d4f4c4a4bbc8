// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Internals shared by the DateTime implementation files (datetime*.cpp):
/// proleptic Gregorian calendar math, Python-compatible character classes,
/// the dateutil-compatible fuzzy parser and the strptime engine. Not part of
/// the public harmonization API.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/errors.hpp"

namespace intelflow::harm::datetime::detail {

// ---------------------------------------------------------------- calendar

constexpr std::int64_t kUsPerSecond = 1'000'000;
constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSecond;

constexpr bool is_leap(std::int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}
int days_in_month(std::int64_t year, int month);
/// Days since 1970-01-01 of a proleptic Gregorian date (any year).
std::int64_t days_from_civil(std::int64_t y, int m, int d);
void civil_from_days(std::int64_t days, std::int64_t& y, int& m, int& d);
/// Monday == 0 (Python's date.weekday()).
int weekday_from_days(std::int64_t days);

/// Microseconds since the Unix epoch of 0001-01-01T00:00:00 and of 9999-12-31T23:59:59.999999.
constexpr std::int64_t kMinUs = -62'135'596'800LL * kUsPerSecond;
constexpr std::int64_t kMaxUs = 253'402'300'800LL * kUsPerSecond - 1;

/// The canonical form `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00` of a UTC instant in range.
std::string format_utc(std::int64_t epoch_us);

/// A broken-down date and time as Python's datetime holds it, with an
/// optional fixed UTC offset (aware) in microseconds.
struct Fields {
  std::int64_t year = 1900;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, microsecond = 0;
  bool aware = false;
  std::int64_t offset_us = 0;
};
/// Validates like datetime(...) (ValueError on a bad field) and returns the
/// instant as microseconds since the epoch of the local (wall) time.
std::int64_t wall_us(const Fields& f);
/// wall_us() minus the offset; throws if the UTC result leaves years 1..9999
/// or the offset is not strictly within ±24h (Python timezone rules).
std::int64_t utc_us(const Fields& f);

[[noreturn]] void fail(const std::string& what);  ///< throws HarmonizationError(ValueError)

/// An error the reference let escape even from DateTime.sanitize (dateutil
/// hitting decimal.InvalidOperation, which is no ValueError): not turned into
/// a null result.
class EscapingError : public HarmonizationError {
 public:
  using HarmonizationError::HarmonizationError;
};

// ------------------------------------------------------- character classes

std::u32string decode_utf8(std::string_view s);
void append_utf8(std::string& out, char32_t cp);
bool py_isspace(char32_t c);  ///< str.isspace()
bool py_isalpha(char32_t c);  ///< str.isalpha()
bool py_isdigit(char32_t c);  ///< str.isdigit() (Numeric_Type Decimal or Digit)
int py_decimal(char32_t c);   ///< value of a Unicode decimal digit (Nd), else -1
bool py_isdecimal(char32_t c);
/// re.IGNORECASE equality of two code points (simple case folding).
bool re_equal_ignorecase(char32_t a, char32_t b);

// ----------------------------------------------------------- fuzzy parser

/// dateutil.parser.parse(s, fuzzy=True) with `default` = the date of
/// `now_epoch_seconds` at 00:00:00 and two-digit years resolved around
/// `pivot_year` (dateutil uses the real local year at import time).
/// Throws HarmonizationError(ValueError) wherever dateutil raised.
Fields fuzzy_parse(std::u32string_view s, std::int64_t now_epoch_seconds, std::int64_t pivot_year);

/// The fuzzy result of the most common aware shape without the parser:
/// `YYYY-MM-DD[T ]HH:MM:SS` then `Z`, `z`, `+00:00` or `-00:00` (ASCII digits,
/// exact widths) with valid fields → `YYYY-MM-DDTHH:MM:SS+00:00` in `out`.
/// false: another shape or an invalid field (the general path decides).
bool utc_iso_fast(std::string_view s, std::string& out);

// --------------------------------------------------------------- strptime

/// A compiled datetime.strptime() format (CPython 3.11 `_strptime`, C locale,
/// TZ=UTC). Compilation errors are kept and thrown by parse().
class Strptime {
 public:
  explicit Strptime(std::u32string_view format);
  ~Strptime();
  Strptime(Strptime&&) noexcept;
  Strptime& operator=(Strptime&&) noexcept;
  /// datetime.strptime(data, format): throws HarmonizationError(ValueError).
  Fields parse(std::u32string_view data) const;
  /// Only tells whether the pattern matches and converts without error.
  bool matches(std::u32string_view data) const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace intelflow::harm::datetime::detail
