// SPDX-License-Identifier: AGPL-3.0-or-later
// Calendar math and Python-compatible character classes for DateTime.
#include <unicode/uchar.h>

#include "harmonization/datetime_internal.hpp"
#include "harmonization/errors.hpp"

namespace intelflow::harm::datetime::detail {

void fail(const std::string& what) {
  throw HarmonizationError(ErrorKind::ValueError, what);
}

int days_in_month(std::int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) fail("bad month number " + std::to_string(month) + "; must be 1-12");
  return kDays[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
}

// Howard Hinnant's days_from_civil / civil_from_days, valid for any int64 year
// whose day count fits.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y += m <= 2;
}

int weekday_from_days(std::int64_t days) {
  // 1970-01-01 was a Thursday (3).
  std::int64_t w = (days + 3) % 7;
  if (w < 0) w += 7;
  return static_cast<int>(w);
}

namespace {
std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

std::string format_utc(std::int64_t us) {
  const std::int64_t days = floor_div(us, kUsPerDay);
  std::int64_t rem = us - days * kUsPerDay;
  std::int64_t y;
  int m, d;
  civil_from_days(days, y, m, d);
  const int frac = static_cast<int>(rem % kUsPerSecond);
  rem /= kUsPerSecond;
  const int sec = static_cast<int>(rem % 60);
  const int min = static_cast<int>((rem / 60) % 60);
  const int hour = static_cast<int>(rem / 3600);
  char buf[32];
  auto put = [&buf](std::size_t at, int v, int width) {
    for (int k = width - 1; k >= 0; --k) {
      buf[at + static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  put(0, static_cast<int>(y), 4);
  buf[4] = '-';
  put(5, m, 2);
  buf[7] = '-';
  put(8, d, 2);
  buf[10] = 'T';
  put(11, hour, 2);
  buf[13] = ':';
  put(14, min, 2);
  buf[16] = ':';
  put(17, sec, 2);
  std::size_t n = 19;
  if (frac != 0) {
    buf[n++] = '.';
    put(n, frac, 6);
    n += 6;
  }
  for (char c : {'+', '0', '0', ':', '0', '0'}) buf[n++] = c;
  return std::string(buf, n);
}

std::int64_t wall_us(const Fields& f) {
  if (f.year < 1 || f.year > 9999) fail("year " + std::to_string(f.year) + " is out of range");
  if (f.month < 1 || f.month > 12) fail("month must be in 1..12");
  if (f.day < 1 || f.day > days_in_month(f.year, f.month)) fail("day is out of range for month");
  if (f.hour < 0 || f.hour > 23) fail("hour must be in 0..23");
  if (f.minute < 0 || f.minute > 59) fail("minute must be in 0..59");
  if (f.second < 0 || f.second > 59) fail("second must be in 0..59");
  if (f.microsecond < 0 || f.microsecond > 999999) fail("microsecond must be in 0..999999");
  const std::int64_t days = days_from_civil(f.year, f.month, f.day);
  return days * kUsPerDay + ((f.hour * 60 + f.minute) * 60 + f.second) * kUsPerSecond +
         f.microsecond;
}

std::int64_t utc_us(const Fields& f) {
  const std::int64_t wall = wall_us(f);
  if (!f.aware) return wall;
  if (f.offset_us <= -kUsPerDay || f.offset_us >= kUsPerDay)
    fail(
        "offset must be a timedelta strictly between -timedelta(hours=24) and "
        "timedelta(hours=24)");
  const std::int64_t u = wall - f.offset_us;
  if (u < kMinUs || u > kMaxUs) fail("date value out of range");
  return u;
}

// ------------------------------------------------------------------ Unicode

std::u32string decode_utf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len > 0 && i + static_cast<std::size_t>(len) <= n;
    for (int k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool py_isspace(char32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool py_isalpha(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return true;
    default:
      return false;
  }
}

bool py_isdigit(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  const auto t = u_getIntPropertyValue(static_cast<UChar32>(c), UCHAR_NUMERIC_TYPE);
  return t == U_NT_DECIMAL || t == U_NT_DIGIT;
}

bool py_isdecimal(char32_t c) {
  return py_decimal(c) >= 0;
}

int py_decimal(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') ? static_cast<int>(c - '0') : -1;
  if (u_charType(static_cast<UChar32>(c)) != U_DECIMAL_DIGIT_NUMBER) return -1;
  return u_charDigitValue(static_cast<UChar32>(c));
}

bool re_equal_ignorecase(char32_t a, char32_t b) {
  if (a == b) return true;
  if (a < 0x80 && b < 0x80) {
    auto lo = [](char32_t x) { return (x >= 'A' && x <= 'Z') ? x + 32 : x; };
    return lo(a) == lo(b);
  }
  const auto ua = static_cast<UChar32>(a), ub = static_cast<UChar32>(b);
  return u_tolower(ua) == u_tolower(ub) || u_toupper(ua) == u_toupper(ub);
}

}  // namespace intelflow::harm::datetime::detail
