// SPDX-License-Identifier: AGPL-3.0-or-later
// datetime.strptime() as CPython 3.11's `_strptime` implements it (C locale,
// TZ=UTC): the format becomes a case-insensitive regular expression (one
// alternative list per directive, whitespace runs become `\s+`), the first
// match in backtracking order is taken with re.match semantics, leftover input
// is an error, and the captured fields are converted and checked as
// `_strptime` / datetime() do. The C library's strptime is not used: it
// differs (field widths, whitespace, %z forms, Unicode digits).
#include <algorithm>
#include <array>
#include <optional>

#include "harmonization/datetime_internal.hpp"

namespace intelflow::harm::datetime::detail {
namespace {

/// One character position of a regex alternative.
struct CharClass {
  enum Kind : std::uint8_t { Lit, LitExact, Range, Digit, Space } kind;
  char32_t a = 0, b = 0;

  bool matches(char32_t c) const {
    switch (kind) {
      case Lit:
        return re_equal_ignorecase(c, a);
      case LitExact:
        return c == a;
      case Range:
        return c >= a && c <= b;
      case Digit:
        return py_decimal(c) >= 0;
      case Space:
        return py_isspace(c);
    }
    return false;
  }
};

using Alt = std::vector<CharClass>;  // fixed-length sequence

/// A pattern element: a list of alternatives tried in order, or a greedy `\s+`.
struct Elem {
  bool space_run = false;
  std::vector<Alt> alts;
  char32_t group = 0;  // directive letter for a capturing group, else 0
};

/// Builds alternatives from a tiny regex subset: literals, `\d`, `[x-y]`, `|`.
std::vector<Alt> alternatives(std::string_view spec) {
  std::vector<Alt> out(1);
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const char c = spec[i];
    if (c == '|') {
      out.emplace_back();
    } else if (c == '\\' && i + 1 < spec.size() && spec[i + 1] == 'd') {
      out.back().push_back({CharClass::Digit, 0, 0});
      ++i;
    } else if (c == '[') {
      out.back().push_back({CharClass::Range, static_cast<char32_t>(spec[i + 1]),
                            static_cast<char32_t>(spec[i + 3])});
      i += 4;
    } else {
      out.back().push_back({CharClass::Lit, static_cast<char32_t>(c), 0});
    }
  }
  return out;
}

Alt literal_alt(std::string_view word) {
  Alt a;
  for (char c : word) a.push_back({CharClass::Lit, static_cast<char32_t>(c), 0});
  return a;
}

constexpr std::array<const char*, 7> kFullWeekdays = {"monday", "tuesday",  "wednesday", "thursday",
                                                      "friday", "saturday", "sunday"};
constexpr std::array<const char*, 7> kAbbrWeekdays = {"mon", "tue", "wed", "thu",
                                                      "fri", "sat", "sun"};
constexpr std::array<const char*, 12> kFullMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
constexpr std::array<const char*, 12> kAbbrMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                     "jul", "aug", "sep", "oct", "nov", "dec"};

template <std::size_t N>
std::vector<Alt> names(const std::array<const char*, N>& words) {
  std::vector<std::string_view> sorted(words.begin(), words.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](std::string_view x, std::string_view y) { return x.size() > y.size(); });
  std::vector<Alt> out;
  for (auto w : sorted) out.push_back(literal_alt(w));
  return out;
}

/// `[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z)` in backtracking order.
std::vector<Alt> z_alternatives() {
  std::vector<Alt> out;
  const CharClass sign_plus{CharClass::Lit, U'+', 0}, sign_minus{CharClass::Lit, U'-', 0};
  const CharClass digit{CharClass::Digit, 0, 0}, d05{CharClass::Range, U'0', U'5'};
  const CharClass colon{CharClass::Lit, U':', 0}, dot{CharClass::Lit, U'.', 0};
  auto shapes = [&](const CharClass& sign) {
    std::vector<Alt> v;
    for (int c1 = 1; c1 >= 0; --c1) {
      Alt head = {sign, digit, digit};
      if (c1) head.push_back(colon);
      head.push_back(d05);
      head.push_back(digit);
      for (int c2 = 1; c2 >= 0; --c2) {
        Alt mid = head;
        if (c2) mid.push_back(colon);
        mid.push_back(d05);
        mid.push_back(digit);
        for (int n = 6; n >= 1; --n) {
          Alt full = mid;
          full.push_back(dot);
          for (int k = 0; k < n; ++k) full.push_back(digit);
          v.push_back(full);
        }
        v.push_back(mid);
      }
      v.push_back(head);
    }
    return v;
  };
  // "[+-]" matches exactly one of the two characters, so for a given input
  // only one sign family can match: concatenating both keeps the order.
  for (const CharClass& sign : {sign_plus, sign_minus}) {
    auto v = shapes(sign);
    out.insert(out.end(), v.begin(), v.end());
  }
  out.push_back({CharClass{CharClass::LitExact, U'Z', 0}});
  return out;
}

std::vector<Alt> directive_alts(char32_t d) {
  switch (d) {
    case U'd':
      return alternatives("3[0-1]|[1-2]\\d|0[1-9]|[1-9]| [1-9]");
    case U'f': {
      std::vector<Alt> v;
      for (int n = 6; n >= 1; --n)
        v.emplace_back(static_cast<std::size_t>(n), CharClass{CharClass::Range, U'0', U'9'});
      return v;
    }
    case U'H':
      return alternatives("2[0-3]|[0-1]\\d|\\d");
    case U'I':
      return alternatives("1[0-2]|0[1-9]|[1-9]");
    case U'G':
    case U'Y':
      return alternatives("\\d\\d\\d\\d");
    case U'j':
      return alternatives("36[0-6]|3[0-5]\\d|[1-2]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9]");
    case U'm':
      return alternatives("1[0-2]|0[1-9]|[1-9]");
    case U'M':
      return alternatives("[0-5]\\d|\\d");
    case U'S':
      return alternatives("6[0-1]|[0-5]\\d|\\d");
    case U'U':
    case U'W':
      return alternatives("5[0-3]|[0-4]\\d|\\d");
    case U'w':
      return alternatives("[0-6]");
    case U'u':
      return alternatives("[1-7]");
    case U'V':
      return alternatives("5[0-3]|0[1-9]|[1-4]\\d|\\d");
    case U'y':
      return alternatives("\\d\\d");
    case U'z':
      return z_alternatives();
    case U'A':
      return names(kFullWeekdays);
    case U'a':
      return names(kAbbrWeekdays);
    case U'B':
      return names(kFullMonths);
    case U'b':
      return names(kAbbrMonths);
    case U'p':
      return names(std::array<const char*, 2>{"am", "pm"});
    case U'Z':
      return names(std::array<const char*, 2>{"utc", "gmt"});
    default:
      return {};
  }
}

bool is_regex_special(char32_t c) {
  return c == U'\\' || c == U'.' || c == U'^' || c == U'$' || c == U'*' || c == U'+' || c == U'?' ||
         c == U'(' || c == U')' || c == U'{' || c == U'}' || c == U'[' || c == U']' || c == U'|';
}

struct Compiled {
  std::vector<Elem> elems;
  std::string error;  // non-empty: the format itself is invalid
};

void compile_into(std::u32string_view fmt, Compiled& out, std::vector<char32_t>& groups) {
  std::size_t i = 0;
  while (i < fmt.size() && out.error.empty()) {
    const char32_t c = fmt[i];
    if (py_isspace(c)) {
      while (i < fmt.size() && py_isspace(fmt[i])) ++i;
      Elem e;
      e.space_run = true;
      out.elems.push_back(std::move(e));
      continue;
    }
    if (c != U'%') {
      Elem e;
      e.alts.push_back({CharClass{CharClass::Lit, c, 0}});
      out.elems.push_back(std::move(e));
      ++i;
      continue;
    }
    if (i + 1 >= fmt.size()) {
      out.error = "stray % in format";
      return;
    }
    const char32_t d = fmt[i + 1];
    i += 2;
    if (py_isspace(d) || is_regex_special(d)) {
      out.error = "'%' is a bad directive in format";
      return;
    }
    if (d == U'%') {
      Elem e;
      e.alts.push_back({CharClass{CharClass::Lit, U'%', 0}});
      out.elems.push_back(std::move(e));
      continue;
    }
    if (d == U'c' || d == U'x' || d == U'X') {
      const std::u32string_view sub = d == U'c'   ? U"%a %b %d %H:%M:%S %Y"
                                      : d == U'x' ? U"%m/%d/%y"
                                                  : U"%H:%M:%S";
      compile_into(sub, out, groups);
      continue;
    }
    auto alts = directive_alts(d);
    if (alts.empty()) {
      out.error = "bad directive in format";
      return;
    }
    if (std::find(groups.begin(), groups.end(), d) != groups.end()) {
      out.error = "redefinition of group name";
      return;
    }
    groups.push_back(d);
    Elem e;
    e.alts = std::move(alts);
    e.group = d;
    out.elems.push_back(std::move(e));
  }
}

struct Capture {
  std::size_t pos = 0, len = 0;
};

bool match_from(const std::vector<Elem>& elems, std::size_t ei, std::u32string_view s,
                std::size_t pos, std::vector<Capture>& caps, std::size_t& end) {
  if (ei == elems.size()) {
    end = pos;
    return true;
  }
  const Elem& e = elems[ei];
  if (e.space_run) {
    std::size_t run = 0;
    while (pos + run < s.size() && py_isspace(s[pos + run])) ++run;
    for (std::size_t len = run; len >= 1; --len)
      if (match_from(elems, ei + 1, s, pos + len, caps, end)) return true;
    return false;
  }
  for (const Alt& alt : e.alts) {
    if (pos + alt.size() > s.size()) continue;
    bool ok = true;
    for (std::size_t k = 0; k < alt.size() && ok; ++k) ok = alt[k].matches(s[pos + k]);
    if (!ok) continue;
    caps[ei] = {pos, alt.size()};
    if (match_from(elems, ei + 1, s, pos + alt.size(), caps, end)) return true;
  }
  return false;
}

std::int64_t to_int(std::u32string_view t) {
  if (t.empty()) fail("invalid literal for int()");
  std::int64_t v = 0;
  for (char32_t c : t) {
    const int d = py_decimal(c);
    if (d < 0) fail("invalid literal for int()");
    v = v * 10 + d;
  }
  return v;
}

std::string ascii_lower(std::u32string_view t) {
  std::string s;
  for (char32_t c : t) {
    if (c >= 0x80) return {};  // cannot equal an ASCII name after lower()
    s.push_back(static_cast<char>(c >= U'A' && c <= U'Z' ? c + 32 : c));
  }
  return s;
}

template <std::size_t N>
int index_of(const std::array<const char*, N>& words, std::u32string_view t) {
  const std::string low = ascii_lower(t);
  for (std::size_t i = 0; i < N; ++i)
    if (low == words[i]) return static_cast<int>(i);
  fail("is not in list");
}

constexpr std::int64_t kOrdinalOffset = 719163;  // date(1970,1,1).toordinal()

std::int64_t toordinal(std::int64_t y, int m, int d) {
  if (y < 1 || y > 9999) fail("year " + std::to_string(y) + " is out of range");
  if (m < 1 || m > 12) fail("month must be in 1..12");
  if (d < 1 || d > days_in_month(y, m)) fail("day is out of range for month");
  return days_from_civil(y, m, d) + kOrdinalOffset;
}

void fromordinal(std::int64_t o, std::int64_t& y, int& m, int& d) {
  if (o < 1) fail("ordinal must be >= 1");
  if (o > 3652059) fail("year is out of range");
  civil_from_days(o - kOrdinalOffset, y, m, d);
}

int weekday_of(std::int64_t y, int m, int d) {
  return static_cast<int>((toordinal(y, m, d) + 6) % 7);  // ordinal 1 was a Monday
}

}  // namespace

struct Strptime::Impl {
  Compiled compiled;
};

Strptime::Strptime(std::u32string_view format) : impl_(std::make_unique<Impl>()) {
  std::vector<char32_t> groups;
  compile_into(format, impl_->compiled, groups);
}
Strptime::~Strptime() = default;
Strptime::Strptime(Strptime&&) noexcept = default;
Strptime& Strptime::operator=(Strptime&&) noexcept = default;

bool Strptime::matches(std::u32string_view data) const noexcept {
  try {
    (void)parse(data);
    return true;
  } catch (...) {
    return false;
  }
}

Fields Strptime::parse(std::u32string_view data) const {
  const Compiled& c = impl_->compiled;
  if (!c.error.empty()) fail(c.error);
  std::vector<Capture> caps(c.elems.size());
  std::size_t end = 0;
  if (!match_from(c.elems, 0, data, 0, caps, end)) fail("time data does not match format");
  if (end != data.size()) fail("unconverted data remains");

  std::optional<std::int64_t> year, iso_year, iso_week, week_of_year, julian;
  std::optional<int> weekday;
  int week_of_year_start = 0;
  std::int64_t month = 1, day = 1, hour = 0, minute = 0, second = 0, fraction = 0;
  std::optional<std::int64_t> gmtoff;
  std::int64_t gmtoff_fraction = 0;

  std::u32string_view p_text;
  bool has_p = false;
  for (std::size_t ei = 0; ei < c.elems.size(); ++ei)
    if (c.elems[ei].group == U'p') {
      p_text = data.substr(caps[ei].pos, caps[ei].len);
      has_p = true;
    }

  for (std::size_t ei = 0; ei < c.elems.size(); ++ei) {
    const char32_t g = c.elems[ei].group;
    if (g == 0) continue;
    const std::u32string_view text = data.substr(caps[ei].pos, caps[ei].len);
    switch (g) {
      case U'y': {
        const std::int64_t v = to_int(text);
        year = v <= 68 ? v + 2000 : v + 1900;
        break;
      }
      case U'Y':
        year = to_int(text);
        break;
      case U'G':
        iso_year = to_int(text);
        break;
      case U'm':
        month = to_int(text);
        break;
      case U'B':
        month = index_of(kFullMonths, text) + 1;
        break;
      case U'b':
        month = index_of(kAbbrMonths, text) + 1;
        break;
      case U'd':
        day = to_int(text.front() == U' ' ? text.substr(1) : text);
        break;
      case U'H':
        hour = to_int(text);
        break;
      case U'I': {
        hour = to_int(text);
        const std::string ampm = has_p ? ascii_lower(p_text) : std::string();
        if (ampm.empty() || ampm == "am") {
          if (hour == 12) hour = 0;
        } else if (ampm == "pm") {
          if (hour != 12) hour += 12;
        }
        break;
      }
      case U'M':
        minute = to_int(text);
        break;
      case U'S':
        second = to_int(text);
        break;
      case U'f': {
        std::u32string s(text);
        s.append(6 - s.size(), U'0');
        fraction = to_int(s);
        break;
      }
      case U'A':
        weekday = index_of(kFullWeekdays, text);
        break;
      case U'a':
        weekday = index_of(kAbbrWeekdays, text);
        break;
      case U'w': {
        const int w = static_cast<int>(to_int(text));
        weekday = w == 0 ? 6 : w - 1;
        break;
      }
      case U'u':
        weekday = static_cast<int>(to_int(text)) - 1;
        break;
      case U'j':
        julian = to_int(text);
        break;
      case U'U':
      case U'W':
        week_of_year = to_int(text);
        week_of_year_start = g == U'U' ? 6 : 0;
        break;
      case U'V':
        iso_week = to_int(text);
        break;
      case U'z': {
        std::u32string z(text);
        if (z == U"Z") {
          gmtoff = 0;
          break;
        }
        if (z[3] == U':') {
          z.erase(3, 1);
          if (z.size() > 5) {
            if (z[5] != U':') fail("Inconsistent use of : in %z");
            z.erase(5, 1);
          }
        }
        const std::int64_t hours = to_int(std::u32string_view(z).substr(1, 2));
        const std::int64_t minutes = to_int(std::u32string_view(z).substr(3, 2));
        const std::u32string_view sec_part =
            std::u32string_view(z).substr(std::min<std::size_t>(5, z.size()), 2);
        const std::int64_t seconds = sec_part.empty() ? 0 : to_int(sec_part);
        std::int64_t off = hours * 3600 + minutes * 60 + seconds;
        std::u32string rem = z.size() > 8 ? z.substr(8) : std::u32string();
        rem.append(6 - std::min<std::size_t>(6, rem.size()), U'0');
        std::int64_t frac = to_int(rem);
        if (z[0] == U'-') {
          off = -off;
          frac = -frac;
        }
        gmtoff = off;
        gmtoff_fraction = frac;
        break;
      }
      default:
        break;  // p, Z: no effect on the datetime
    }
  }

  if (!year && iso_year) {
    if (!iso_week || !weekday)
      fail("ISO year directive '%G' must be used with the ISO week directive '%V' and a weekday");
    if (julian)
      fail("Day of the year directive '%j' is not compatible with ISO year directive '%G'");
  } else if (!week_of_year && iso_week) {
    if (!weekday) fail("ISO week directive '%V' must be used with the ISO year directive '%G'");
    fail("ISO week directive '%V' is incompatible with the year directive '%Y'");
  }

  bool leap_year_fix = false;
  std::int64_t y;
  if (!year && month == 2 && day == 29) {
    y = 1904;
    leap_year_fix = true;
  } else {
    y = year.value_or(1900);
  }

  if (!julian && weekday) {
    if (week_of_year) {
      // _calc_julian_from_U_or_W
      int first_weekday = weekday_of(y, 1, 1);
      int dow = *weekday;
      if (week_of_year_start != 0) {
        first_weekday = (first_weekday + 1) % 7;
        dow = (dow + 1) % 7;
      }
      const int week_0_length = (7 - first_weekday) % 7;
      if (*week_of_year == 0)
        julian = 1 + dow - first_weekday;
      else
        julian = 1 + week_0_length + 7 * (*week_of_year - 1) + dow;
    } else if (iso_year && iso_week) {
      // _calc_julian_from_V
      std::int64_t iy = *iso_year;
      const int correction = (weekday_of(iy, 1, 4) + 1) + 3;  // isoweekday() + 3
      std::int64_t ordinal = *iso_week * 7 + (*weekday + 1) - correction;
      if (ordinal < 1) {
        ordinal += toordinal(iy, 1, 1);
        iy -= 1;
        ordinal -= toordinal(iy, 1, 1);
      }
      y = iy;
      julian = ordinal;
    }
    if (julian && *julian <= 0) {
      y -= 1;
      *julian += is_leap(y) ? 366 : 365;
    }
  }

  int m = static_cast<int>(std::clamp<std::int64_t>(month, -1, 13));
  int d = static_cast<int>(std::clamp<std::int64_t>(day, -1, 99));
  if (!julian) {
    (void)toordinal(y, m, d);  // date(year, month, day) must exist
  } else {
    fromordinal(*julian - 1 + toordinal(y, 1, 1), y, m, d);
  }
  if (!weekday) (void)weekday_of(y, m, d);
  if (leap_year_fix) y = 1900;

  Fields f;
  f.year = y;
  f.month = m;
  f.day = d;
  f.hour = static_cast<int>(hour);
  f.minute = static_cast<int>(minute);
  f.second = static_cast<int>(second);
  f.microsecond = static_cast<int>(fraction);
  if (gmtoff) {
    f.aware = true;
    f.offset_us = *gmtoff * kUsPerSecond + gmtoff_fraction;
    if (f.offset_us <= -kUsPerDay || f.offset_us >= kUsPerDay)
      fail(
          "offset must be a timedelta strictly between -timedelta(hours=24) and "
          "timedelta(hours=24)");
  }
  (void)wall_us(f);  // datetime(...) validation
  return f;
}

}  // namespace intelflow::harm::datetime::detail
