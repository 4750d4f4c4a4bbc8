// SPDX-License-Identifier: AGPL-3.0-or-later
// Python int() / float() semantics for the Integer, Float, Accuracy and ASN types.
#include <locale.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm::detail {

namespace {

constexpr std::size_t kMaxStrDigits = 4300;  // sys.get_int_max_str_digits() default

bool py_isspace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// _PyUnicode_TransformDecimalAndSpaceToASCII: non-ASCII whitespace becomes ' ',
/// non-ASCII decimal digits become ASCII digits, anything else non-ASCII '?'.
/// Returns a view of `s` itself when it is ASCII.
std::string_view to_ascii_digits(std::string_view s, std::string& buf) {
  if (uni::is_ascii(s)) return s;
  buf.clear();
  buf.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      buf.push_back(static_cast<char>(b));
      ++i;
      continue;
    }
    const char32_t cp = uni::next_code_point(s, i);
    if (uni::is_space(cp)) {
      buf.push_back(' ');
    } else if (int d = uni::decimal_value(cp); d >= 0) {
      buf.push_back(static_cast<char>('0' + d));
    } else {
      buf.push_back('?');
    }
  }
  return buf;
}

/// Exact decimal digits of an integral double (|d| may be huge).
std::string integral_double_digits(double d) {
  const bool neg = d < 0;
  d = std::fabs(d);
  if (d < 9.2e18) {
    const auto u = static_cast<std::uint64_t>(d);
    std::string s = std::to_string(u);
    if (neg && u != 0) s.insert(s.begin(), '-');
    return s;
  }
  int exp = 0;
  const double m = std::frexp(d, &exp);  // d = m * 2^exp, 0.5 <= m < 1
  auto mant = static_cast<std::uint64_t>(std::ldexp(m, 53));
  int shift = exp - 53;  // >= 0 here because d >= 2^63
  // Little-endian base-1e9 bignum.
  std::vector<std::uint32_t> limbs;
  while (mant) {
    limbs.push_back(static_cast<std::uint32_t>(mant % 1000000000u));
    mant /= 1000000000u;
  }
  while (shift > 0) {
    const int step = shift > 28 ? 28 : shift;
    shift -= step;
    std::uint64_t carry = 0;
    for (auto& l : limbs) {
      const std::uint64_t v = (static_cast<std::uint64_t>(l) << step) + carry;
      l = static_cast<std::uint32_t>(v % 1000000000u);
      carry = v / 1000000000u;
    }
    while (carry) {
      limbs.push_back(static_cast<std::uint32_t>(carry % 1000000000u));
      carry /= 1000000000u;
    }
  }
  std::string s = neg ? "-" : "";
  s += std::to_string(limbs.back());
  for (std::size_t i = limbs.size() - 1; i-- > 0;) {
    const std::string part = std::to_string(limbs[i]);
    s.append(9 - part.size(), '0');
    s += part;
  }
  return s;
}

locale_t c_locale() {
  static locale_t loc = newlocale(LC_ALL_MASK, "C", static_cast<locale_t>(nullptr));
  return loc;
}

double strtod_c(const char* s) {
  return strtod_l(s, nullptr, c_locale());
}

bool ieq(std::string_view a, std::string_view lower_b) noexcept {
  if (a.size() < lower_b.size()) return false;
  for (std::size_t i = 0; i < lower_b.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower_b[i]) return false;
  }
  return true;
}

/// The text after underscore validation and whitespace stripping, parsed as
/// Python's float grammar (_Py_dg_strtod, then _Py_parse_inf_or_nan).
std::optional<double> parse_float_core(std::string_view t) {
  if (t.empty()) return std::nullopt;
  std::size_t i = 0;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    ++i;
  }
  const std::size_t mant_start = i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && is_digit(t[i])) ++i, ++int_digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_digit(t[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) {
    // Not a number: inf / infinity / nan (case-insensitive), whole remaining text.
    std::string_view rest = t.substr(mant_start);
    if (ieq(rest, "inf")) {
      if (rest.size() == 3 || (rest.size() == 8 && ieq(rest, "infinity")))
        return neg ? -HUGE_VAL : HUGE_VAL;
      return std::nullopt;
    }
    if (rest.size() == 3 && ieq(rest, "nan")) return neg ? -NAN : NAN;
    return std::nullopt;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < t.size() && (t[j] == '+' || t[j] == '-')) ++j;
    const std::size_t exp_digits_start = j;
    while (j < t.size() && is_digit(t[j])) ++j;
    if (j > exp_digits_start) i = j;  // else the exponent is not consumed
  }
  if (i != t.size()) return std::nullopt;
  const std::string buf(t);
  return strtod_c(buf.c_str());
}

}  // namespace

[[noreturn]] void raise_value_error(const std::string& what) {
  throw HarmonizationError(ErrorKind::ValueError, what);
}

Value make_integer(std::string_view digits) {
  bool neg = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  if (digits.empty() || digits == "0") return Value::integer(0);
  // int64 range: up to 9223372036854775807 / -9223372036854775808.
  constexpr std::string_view kMax = "9223372036854775807";
  constexpr std::string_view kMinAbs = "9223372036854775808";
  const std::string_view limit = neg ? kMinAbs : kMax;
  if (digits.size() < limit.size() || (digits.size() == limit.size() && digits <= limit)) {
    std::uint64_t u = 0;
    for (char c : digits) u = u * 10 + static_cast<std::uint64_t>(c - '0');
    if (neg) return Value::integer(static_cast<std::int64_t>(0 - u));
    return Value::integer(static_cast<std::int64_t>(u));
  }
  std::string s = neg ? "-" : "";
  s.append(digits);
  return Value::big_integer(std::move(s));
}

std::optional<Value> py_int_from_text(std::string_view s, bool unicode) {
  std::string buf;
  std::string_view t = unicode ? to_ascii_digits(s, buf) : s;
  std::size_t i = 0;
  const std::size_t n = t.size();
  while (i < n && py_isspace(t[i])) ++i;
  bool neg = false;
  if (i < n && (t[i] == '+' || t[i] == '-')) {
    neg = t[i] == '-';
    ++i;
  }
  if (i >= n || !is_digit(t[i])) return std::nullopt;  // also rejects a leading '_'
  std::string digits;
  if (neg) digits.push_back('-');
  char prev = 0;
  std::size_t count = 0;
  while (i < n && (is_digit(t[i]) || t[i] == '_')) {
    if (t[i] == '_') {
      if (prev == '_') return std::nullopt;
    } else {
      digits.push_back(t[i]);
      ++count;
    }
    prev = t[i];
    ++i;
  }
  if (prev == '_') return std::nullopt;
  while (i < n && py_isspace(t[i])) ++i;
  if (i != n) return std::nullopt;  // includes embedded NUL
  if (count > kMaxStrDigits) return std::nullopt;
  return make_integer(digits);
}

Value py_int(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool:
      return Value::integer(v.as_bool() ? 1 : 0);
    case Kind::Int:
    case Kind::BigInt:
      return v;
    case Kind::Float: {
      const double d = v.as_float();
      if (std::isnan(d)) return Value();  // ValueError
      if (std::isinf(d))
        raise_value_error("OverflowError: cannot convert float infinity to integer");
      const double t = std::trunc(d);
      if (std::fabs(t) < 9.2e18) return Value::integer(static_cast<std::int64_t>(t));
      return make_integer(integral_double_digits(t));
    }
    case Kind::String:
    case Kind::Bytes: {
      auto r = py_int_from_text(v.as_string(), v.is_string());
      return r ? std::move(*r) : Value();
    }
    default:
      return Value();  // TypeError
  }
}

std::optional<double> py_float_from_text(std::string_view s, bool unicode) {
  std::string buf;
  std::string_view t = unicode ? to_ascii_digits(s, buf) : s;
  if (t.find('\0') != std::string_view::npos) return std::nullopt;
  std::string nounder;
  if (t.find('_') != std::string_view::npos) {
    char prev = 0;
    nounder.reserve(t.size());
    for (char c : t) {
      if (c == '_') {
        if (!is_digit(prev)) return std::nullopt;
      } else {
        nounder.push_back(c);
        if (prev == '_' && !is_digit(c)) return std::nullopt;
      }
      prev = c;
    }
    if (prev == '_') return std::nullopt;
    t = nounder;
  }
  std::size_t b = 0, e = t.size();
  while (b < e && py_isspace(t[b])) ++b;
  while (e > b + 1 && py_isspace(t[e - 1])) --e;
  return parse_float_core(t.substr(b, e - b));
}

double bigint_to_double(std::string_view digits) {
  const std::string buf(digits);
  errno = 0;
  const double d = strtod_l(buf.c_str(), nullptr, c_locale());
  if (std::isinf(d)) raise_value_error("OverflowError: int too large to convert to float");
  return d;
}

std::optional<double> py_float(const Value& v) {
  switch (v.kind()) {
    case Kind::Bool:
      return v.as_bool() ? 1.0 : 0.0;
    case Kind::Int:
      return static_cast<double>(v.as_int());
    case Kind::BigInt:
      return bigint_to_double(v.as_string());
    case Kind::Float:
      return v.as_float();
    case Kind::String:
    case Kind::Bytes:
      return py_float_from_text(v.as_string(), v.is_string());
    default:
      return std::nullopt;
  }
}

}  // namespace intelflow::harm::detail
