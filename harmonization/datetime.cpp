// SPDX-License-Identifier: AGPL-3.0-or-later
// IntelMQ's DateTime type (core.md §2.3): the strict UTC ISO check, sanitize,
// and the conversion helpers behind the `time_format` bot parameter.
#include "harmonization/datetime.hpp"

#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>

#include "harmonization/datetime_internal.hpp"
#include "harmonization/errors.hpp"

namespace intelflow::harm::datetime {

using detail::fail;
using detail::kUsPerDay;
using detail::kUsPerSecond;

namespace {

std::atomic<bool> g_clock_pinned{false};
std::atomic<std::int64_t> g_clock_value{0};

std::int64_t real_now_seconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

/// dateutil resolves two-digit years around the real local year (computed
/// when the module is imported), not around a pinned test clock.
std::int64_t pivot_year() {
  std::int64_t y;
  int m, d;
  const std::int64_t s = real_now_seconds();
  detail::civil_from_days(s >= 0 ? s / 86400 : -((-s + 86399) / 86400), y, m, d);
  return y;
}

[[noreturn]] void type_error(const char* what) {
  throw HarmonizationError(ErrorKind::ValueError, std::string("TypeError: ") + what);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/// Length of a run of ASCII digits at s[p] (at most 3 are counted).
std::size_t digit_run(std::string_view s, std::size_t p) {
  std::size_t n = 0;
  while (p + n < s.size() && n < 3 && is_digit(s[p + n])) ++n;
  return n;
}

int two(std::string_view s, std::size_t p, std::size_t n) {
  return n == 1 ? s[p] - '0' : (s[p] - '0') * 10 + (s[p + 1] - '0');
}

enum class Strict { No, Yes, NotAscii };

/// strptime(s, '%Y-%m-%dT%H:%M:%S+00:00') or with '.%f' for ASCII input. The
/// fields are each followed by a fixed non-digit separator, so the regex
/// alternatives reduce to "the digit run before the separator, 1 or 2 long".
bool strict_ascii_match(std::string_view s) {
  std::size_t p = 0;
  if (s.size() < 19) return false;
  if (s.size() == 25 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
      s[16] == ':' && s.substr(19) == "+00:00") {
    // The canonical form YYYY-MM-DDTHH:MM:SS+00:00 (what sanitize writes):
    // fixed-width fields, the same rules as the general match below.
    // Other text of this length (e.g. a space-padded day) takes the general way.
    static constexpr std::size_t kDigitPos[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    bool digits = true;
    for (std::size_t k : kDigitPos) digits &= is_digit(s[k]);
    if (digits) {
      const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
      const int month = two(s, 5, 2), day = two(s, 8, 2);
      return year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
             day <= detail::days_in_month(year, month) && two(s, 11, 2) <= 23 &&
             two(s, 14, 2) <= 59 && two(s, 17, 2) <= 59;
    }
  }
  for (int k = 0; k < 4; ++k)
    if (!is_digit(s[static_cast<std::size_t>(k)])) return false;
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  p = 4;
  auto expect = [&](char c) {
    if (p < s.size() && s[p] == c) {
      ++p;
      return true;
    }
    return false;
  };
  if (!expect('-')) return false;
  std::size_t n = digit_run(s, p);
  if (n == 0 || n > 2) return false;
  const int month = two(s, p, n);
  if (month < 1 || month > 12) return false;
  p += n;
  if (!expect('-')) return false;
  int day;
  if (p < s.size() && s[p] == ' ') {
    ++p;
    if (digit_run(s, p) != 1 || s[p] == '0') return false;
    day = s[p] - '0';
    ++p;
  } else {
    n = digit_run(s, p);
    if (n == 0 || n > 2) return false;
    day = two(s, p, n);
    if (day < 1 || day > 31) return false;
    p += n;
  }
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't')) return false;
  ++p;
  n = digit_run(s, p);
  if (n == 0 || n > 2 || two(s, p, n) > 23) return false;
  p += n;
  if (!expect(':')) return false;
  n = digit_run(s, p);
  if (n == 0 || n > 2 || two(s, p, n) > 59) return false;
  p += n;
  if (!expect(':')) return false;
  n = digit_run(s, p);
  if (n == 0 || n > 2) return false;
  const int second = two(s, p, n);
  p += n;
  if (p < s.size() && s[p] == '.') {
    ++p;
    std::size_t f = 0;
    while (p + f < s.size() && is_digit(s[p + f])) ++f;
    if (f == 0 || f > 6) return false;
    p += f;
  }
  if (s.substr(p) != "+00:00") return false;
  // datetime(...) checks
  if (year < 1 || second > 59 || day > detail::days_in_month(year, month)) return false;
  return true;
}

Strict strict_ascii(std::string_view s) {
  if (strict_ascii_match(s)) return Strict::Yes;
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return Strict::NotAscii;
  return Strict::No;
}

/// What dateutil makes of the most common non-canonical shape,
/// `YYYY-MM-DD[ T]HH:MM:SS[.f+][Z|z|(+|-)HH:MM]` (ASCII digits, exact widths),
/// without running the general tokenizer: year/month/day in that order,
/// fraction truncated to microseconds, a numeric offset or Z. false: other shape.
bool iso_like_fast(std::string_view s, detail::Fields& f) {
  const std::size_t n = s.size();
  if (n < 19 || n > 64) return false;
  auto dig = [&](std::size_t p) { return is_digit(s[p]); };
  auto num = [&](std::size_t p, int w) {
    int v = 0;
    for (int k = 0; k < w; ++k) v = v * 10 + (s[p + static_cast<std::size_t>(k)] - '0');
    return v;
  };
  static constexpr std::size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  for (std::size_t p : kDigits)
    if (!dig(p)) return false;
  if (s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
    return false;
  std::size_t p = 19;
  int frac = 0;
  if (p < n && s[p] == '.') {
    ++p;
    std::size_t k = 0;
    while (p < n && dig(p)) {
      if (k < 6) frac = frac * 10 + (s[p] - '0');
      ++p, ++k;
    }
    if (k == 0) return false;
    for (; k < 6; ++k) frac *= 10;
  }
  bool aware = false;
  std::int64_t offset = 0;
  if (p < n && (s[p] == 'Z' || s[p] == 'z')) {
    aware = true;
    ++p;
  } else if (p < n && (s[p] == '+' || s[p] == '-')) {
    if (p + 6 != n || !dig(p + 1) || !dig(p + 2) || s[p + 3] != ':' || !dig(p + 4) || !dig(p + 5))
      return false;
    offset = (s[p] == '-' ? -1 : 1) * (num(p + 1, 2) * 3600 + num(p + 4, 2) * 60);
    aware = true;
    p += 6;
  }
  if (p != n) return false;
  f = detail::Fields{};
  f.year = num(0, 4);
  f.month = num(5, 2);
  f.day = num(8, 2);
  f.hour = num(11, 2);
  f.minute = num(14, 2);
  f.second = num(17, 2);
  f.microsecond = frac;
  f.aware = aware;
  f.offset_us = std::min<std::int64_t>(offset, 86400) * kUsPerSecond;
  return true;
}

}  // namespace

bool detail::utc_iso_fast(std::string_view s, std::string& out) {
  const std::size_t n = s.size();
  if (n == 20) {
    if (s[19] != 'Z' && s[19] != 'z') return false;
  } else if (n == 25) {
    if (s.substr(19) != "+00:00" && s.substr(19) != "-00:00") return false;
  } else {
    return false;
  }
  static constexpr std::size_t kDigits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  bool digits = true;
  for (std::size_t p : kDigits) digits &= is_digit(s[p]);
  if (!digits || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':')
    return false;
  const int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  const int month = two(s, 5, 2), day = two(s, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > detail::days_in_month(year, month) ||
      two(s, 11, 2) > 23 || two(s, 14, 2) > 59 || two(s, 17, 2) > 59)
    return false;
  out.reserve(25);
  out.assign(s.data(), 19);
  out[10] = 'T';
  out.append("+00:00");
  return true;
}

namespace {

/// dateutil.parser.parse(s, fuzzy=True) with the pinned/real clock.
detail::Fields fuzzy_fields(std::string_view s, std::int64_t now, std::int64_t pivot) {
  detail::Fields f;
  if (iso_like_fast(s, f)) return f;
  return detail::fuzzy_parse(detail::decode_utf8(s), now, pivot);
}

bool strict_general(std::string_view s) {
  static const detail::Strptime plain(U"%Y-%m-%dT%H:%M:%S+00:00");
  static const detail::Strptime frac(U"%Y-%m-%dT%H:%M:%S.%f+00:00");
  const std::u32string u = detail::decode_utf8(s);
  return plain.matches(u) || frac.matches(u);
}

/// The text of a str or bytes value as dateutil reads it (bytes: strict UTF-8).
std::u32string fuzzy_input(const Value& v) {
  if (v.is_string()) return detail::decode_utf8(v.as_string());
  if (v.is_bytes()) {
    const std::string& b = v.as_string();
    std::u32string u = detail::decode_utf8(b);
    for (char32_t c : u)
      if (c == 0xFFFD) {
        std::string check;
        for (char32_t x : u) detail::append_utf8(check, x);
        if (check != b) fail("'utf-8' codec can't decode bytes");
        break;
      }
    return u;
  }
  type_error("Parser must be a string or character stream");
}

// ------------------------------------------------ Python number parsing

/// Applies Python's _PyUnicode_TransformDecimalAndSpaceToASCII and strip().
/// Returns false for a non-ASCII character that is neither a digit nor a space.
bool py_ascii_number_text(std::string_view in, std::string& out) {
  out.clear();
  const std::u32string u = detail::decode_utf8(in);
  for (char32_t c : u) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (detail::py_isspace(c)) {
      out.push_back(' ');
    } else if (const int d = detail::py_decimal(c); d >= 0) {
      out.push_back(static_cast<char>('0' + d));
    } else {
      return false;
    }
  }
  auto ws = [](char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F); };
  std::size_t b = 0, e = out.size();
  while (b < e && ws(out[b])) ++b;
  while (e > b && ws(out[e - 1])) --e;
  out = out.substr(b, e - b);
  return true;
}

/// Removes digit-separating underscores; false if one is misplaced.
bool strip_underscores(std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      if (i == 0 || !is_digit(s[i - 1]) || i + 1 >= s.size() || !is_digit(s[i + 1])) return false;
      continue;
    }
    r.push_back(s[i]);
  }
  s.swap(r);
  return true;
}

/// float(str)
double py_float(std::string_view text) {
  std::string s;
  if (!py_ascii_number_text(text, s)) fail("could not convert string to float");
  if (s.find('_') != std::string::npos && !strip_underscores(s))
    fail("could not convert string to float");
  std::size_t p = 0;
  bool neg = false;
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) neg = s[p++] == '-';
  std::string body = s.substr(p);
  std::string low;
  for (char c : body) low.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (low == "inf" || low == "infinity")
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  if (low == "nan") return std::numeric_limits<double>::quiet_NaN();
  // [digits][.digits][(e|E)[sign]digits] with at least one mantissa digit
  std::size_t i = 0, mant = 0, int_digits = 0;
  while (i < body.size() && is_digit(body[i])) ++i, ++mant, ++int_digits;
  if (i < body.size() && body[i] == '.') {
    ++i;
    while (i < body.size() && is_digit(body[i])) ++i, ++mant;
  }
  if (mant == 0) fail("could not convert string to float");
  long exp10 = 0;
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < body.size() && (body[i] == '+' || body[i] == '-')) eneg = body[i++] == '-';
    std::size_t ed = 0;
    while (i < body.size() && is_digit(body[i])) {
      if (exp10 < 100000) exp10 = exp10 * 10 + (body[i] - '0');
      ++i, ++ed;
    }
    if (ed == 0) fail("could not convert string to float");
    if (eneg) exp10 = -exp10;
  }
  if (i != body.size()) fail("could not convert string to float");
  double v = 0;
  const auto r = std::from_chars(body.data(), body.data() + body.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow gives inf, underflow 0.0 (as Python's strtod).
    std::size_t lead = 0;
    while (lead < body.size() && (body[lead] == '0' || body[lead] == '.')) ++lead;
    v = (static_cast<long>(int_digits) + exp10 > 0 && lead < body.size() && is_digit(body[lead]))
            ? std::numeric_limits<double>::infinity()
            : 0.0;
  } else if (r.ec != std::errc() || r.ptr != body.data() + body.size()) {
    fail("could not convert string to float");
  }
  return neg ? -v : v;
}

/// A Python int: sign and decimal digits (no leading zeros, "0" for zero).
struct PyInt {
  bool neg = false;
  std::string digits = "0";

  static PyInt of(std::int64_t v) {
    PyInt r;
    r.neg = v < 0;
    const std::uint64_t m =
        v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    r.digits = std::to_string(m);
    return r;
  }
  bool fits64() const {
    return digits.size() < 19 || (digits.size() == 19 && digits <= "9223372036854775807");
  }
  std::int64_t to64() const {
    std::int64_t v = 0;
    for (char c : digits) v = v * 10 + (c - '0');
    return neg ? -v : v;
  }
  double to_double() const {
    double v = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (r.ec == std::errc::result_out_of_range)
      fail("OverflowError: int too large to convert to float");
    return neg ? -v : v;
  }
};

/// int(str) (base 10)
PyInt py_int_text(std::string_view text) {
  std::string s;
  if (!py_ascii_number_text(text, s)) fail("invalid literal for int() with base 10");
  std::size_t p = 0;
  PyInt r;
  if (p < s.size() && (s[p] == '+' || s[p] == '-')) r.neg = s[p++] == '-';
  std::string body = s.substr(p);
  if (body.empty() || !is_digit(body.front())) fail("invalid literal for int() with base 10");
  if (body.find('_') != std::string::npos && !strip_underscores(body))
    fail("invalid literal for int() with base 10");
  for (char c : body)
    if (!is_digit(c)) fail("invalid literal for int() with base 10");
  const std::size_t nz = body.find_first_not_of('0');
  r.digits = nz == std::string::npos ? "0" : body.substr(nz);
  if (r.digits == "0") r.neg = false;
  return r;
}

/// int(value) for the value kinds a JSON/bot value can have.
PyInt py_int(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool:
      return PyInt::of(v.as_bool() ? 1 : 0);
    case Kind::Int:
      return PyInt::of(v.as_int());
    case Kind::BigInt: {
      PyInt r;
      const std::string& d = v.as_string();
      r.neg = !d.empty() && d[0] == '-';
      r.digits = r.neg ? d.substr(1) : d;
      return r;
    }
    case Kind::Float: {
      const double d = v.as_float();
      if (std::isnan(d)) fail("cannot convert float NaN to integer");
      if (std::isinf(d)) fail("OverflowError: cannot convert float infinity to integer");
      const double t = std::trunc(d);
      if (std::fabs(t) < 9.2e18) return PyInt::of(static_cast<std::int64_t>(t));
      char buf[400];
      const auto r =
          std::to_chars(buf, buf + sizeof buf, std::fabs(t), std::chars_format::fixed, 0);
      PyInt out;
      out.neg = t < 0;
      out.digits.assign(buf, r.ptr);
      return out;
    }
    case Kind::String:
    case Kind::Bytes:
      return py_int_text(v.as_string());
    default:
      type_error("int() argument must be a string, a bytes-like object or a real number");
  }
}

/// repr(float) as Python prints it (shortest round-trip digits).
std::string py_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, r.ptr);  // e.g. "-1.2345e+05"
  const auto epos = sci.find('e');
  const int exp = std::stoi(sci.substr(epos + 1));
  std::string mant = sci.substr(0, epos);
  const bool neg = mant[0] == '-';
  if (neg) mant.erase(0, 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  std::string out;
  if (neg) out.push_back('-');
  if (exp < -4 || exp >= 16) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
    out.append(e);
  } else if (exp < 0) {
    out.append("0.");
    out.append(static_cast<std::size_t>(-exp - 1), '0');
    out.append(digits);
  } else {
    const auto ip = static_cast<std::size_t>(exp + 1);
    if (digits.size() <= ip) {
      out.append(digits);
      out.append(ip - digits.size(), '0');
      out.append(".0");
    } else {
      out.append(digits, 0, ip);
      out.push_back('.');
      out.append(digits, ip, std::string::npos);
    }
  }
  return out;
}

/// len(str(value)) for from_epoch_millis.
std::size_t py_str_len(const Value& v) {
  switch (v.kind()) {
    case Kind::Null:
      return 4;
    case Kind::Bool:
      return v.as_bool() ? 4 : 5;
    case Kind::Int:
      return std::to_string(v.as_int()).size();
    case Kind::BigInt:
      return v.as_string().size();
    case Kind::Float:
      return py_float_repr(v.as_float()).size();
    case Kind::String:
      return detail::decode_utf8(v.as_string()).size();
    case Kind::Bytes: {
      const std::string& b = v.as_string();
      const bool has_sq = b.find('\'') != std::string::npos;
      const bool has_dq = b.find('"') != std::string::npos;
      const char quote = (has_sq && !has_dq) ? '"' : '\'';
      std::size_t n = 3;
      for (char ch : b) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == static_cast<unsigned char>(quote) || c == '\\' || c == '\t' || c == '\n' ||
            c == '\r')
          n += 2;
        else if (c < 0x20 || c >= 0x7f)
          n += 4;
        else
          n += 1;
      }
      return n;
    }
    default:
      return 0;  // int() raises first
  }
}

// ------------------------------------------------------- time helpers

/// datetime.fromtimestamp(seconds + us, tz=utc): range-checked canonical form.
std::string from_epoch_parts(std::int64_t secs, std::int64_t us) {
  constexpr std::int64_t kMinS = detail::kMinUs / kUsPerSecond;
  constexpr std::int64_t kMaxS = (detail::kMaxUs + 1) / kUsPerSecond - 1;
  if (secs < kMinS || secs > kMaxS) fail("year is out of range");
  return detail::format_utc(secs * kUsPerSecond + us);
}

double round_half_even(double x) {
  double r = std::round(x);
  if (std::fabs(x - r) == 0.5) r = 2.0 * std::round(x / 2.0);
  return r;
}

std::string from_timestamp_double(double d) {
  if (std::isnan(d)) fail("Invalid value NaN (not a number)");
  double intpart;
  volatile double frac = std::modf(d, &intpart);
  frac = frac * 1e6;
  frac = round_half_even(frac);
  if (frac >= 1e6) {
    frac = frac - 1e6;
    intpart += 1.0;
  } else if (frac < 0) {
    frac = frac + 1e6;
    intpart -= 1.0;
  }
  if (!(intpart >= -9.2e18 && intpart <= 9.2e18))
    fail("OverflowError: timestamp out of range for platform time_t");
  return from_epoch_parts(static_cast<std::int64_t>(intpart), static_cast<std::int64_t>(frac));
}

std::string from_timestamp_int(const PyInt& i) {
  if (!i.fits64()) fail("OverflowError: timestamp out of range for platform time_t");
  return from_epoch_parts(i.to64(), 0);
}

/// datetime(1601, 1, 1, tzinfo=utc) + timedelta(seconds=x)
std::string windows_epoch_plus(double x) {
  if (!(std::fabs(x) < 1e12)) fail("OverflowError: date value out of range");
  double intpart;
  const double fracpart = std::modf(x, &intpart);
  std::int64_t total = static_cast<std::int64_t>(intpart) * kUsPerSecond;
  double leftover = 0.0;
  if (fracpart != 0.0) {
    double dnum = 1000000.0;
    dnum *= fracpart;
    double ip2;
    const double fp2 = std::modf(dnum, &ip2);
    total += static_cast<std::int64_t>(ip2);
    leftover += fp2;
  }
  if (leftover != 0.0) {
    double whole_us = std::round(leftover);
    if (std::fabs(whole_us - leftover) == 0.5) {
      const int x_is_odd = static_cast<int>(total & 1);
      whole_us = 2.0 * std::round((leftover + x_is_odd) * 0.5) - x_is_odd;
    }
    total += static_cast<std::int64_t>(whole_us);
  }
  const std::int64_t epoch = detail::days_from_civil(1601, 1, 1) * kUsPerDay;
  const std::int64_t u = epoch + total;
  if (u < detail::kMinUs || u > detail::kMaxUs) fail("OverflowError: date value out of range");
  return detail::format_utc(u);
}

const std::string& require_str(const Value& v, const char* fn) {
  if (!v.is_string()) type_error(fn);
  return v.as_string();
}

std::string format_fields_utc(const detail::Fields& f) {
  return detail::format_utc(detail::utc_us(f));
}

std::string midnight_of(const detail::Fields& f) {
  detail::Fields m;
  m.year = f.year;
  m.month = f.month;
  m.day = f.day;
  return detail::format_utc(detail::wall_us(m));
}

}  // namespace

// ------------------------------------------------------------------ clock

void set_clock_override(std::optional<std::int64_t> epoch_seconds) {
  if (epoch_seconds) {
    g_clock_value.store(*epoch_seconds);
    g_clock_pinned.store(true);
  } else {
    g_clock_pinned.store(false);
  }
}

std::int64_t now_epoch_seconds() {
  return g_clock_pinned.load() ? g_clock_value.load() : real_now_seconds();
}

std::string generate_now() {
  return detail::format_utc(now_epoch_seconds() * kUsPerSecond);
}

// ------------------------------------------------------------ the type

bool is_valid_string(std::string_view s) {
  switch (strict_ascii(s)) {
    case Strict::Yes:
      return true;
    case Strict::No:
      return false;
    case Strict::NotAscii:
      break;
  }
  return strict_general(s);
}

std::optional<std::string> parse(std::string_view s) {
  if (is_valid_string(s)) return std::string(s);
  if (std::string fast; detail::utc_iso_fast(s, fast)) return fast;
  try {
    const detail::Fields f = fuzzy_fields(s, now_epoch_seconds(), pivot_year());
    // value.astimezone(utc): a naive value is local time (UTC); CPython's
    // local-time resolution looks one day back and fails on 0001-01-01.
    if (!f.aware && f.year == 1 && f.month == 1 && f.day == 1) return std::nullopt;
    return format_fields_utc(f);
  } catch (const detail::EscapingError&) {
    throw;
  } catch (const HarmonizationError&) {
    return std::nullopt;
  }
}

Value sanitize(const Value& v) {
  if (!v.is_string()) return Value::null();
  auto r = parse(v.as_string());
  if (!r || r->empty()) return Value::null();
  return Value::string(std::move(*r));
}

bool is_valid(const Value& v) {
  return v.is_string() && !v.as_string().empty() && is_valid_string(v.as_string());
}

// -------------------------------------------------------------- helpers

std::optional<std::string> from_timestamp(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool:
      return from_epoch_parts(v.as_bool() ? 1 : 0, 0);
    case Kind::Int:
      return from_epoch_parts(v.as_int(), 0);
    case Kind::BigInt:
      fail("OverflowError: timestamp out of range for platform time_t");
    case Kind::Float:
      return from_timestamp_double(v.as_float());
    case Kind::String:
    case Kind::Bytes:
      return from_timestamp_double(py_float(v.as_string()));
    default:
      type_error("an integer is required");
  }
}

std::optional<std::string> from_epoch_millis(const Value& v) {
  const std::size_t len = py_str_len(v);
  const PyInt i = py_int(v);
  if (len != 10 && len != 12 && len != 13) return std::nullopt;
  if (!i.fits64()) fail("OverflowError: timestamp out of range for platform time_t");
  const std::int64_t x = i.to64();
  auto floordiv = [](std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if (a % b != 0 && a < 0) --q;
    return q;
  };
  if (len == 10) return from_timestamp_int(PyInt::of(x));
  if (len == 12) return from_timestamp_int(PyInt::of(floordiv(x, 100)));
  return from_timestamp_int(PyInt::of(floordiv(x, 1000)));
}

std::optional<std::string> from_windows_nt(const Value& v) {
  const PyInt i = py_int(v);
  return windows_epoch_plus(i.to_double() * 1e-07);
}

std::optional<std::string> from_isoformat(const Value& v) {
  const std::string& s = require_str(v, "strptime() argument 0 must be str");
  if (!is_valid_string(s)) fail("time data does not match format '%Y-%m-%dT%H:%M:%S+00:00'");
  return s;
}

std::optional<std::string> from_fuzzy(const Value& v) {
  // naive: localized as UTC; aware: converted
  if (v.is_string()) {
    if (std::string fast; detail::utc_iso_fast(v.as_string(), fast)) return fast;
    return format_fields_utc(fuzzy_fields(v.as_string(), now_epoch_seconds(), pivot_year()));
  }
  const std::u32string text = fuzzy_input(v);
  return format_fields_utc(detail::fuzzy_parse(text, now_epoch_seconds(), pivot_year()));
}

std::optional<std::string> from_format(const Value& v, std::string_view format) {
  const std::string& s = require_str(v, "strptime() argument 0 must be str");
  const detail::Strptime fmt(detail::decode_utf8(format));
  return format_fields_utc(fmt.parse(detail::decode_utf8(s)));
}

std::optional<std::string> from_format_midnight(const Value& v, std::string_view format) {
  const std::string& s = require_str(v, "strptime() argument 0 must be str");
  const detail::Strptime fmt(detail::decode_utf8(format));
  return midnight_of(fmt.parse(detail::decode_utf8(s)));
}

std::optional<std::string> convert(const Value& v, std::string_view time_format) {
  constexpr std::string_view kFromFormat = "from_format|";
  constexpr std::string_view kFromFormatMidnight = "from_format_midnight|";
  if (time_format.substr(0, kFromFormat.size()) == kFromFormat)
    return from_format(v, time_format.substr(kFromFormat.size()));
  if (time_format.substr(0, kFromFormatMidnight.size()) == kFromFormatMidnight)
    return from_format_midnight(v, time_format.substr(kFromFormatMidnight.size()));
  if (time_format == "timestamp") return from_timestamp(v);
  if (time_format == "windows_nt") return from_windows_nt(v);
  if (time_format == "epoch_millis") return from_epoch_millis(v);
  if (time_format == "utc_isoformat") return from_isoformat(v);
  if (time_format == "fuzzy") return from_fuzzy(v);
  if (time_format == "from_format" || time_format == "from_format_midnight")
    type_error("missing 1 required positional argument: 'format'");
  throw HarmonizationError(ErrorKind::KeyError, std::string(time_format));
}

// ------------------------------------------------------------ Converter

Converter::Converter(std::string_view time_format) : mode_(Mode::Fuzzy) {
  const auto bar = time_format.find('|');
  const std::string_view name = time_format.substr(0, bar);
  const bool has_format = bar != std::string_view::npos;
  const std::string_view format = has_format ? time_format.substr(bar + 1) : std::string_view();
  auto invalid = [&](const std::string& why) {
    throw HarmonizationError(ErrorKind::InvalidArgument,
                             "invalid time_format '" + std::string(time_format) + "': " + why +
                                 "; expected one of timestamp, windows_nt, epoch_millis, "
                                 "from_format|FORMAT, from_format_midnight|FORMAT, "
                                 "utc_isoformat, fuzzy");
  };
  if (name == "from_format" || name == "from_format_midnight") {
    if (format.empty()) invalid("missing FORMAT");
    mode_ = name == "from_format" ? Mode::FromFormat : Mode::FromFormatMidnight;
    format_ = std::string(format);
    strptime_ = std::make_shared<const detail::Strptime>(detail::decode_utf8(format_));
    return;
  }
  if (name.empty() || name == "fuzzy")
    mode_ = Mode::Fuzzy;
  else if (name == "timestamp")
    mode_ = Mode::Timestamp;
  else if (name == "epoch_millis")
    mode_ = Mode::EpochMillis;
  else if (name == "windows_nt")
    mode_ = Mode::WindowsNt;
  else if (name == "utc_isoformat")
    mode_ = Mode::UtcIso;
  else
    invalid("unknown conversion");
  if (has_format) invalid("superfluous FORMAT");
}

std::optional<std::string> Converter::operator()(const Value& v) const {
  switch (mode_) {
    case Mode::Fuzzy:
      return from_fuzzy(v);
    case Mode::Timestamp:
      return from_timestamp(v);
    case Mode::EpochMillis:
      return from_epoch_millis(v);
    case Mode::WindowsNt:
      return from_windows_nt(v);
    case Mode::UtcIso:
      return from_isoformat(v);
    case Mode::FromFormat: {
      const std::string& s = require_str(v, "strptime() argument 0 must be str");
      return format_fields_utc(strptime_->parse(detail::decode_utf8(s)));
    }
    case Mode::FromFormatMidnight: {
      const std::string& s = require_str(v, "strptime() argument 0 must be str");
      return midnight_of(strptime_->parse(detail::decode_utf8(s)));
    }
  }
  return std::nullopt;
}

}  // namespace intelflow::harm::datetime
