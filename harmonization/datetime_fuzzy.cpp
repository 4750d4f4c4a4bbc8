// SPDX-License-Identifier: AGPL-3.0-or-later
// A port of the algorithm of python-dateutil 2.8.2's `parser.parse(s,
// fuzzy=True)` (default parserinfo: dayfirst=False, yearfirst=False, no
// tzinfos), as IntelMQ's DateTime uses it. Lexer (`_timelex`), token rules
// (`_parse`, `_parse_numeric_token`), y/m/d resolution, validation and the
// building of the result follow the reference step by step; every place where
// the reference raised IndexError/ValueError inside `_parse` makes the whole
// parse fail ("Unknown string format").
#include <algorithm>
#include <array>
#include <optional>

#include "harmonization/datetime_internal.hpp"

namespace intelflow::harm::datetime::detail {
namespace {

using Tok = std::u32string;

/// An IndexError / ValueError inside dateutil's `_parse`: the parse returns None.
struct ParseFail {};
/// decimal.InvalidOperation (Decimal % 1 of a value with more than 28 integer
/// digits): escapes dateutil and IntelMQ alike.
struct DecimalTrap {};

constexpr std::int64_t kSaturate = 1'000'000'000'000'000LL;  // 1e15: far beyond any valid field

// ------------------------------------------------------------------ lexer

enum class LexState { None, Word, Num, WordDot, NumDot };

/// `_timelex.split`: breaks the text into words, numbers, single spaces and
/// single other characters; dotted groups are split again as dateutil does.
std::vector<Tok> timelex(std::u32string_view s) {
  std::vector<Tok> out;
  std::size_t pos = 0;
  const std::size_t n = s.size();
  char32_t pending = 0;
  bool has_pending = false;
  bool eof = false;
  std::vector<Tok> stack;  // tokenstack (FIFO)
  std::size_t stack_head = 0;

  auto next_char = [&](char32_t& c) -> bool {
    if (has_pending) {
      c = pending;
      has_pending = false;
      return true;
    }
    while (pos < n && s[pos] == 0) ++pos;
    if (pos >= n) return false;
    c = s[pos++];
    return true;
  };

  for (;;) {
    if (stack_head < stack.size()) {
      out.push_back(std::move(stack[stack_head++]));
      continue;
    }
    stack.clear();
    stack_head = 0;
    Tok token;
    bool got = false;
    bool seen_letters = false;
    LexState state = LexState::None;
    while (!eof) {
      char32_t c;
      if (!next_char(c)) {
        eof = true;
        break;
      }
      if (state == LexState::None) {
        token.assign(1, c);
        got = true;
        if (py_isalpha(c)) {
          state = LexState::Word;
        } else if (py_isdigit(c)) {
          state = LexState::Num;
        } else if (py_isspace(c)) {
          token.assign(1, U' ');
          break;
        } else {
          break;
        }
      } else if (state == LexState::Word) {
        seen_letters = true;
        if (py_isalpha(c)) {
          token.push_back(c);
        } else if (c == U'.') {
          token.push_back(c);
          state = LexState::WordDot;
        } else {
          pending = c;
          has_pending = true;
          break;
        }
      } else if (state == LexState::Num) {
        if (py_isdigit(c)) {
          token.push_back(c);
        } else if (c == U'.' || (c == U',' && token.size() >= 2)) {
          token.push_back(c);
          state = LexState::NumDot;
        } else {
          pending = c;
          has_pending = true;
          break;
        }
      } else if (state == LexState::WordDot) {
        seen_letters = true;
        if (c == U'.' || py_isalpha(c)) {
          token.push_back(c);
        } else if (py_isdigit(c) && token.back() == U'.') {
          token.push_back(c);
          state = LexState::NumDot;
        } else {
          pending = c;
          has_pending = true;
          break;
        }
      } else {  // NumDot
        if (c == U'.' || py_isdigit(c)) {
          token.push_back(c);
        } else if (py_isalpha(c) && token.back() == U'.') {
          token.push_back(c);
          state = LexState::WordDot;
        } else {
          pending = c;
          has_pending = true;
          break;
        }
      }
    }
    if (!got) break;
    if (state == LexState::WordDot || state == LexState::NumDot) {
      const auto dots = std::count(token.begin(), token.end(), U'.');
      if (seen_letters || dots > 1 || token.back() == U'.' || token.back() == U',') {
        // re.split("([.,])", token): pieces and separators; empty pieces dropped.
        std::vector<Tok> parts;
        Tok cur;
        for (char32_t c : token) {
          if (c == U'.' || c == U',') {
            parts.push_back(std::move(cur));
            cur.clear();
            parts.emplace_back(1, c);
          } else {
            cur.push_back(c);
          }
        }
        parts.push_back(std::move(cur));
        token = std::move(parts[0]);
        for (std::size_t k = 1; k < parts.size(); ++k)
          if (!parts[k].empty()) stack.push_back(std::move(parts[k]));
      }
    }
    if (state == LexState::NumDot && std::count(token.begin(), token.end(), U'.') == 0)
      std::replace(token.begin(), token.end(), U',', U'.');
    out.push_back(std::move(token));
  }
  return out;
}

// --------------------------------------------------------- vocabulary

/// The token lowercased if it is short ASCII (no vocabulary word is anything else).
bool ascii_lower(const Tok& t, std::array<char, 12>& buf, std::size_t& len) {
  if (t.size() > buf.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char32_t c = t[i];
    if (c >= 0x80) return false;
    if (c >= U'A' && c <= U'Z') c += 32;
    buf[i] = static_cast<char>(c);
  }
  len = t.size();
  return true;
}

template <std::size_t N>
int lookup(const Tok& t, const std::array<std::pair<const char*, int>, N>& table) {
  std::array<char, 12> buf{};
  std::size_t len = 0;
  if (!ascii_lower(t, buf, len)) return -1;
  const std::string_view key(buf.data(), len);
  for (const auto& [word, value] : table)
    if (key == word) return value;
  return -1;
}

constexpr std::array<std::pair<const char*, int>, 18> kJump = {{{" ", 0},
                                                                {".", 0},
                                                                {",", 0},
                                                                {";", 0},
                                                                {"-", 0},
                                                                {"/", 0},
                                                                {"'", 0},
                                                                {"at", 0},
                                                                {"on", 0},
                                                                {"and", 0},
                                                                {"ad", 0},
                                                                {"m", 0},
                                                                {"t", 0},
                                                                {"of", 0},
                                                                {"st", 0},
                                                                {"nd", 0},
                                                                {"rd", 0},
                                                                {"th", 0}}};
constexpr std::array<std::pair<const char*, int>, 14> kWeekdays = {{{"mon", 0},
                                                                    {"monday", 0},
                                                                    {"tue", 1},
                                                                    {"tuesday", 1},
                                                                    {"wed", 2},
                                                                    {"wednesday", 2},
                                                                    {"thu", 3},
                                                                    {"thursday", 3},
                                                                    {"fri", 4},
                                                                    {"friday", 4},
                                                                    {"sat", 5},
                                                                    {"saturday", 5},
                                                                    {"sun", 6},
                                                                    {"sunday", 6}}};
constexpr std::array<std::pair<const char*, int>, 24> kMonths = {
    {{"jan", 1},  {"january", 1},  {"feb", 2},    {"february", 2},  {"mar", 3},  {"march", 3},
     {"apr", 4},  {"april", 4},    {"may", 5},    {"jun", 6},       {"june", 6}, {"jul", 7},
     {"july", 7}, {"aug", 8},      {"august", 8}, {"sep", 9},       {"sept", 9}, {"september", 9},
     {"oct", 10}, {"october", 10}, {"nov", 11},   {"november", 11}, {"dec", 12}, {"december", 12}}};
constexpr std::array<std::pair<const char*, int>, 9> kHms = {{{"h", 0},
                                                              {"hour", 0},
                                                              {"hours", 0},
                                                              {"m", 1},
                                                              {"minute", 1},
                                                              {"minutes", 1},
                                                              {"s", 2},
                                                              {"second", 2},
                                                              {"seconds", 2}}};
constexpr std::array<std::pair<const char*, int>, 4> kAmPm = {
    {{"am", 0}, {"a", 0}, {"pm", 1}, {"p", 1}}};
constexpr std::array<std::pair<const char*, int>, 3> kUtcZone = {
    {{"utc", 0}, {"gmt", 0}, {"z", 0}}};

bool is_jump(const Tok& t) {
  return lookup(t, kJump) >= 0;
}
std::optional<int> weekday_of(const Tok& t) {
  const int v = lookup(t, kWeekdays);
  return v >= 0 ? std::optional<int>(v) : std::nullopt;
}
std::optional<int> month_of(const Tok& t) {
  if (t.empty()) return std::nullopt;
  const int v = lookup(t, kMonths);
  return v >= 0 ? std::optional<int>(v) : std::nullopt;
}
std::optional<int> hms_of(const Tok& t) {
  const int v = lookup(t, kHms);
  return v >= 0 ? std::optional<int>(v) : std::nullopt;
}
std::optional<int> ampm_of(const Tok& t) {
  const int v = lookup(t, kAmPm);
  return v >= 0 ? std::optional<int>(v) : std::nullopt;
}
bool is_pertain(const Tok& t) {
  return t.size() == 2 && (t[0] == U'o' || t[0] == U'O') && (t[1] == U'f' || t[1] == U'F');
}
bool is_utczone(const Tok& t) {
  return lookup(t, kUtcZone) >= 0;
}
/// parserinfo.tzoffset: exact-case membership in the lowercased UTC names.
bool tzoffset_is_zero(const Tok& t) {
  return t == U"utc" || t == U"gmt" || t == U"z";
}

bool is_one_of(const Tok& t, char32_t a) {
  return t.size() == 1 && t[0] == a;
}

// ----------------------------------------------------------------- numbers

/// str.isdigit() of a whole token.
bool tok_isdigit(std::u32string_view t) {
  if (t.empty()) return false;
  for (char32_t c : t)
    if (!py_isdigit(c)) return false;
  return true;
}

/// int(str) for the strings dateutil passes (tokens and slices of them): only
/// Unicode decimal digits can succeed there. Saturates far beyond any field.
std::int64_t py_int(std::u32string_view t) {
  if (t.empty()) throw ParseFail{};
  std::int64_t v = 0;
  for (char32_t c : t) {
    const int d = py_decimal(c);
    if (d < 0) throw ParseFail{};
    v = v >= kSaturate ? kSaturate : v * 10 + d;
  }
  return std::min(v, kSaturate);
}

/// A Decimal made from a numeric token: integer part and fraction digits.
struct Num {
  std::int64_t ip = 0;
  std::string frac;  // ASCII digits after the point
  bool frac_nonzero = false;
  std::size_t int_digits = 0;  // significant digits before the point

  /// value % 1 is non-zero (raises like Decimal beyond the 28-digit context).
  bool mod1_nonzero() const {
    if (int_digits > 28) throw DecimalTrap{};
    return frac_nonzero;
  }

  bool gt(std::int64_t k) const { return ip > k || (ip == k && frac_nonzero); }
  bool le(std::int64_t k) const { return !gt(k); }
  bool ge(std::int64_t k) const { return ip >= k; }
  bool lt(std::int64_t k) const { return ip < k; }
  /// int(60 * (value % 1))
  std::int64_t sixty_frac() const {
    int carry = 0;
    for (auto it = frac.rbegin(); it != frac.rend(); ++it) carry = ((*it - '0') * 60 + carry) / 10;
    return carry;
  }
};

enum class NumKind { NotNumber, Finite, NonFinite };

/// Whether float(token) succeeds, and if so whether Decimal(token) is finite.
NumKind classify(const Tok& t, Num* out) {
  if (t.empty()) return NumKind::NotNumber;
  std::size_t digits = 0, dots = 0;
  for (char32_t c : t) {
    if (c == U'.') {
      ++dots;
    } else if (py_decimal(c) >= 0) {
      ++digits;
    } else {
      digits = 0;
      dots = 99;
      break;
    }
  }
  if (dots <= 1 && digits > 0) {
    if (out != nullptr) {
      Num n;
      bool in_frac = false;
      for (char32_t c : t) {
        if (c == U'.') {
          in_frac = true;
          continue;
        }
        const int d = py_decimal(c);
        if (in_frac) {
          n.frac.push_back(static_cast<char>('0' + d));
          if (d != 0) n.frac_nonzero = true;
        } else {
          n.ip = n.ip >= kSaturate ? kSaturate : n.ip * 10 + d;
          if (d != 0 || n.int_digits > 0) ++n.int_digits;
        }
      }
      n.ip = std::min(n.ip, kSaturate);
      *out = std::move(n);
    }
    return NumKind::Finite;
  }
  std::array<char, 12> buf{};
  std::size_t len = 0;
  if (ascii_lower(t, buf, len)) {
    const std::string_view w(buf.data(), len);
    if (w == "nan" || w == "inf" || w == "infinity") return NumKind::NonFinite;
  }
  return NumKind::NotNumber;
}

/// parser._to_decimal
Num to_decimal(const Tok& t) {
  Num n;
  if (classify(t, &n) != NumKind::Finite) throw ParseFail{};
  return n;
}

// ------------------------------------------------------------------- ymd

struct Ymd {
  std::vector<std::int64_t> v;
  bool century_specified = false;
  int ystridx = -1, mstridx = -1, dstridx = -1;

  enum Label { None, Y, M, D };

  void push_labeled(std::int64_t value, Label label) {
    v.push_back(value);
    const int idx = static_cast<int>(v.size()) - 1;
    if (label == M) {
      if (mstridx >= 0) throw ParseFail{};  // 'Month is already set'
      mstridx = idx;
    } else if (label == D) {
      if (dstridx >= 0) throw ParseFail{};
      dstridx = idx;
    } else if (label == Y) {
      if (ystridx >= 0) throw ParseFail{};
      ystridx = idx;
    }
  }
  void append_str(std::u32string_view s, Label label = None) {
    if (tok_isdigit(s) && s.size() > 2) {
      century_specified = true;
      if (label != None && label != Y) throw ParseFail{};
      label = Y;
    }
    push_labeled(py_int(s), label);
  }
  void append_num(const Num& n) {
    Label label = None;
    if (n.gt(100)) {
      century_specified = true;
      label = Y;
    }
    push_labeled(n.ip, label);
  }
  void append_month(int month) { push_labeled(month, M); }

  bool could_be_day(const Num& value) const {
    if (dstridx >= 0) return false;
    if (mstridx < 0) return value.ge(1) && value.le(31);
    const int month = static_cast<int>(v[static_cast<std::size_t>(mstridx)]);
    const std::int64_t year = ystridx < 0 ? 2000 : v[static_cast<std::size_t>(ystridx)];
    return value.ge(1) && value.le(days_in_month(year, month));
  }

  struct Out {
    std::optional<std::int64_t> year, month, day;
  };

  Out resolve() const {
    const std::size_t len = v.size();
    Out o;
    int strids_count = (ystridx >= 0) + (mstridx >= 0) + (dstridx >= 0);
    if ((len == static_cast<std::size_t>(strids_count) && strids_count > 0) ||
        (len == 3 && strids_count == 2)) {
      int y = ystridx, m = mstridx, d = dstridx;
      if (len == 3 && strids_count == 2) {
        int missing = 0;
        for (int k = 0; k < 3; ++k)
          if (k != y && k != m && k != d) missing = k;
        if (y < 0)
          y = missing;
        else if (m < 0)
          m = missing;
        else
          d = missing;
      }
      if (y >= 0) o.year = v[static_cast<std::size_t>(y)];
      if (m >= 0) o.month = v[static_cast<std::size_t>(m)];
      if (d >= 0) o.day = v[static_cast<std::size_t>(d)];
      return o;
    }
    auto at = [&](std::size_t k) { return v[k]; };
    if (len > 3) throw ParseFail{};  // More than three YMD values
    if (len == 1 || (mstridx >= 0 && len == 2)) {
      std::int64_t other;
      if (mstridx >= 0) {
        o.month = at(static_cast<std::size_t>(mstridx));
        other = mstridx == 0 ? at(len - 1) : at(static_cast<std::size_t>(mstridx - 1));
      } else {
        other = at(0);
      }
      if (len > 1 || mstridx < 0) {
        if (other > 31)
          o.year = other;
        else
          o.day = other;
      }
    } else if (len == 2) {
      if (at(0) > 31) {
        o.year = at(0);
        o.month = at(1);
      } else if (at(1) > 31) {
        o.month = at(0);
        o.year = at(1);
      } else {  // dayfirst is False
        o.month = at(0);
        o.day = at(1);
      }
    } else if (len == 3) {
      if (mstridx == 0) {
        if (at(1) > 31) {
          o.month = at(0);
          o.year = at(1);
          o.day = at(2);
        } else {
          o.month = at(0);
          o.day = at(1);
          o.year = at(2);
        }
      } else if (mstridx == 1) {
        if (at(0) > 31) {  // yearfirst is False
          o.year = at(0);
          o.month = at(1);
          o.day = at(2);
        } else {
          o.day = at(0);
          o.month = at(1);
          o.year = at(2);
        }
      } else if (mstridx == 2) {
        if (at(1) > 31) {
          o.day = at(0);
          o.year = at(1);
          o.month = at(2);
        } else {
          o.year = at(0);
          o.day = at(1);
          o.month = at(2);
        }
      } else {
        if (at(0) > 31 || ystridx == 0) {
          o.year = at(0);
          o.month = at(1);
          o.day = at(2);
        } else if (at(0) > 12) {
          o.day = at(0);
          o.month = at(1);
          o.year = at(2);
        } else {
          o.month = at(0);
          o.day = at(1);
          o.year = at(2);
        }
      }
    }
    return o;
  }
};

// ----------------------------------------------------------------- parser

struct Res {
  std::optional<std::int64_t> year, month, day, hour, minute, second, microsecond, tzoffset;
  std::optional<int> weekday, ampm;
  std::optional<Tok> tzname;
  bool century_specified = false;

  bool empty() const {
    return !year && !month && !day && !weekday && !hour && !minute && !second && !microsecond &&
           !tzname && !tzoffset && !ampm;
  }
};

class Parser {
 public:
  explicit Parser(std::vector<Tok> tokens) : l_(std::move(tokens)) {}

  /// parser._parse(...); false where the reference returned (None, None).
  bool parse(Res& res) {
    try {
      run(res);
    } catch (const ParseFail&) {
      return false;
    }
    return true;
  }

 private:
  std::vector<Tok> l_;
  Ymd ymd_;

  const Tok& at(std::size_t k) const {
    if (k >= l_.size()) throw ParseFail{};  // IndexError
    return l_[k];
  }

  static bool could_be_tzname(const Res& res, bool tzoffset_none, const Tok& token) {
    if (!res.hour || res.tzname || !tzoffset_none || token.size() > 5) return false;
    bool upper = true;
    for (char32_t c : token)
      if (c < U'A' || c > U'Z') upper = false;
    return upper || token == U"UTC" || token == U"GMT" || token == U"Z" || token == U"z";
  }

  static std::int64_t adjust_ampm(std::int64_t hour, int ampm) {
    if (hour < 12 && ampm == 1) return hour + 12;
    if (hour == 12 && ampm == 0) return 0;
    return hour;
  }

  static std::pair<std::int64_t, int> parsems(std::u32string_view value) {
    const auto dot = value.find(U'.');
    if (dot == std::u32string_view::npos) return {py_int(value), 0};
    if (value.find(U'.', dot + 1) != std::u32string_view::npos) throw ParseFail{};
    const std::int64_t i = py_int(value.substr(0, dot));
    std::u32string f(value.substr(dot + 1));
    if (f.size() < 6) f.append(6 - f.size(), U'0');
    f.resize(6);
    return {i, static_cast<int>(py_int(f))};
  }

  static void parse_min_sec(const Num& value, Res& res) {
    res.minute = value.ip;
    res.second.reset();
    if (value.mod1_nonzero()) res.second = value.sixty_frac();
  }

  std::optional<std::size_t> find_hms_idx(std::size_t idx) const {
    const std::size_t len = l_.size();
    if (idx + 1 < len && hms_of(l_[idx + 1])) return idx + 1;
    if (idx + 2 < len && is_one_of(l_[idx + 1], U' ') && hms_of(l_[idx + 2])) return idx + 2;
    if (idx > 0 && hms_of(l_[idx - 1])) return idx - 1;
    if (1 < idx && idx == len - 1 && is_one_of(l_[idx - 1], U' ') && hms_of(l_[idx - 2]))
      return idx - 2;
    return std::nullopt;
  }

  void assign_hms(Res& res, const Tok& value_repr, int hms) {
    const Num value = to_decimal(value_repr);
    if (hms == 0) {
      res.hour = value.ip;
      if (value.mod1_nonzero()) res.minute = value.sixty_frac();
    } else if (hms == 1) {
      parse_min_sec(value, res);
    } else if (hms == 2) {
      const auto [s, us] = parsems(value_repr);
      res.second = s;
      res.microsecond = us;
    }
  }

  std::size_t parse_numeric_token(std::size_t idx, Res& res) {
    const Tok& value_repr = l_[idx];  // l_ is not modified below
    Num value;
    if (classify(value_repr, &value) != NumKind::Finite)
      throw ParseFail{};  // Unknown numeric token
    const std::size_t len_li = value_repr.size();
    const std::size_t len_l = l_.size();
    const std::u32string_view s(value_repr);

    if (ymd_.v.size() == 3 && (len_li == 2 || len_li == 4) && !res.hour &&
        (idx + 1 >= len_l || (!is_one_of(l_[idx + 1], U':') && !hms_of(l_[idx + 1])))) {
      // 19990101T23[59]
      res.hour = py_int(s.substr(0, 2));
      if (len_li == 4) res.minute = py_int(s.substr(2));
    } else if (len_li == 6 || (len_li > 6 && value_repr.find(U'.') == 6)) {
      // YYMMDD or HHMMSS[.ss]
      if (ymd_.v.empty() && value_repr.find(U'.') == Tok::npos) {
        ymd_.append_str(s.substr(0, 2));
        ymd_.append_str(s.substr(2, 2));
        ymd_.append_str(s.substr(4));
      } else {
        res.hour = py_int(s.substr(0, 2));
        res.minute = py_int(s.substr(2, 2));
        const auto [sec, us] = parsems(s.substr(4));
        res.second = sec;
        res.microsecond = us;
      }
    } else if (len_li == 8 || len_li == 12 || len_li == 14) {
      // YYYYMMDD[hhmm[ss]]
      ymd_.append_str(s.substr(0, 4), Ymd::Y);
      ymd_.append_str(s.substr(4, 2));
      ymd_.append_str(s.substr(6, 2));
      if (len_li > 8) {
        res.hour = py_int(s.substr(8, 2));
        res.minute = py_int(s.substr(10, 2));
        if (len_li > 12) res.second = py_int(s.substr(12));
      }
    } else if (const auto hms_idx = find_hms_idx(idx)) {
      // HH[ ]h or MM[ ]m or SS[.ss][ ]s
      int hms;
      if (*hms_idx > idx) {
        hms = *hms_of(l_[*hms_idx]);
        idx = *hms_idx;
      } else {
        hms = *hms_of(l_[*hms_idx]) + 1;
      }
      assign_hms(res, value_repr, hms);
    } else if (idx + 2 < len_l && is_one_of(l_[idx + 1], U':')) {
      // HH:MM[:SS[.ss]]
      res.hour = value.ip;
      parse_min_sec(to_decimal(l_[idx + 2]), res);
      if (idx + 4 < len_l && is_one_of(l_[idx + 3], U':')) {
        const auto [sec, us] = parsems(l_[idx + 4]);
        res.second = sec;
        res.microsecond = us;
        idx += 2;
      }
      idx += 2;
    } else if (idx + 1 < len_l && (is_one_of(l_[idx + 1], U'-') || is_one_of(l_[idx + 1], U'/') ||
                                   is_one_of(l_[idx + 1], U'.'))) {
      const Tok sep = l_[idx + 1];
      ymd_.append_str(value_repr);
      if (idx + 2 < len_l && !is_jump(l_[idx + 2])) {
        if (tok_isdigit(l_[idx + 2])) {
          // 01-01[-01]
          ymd_.append_str(l_[idx + 2]);
        } else {
          // 01-Jan[-01]
          const auto m = month_of(l_[idx + 2]);
          if (!m) throw ParseFail{};
          ymd_.append_month(*m);
        }
        if (idx + 3 < len_l && l_[idx + 3] == sep) {
          // We have three members
          const Tok& fourth = at(idx + 4);
          if (const auto m = month_of(fourth))
            ymd_.append_month(*m);
          else
            ymd_.append_str(fourth);
          idx += 2;
        }
        idx += 1;
      }
      idx += 1;
    } else if (idx + 1 >= len_l || is_jump(l_[idx + 1])) {
      if (idx + 2 < len_l && ampm_of(l_[idx + 2])) {
        // 12 am
        res.hour = adjust_ampm(value.ip, *ampm_of(l_[idx + 2]));
        idx += 1;
      } else {
        // Year, month or day
        ymd_.append_num(value);
      }
      idx += 1;
    } else if (ampm_of(l_[idx + 1]) && value.ge(0) && value.lt(24)) {
      // 12am
      res.hour = adjust_ampm(value.ip, *ampm_of(l_[idx + 1]));
      idx += 1;
    } else if (ymd_.could_be_day(value)) {
      ymd_.append_num(value);
    }
    // else: fuzzy, nothing to do
    return idx;
  }

  void run(Res& res) {
    const std::size_t len_l = l_.size();
    std::size_t i = 0;
    while (i < len_l) {
      const Tok& tok = l_[i];
      const NumKind kind = classify(tok, nullptr);
      if (kind != NumKind::NotNumber) {
        i = parse_numeric_token(i, res);
      } else if (const auto wd = weekday_of(tok)) {
        res.weekday = *wd;
      } else if (const auto mon = month_of(tok)) {
        ymd_.append_month(*mon);
        if (i + 1 < len_l) {
          if (is_one_of(l_[i + 1], U'-') || is_one_of(l_[i + 1], U'/')) {
            // Jan-01[-99]
            const Tok sep = l_[i + 1];
            ymd_.append_str(at(i + 2));
            if (i + 3 < len_l && l_[i + 3] == sep) {
              // Jan-01-99
              ymd_.append_str(at(i + 4));
              i += 2;
            }
            i += 2;
          } else if (i + 4 < len_l && is_one_of(l_[i + 1], U' ') && is_one_of(l_[i + 3], U' ') &&
                     is_pertain(l_[i + 2])) {
            // Jan of 01: clearly a year
            if (tok_isdigit(l_[i + 4])) {
              std::int64_t value = py_int(l_[i + 4]);
              value = convert_year(value, false);
              const std::string digits = std::to_string(value);
              ymd_.append_str(std::u32string(digits.begin(), digits.end()), Ymd::Y);
            }
            i += 4;
          }
        }
      } else if (const auto ap = ampm_of(tok)) {
        // _ampm_valid with fuzzy=True never raises
        const bool valid = !res.ampm && res.hour && *res.hour >= 0 && *res.hour <= 12;
        if (valid) {
          res.hour = adjust_ampm(*res.hour, *ap);
          res.ampm = *ap;
        }
      } else if (could_be_tzname(res, !res.tzoffset, tok)) {
        res.tzname = tok;
        if (tzoffset_is_zero(tok))
          res.tzoffset = 0;
        else
          res.tzoffset.reset();
        // "GMT+3" means "my time +3 is GMT": invert the sign that follows.
        if (i + 1 < len_l && (is_one_of(l_[i + 1], U'+') || is_one_of(l_[i + 1], U'-'))) {
          l_[i + 1] = is_one_of(l_[i + 1], U'+') ? U"-" : U"+";
          res.tzoffset.reset();
          if (is_utczone(*res.tzname)) res.tzname.reset();
        }
      } else if (res.hour && (is_one_of(tok, U'+') || is_one_of(tok, U'-'))) {
        const std::int64_t signal = is_one_of(tok, U'+') ? 1 : -1;
        const Tok& next = at(i + 1);
        const std::size_t len_li = next.size();
        std::int64_t hour_offset, min_offset;
        const std::u32string_view nv(next);
        if (len_li == 4) {
          // -0300
          hour_offset = py_int(nv.substr(0, 2));
          min_offset = py_int(nv.substr(2));
        } else if (i + 2 < len_l && is_one_of(l_[i + 2], U':')) {
          // -03:00
          hour_offset = py_int(nv);
          min_offset = py_int(at(i + 3));
          i += 2;
        } else if (len_li <= 2) {
          // -[0]3
          hour_offset = py_int(nv.substr(0, 2));
          min_offset = 0;
        } else {
          throw ParseFail{};
        }
        res.tzoffset = signal * (hour_offset * 3600 + min_offset * 60);
        // Look for a timezone name between parenthesis: -0300 (BRST)
        if (i + 5 < len_l && is_jump(l_[i + 2]) && is_one_of(l_[i + 3], U'(') &&
            is_one_of(l_[i + 5], U')') && l_[i + 4].size() >= 3 &&
            could_be_tzname(res, true, l_[i + 4])) {
          res.tzname = l_[i + 4];
          i += 4;
        }
        i += 1;
      }
      // else: a jump word or, fuzzy, a skipped token
      i += 1;
    }
    const Ymd::Out o = ymd_.resolve();
    res.century_specified = ymd_.century_specified;
    res.year = o.year;
    res.month = o.month;
    res.day = o.day;
  }

 public:
  std::int64_t pivot_year = 2000;

  std::int64_t convert_year(std::int64_t year, bool century_specified) const {
    if (year < 100 && !century_specified) {
      const std::int64_t century = pivot_year / 100 * 100;
      year += century;
      if (year >= pivot_year + 50)
        year -= 100;
      else if (year < pivot_year - 50)
        year += 100;
    }
    return year;
  }
};

}  // namespace

Fields fuzzy_parse(std::u32string_view s, std::int64_t now_epoch_seconds, std::int64_t pivot_year) {
  Parser parser(timelex(s));
  parser.pivot_year = pivot_year;
  Res res;
  bool ok;
  try {
    ok = parser.parse(res);
  } catch (const DecimalTrap&) {
    throw EscapingError(ErrorKind::ValueError, "decimal.InvalidOperation: DivisionImpossible");
  }
  if (!ok) fail("Unknown string format");

  // parserinfo.validate
  if (res.year) res.year = parser.convert_year(*res.year, res.century_specified);
  if ((res.tzoffset && *res.tzoffset == 0 && !res.tzname) ||
      (res.tzname && (*res.tzname == U"Z" || *res.tzname == U"z"))) {
    res.tzname = Tok(U"UTC");
    res.tzoffset = 0;
  } else if (!(res.tzoffset && *res.tzoffset == 0) && res.tzname && is_utczone(*res.tzname)) {
    res.tzoffset = 0;
  }

  if (res.empty()) fail("String does not contain a date");

  // _build_naive with default = today 00:00:00
  std::int64_t dy;
  int dm, dd;
  civil_from_days(
      now_epoch_seconds >= 0 ? now_epoch_seconds / 86400 : -((-now_epoch_seconds + 86399) / 86400),
      dy, dm, dd);
  Fields f;
  f.year = res.year.value_or(dy);
  const std::int64_t month = res.month.value_or(dm);
  std::int64_t day = res.day.value_or(dd);
  if (!res.day) {
    if (month < 1 || month > 12) fail("bad month number");
    const int dim = days_in_month(f.year, static_cast<int>(month));
    if (day > dim) day = dim;
  }
  auto narrow = [](std::int64_t v) {
    return static_cast<int>(std::clamp<std::int64_t>(v, -1'000'000'000, 1'000'000'000));
  };
  f.month = narrow(month);
  f.day = narrow(day);
  f.hour = narrow(res.hour.value_or(0));
  f.minute = narrow(res.minute.value_or(0));
  f.second = narrow(res.second.value_or(0));
  f.microsecond = narrow(res.microsecond.value_or(0));
  std::int64_t wall = wall_us(f);  // default.replace(**repl)
  if (res.weekday && (!res.day || *res.day == 0)) {
    const std::int64_t days = wall >= 0 ? wall / kUsPerDay : -((-wall + kUsPerDay - 1) / kUsPerDay);
    const int jump = (7 - weekday_from_days(days) + *res.weekday) % 7;
    wall += jump * kUsPerDay;
    if (wall > kMaxUs) fail("date value out of range");
    const std::int64_t nd = days + jump;
    civil_from_days(nd, f.year, f.month, f.day);
  }

  // _build_tzaware (time.tzname == ('UTC', 'UTC'), no tzinfos)
  if (res.tzname && *res.tzname == U"UTC") {
    f.aware = true;
    f.offset_us = 0;
  } else if (res.tzoffset) {
    f.aware = true;
    // Offsets of a day or more are rejected later (utcoffset() range check).
    const std::int64_t off = std::clamp<std::int64_t>(*res.tzoffset, -86400, 86400);
    f.offset_us = off * kUsPerSecond;
  }
  return f;
}

}  // namespace intelflow::harm::datetime::detail
