// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/pyfmt.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <limits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm::py {

namespace {

constexpr char kHex[] = "0123456789abcdef";

/// Decodes one code point of (possibly WTF-8) UTF-8 text at s[i]. Invalid
/// bytes decode as U+FFFD with length 1.
inline char32_t decode_cp(std::string_view s, std::size_t i, std::size_t& len) noexcept {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  unsigned char c = u[i];
  if (c < 0x80) {
    len = 1;
    return c;
  }
  auto cont = [&](std::size_t k) { return i + k < n && (u[i + k] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c < 0xE0 && cont(1)) {
    len = 2;
    return (char32_t(c & 0x1F) << 6) | (u[i + 1] & 0x3F);
  }
  if (c >= 0xE0 && c < 0xF0 && cont(1) && cont(2)) {
    char32_t cp = (char32_t(c & 0x0F) << 12) | (char32_t(u[i + 1] & 0x3F) << 6) | (u[i + 2] & 0x3F);
    if (cp >= 0x800) {
      len = 3;
      return cp;
    }
  }
  if (c >= 0xF0 && c < 0xF5 && cont(1) && cont(2) && cont(3)) {
    char32_t cp = (char32_t(c & 0x07) << 18) | (char32_t(u[i + 1] & 0x3F) << 12) |
                  (char32_t(u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
    if (cp >= 0x10000 && cp <= 0x10FFFF) {
      len = 4;
      return cp;
    }
  }
  len = 1;
  return 0xFFFD;
}

inline void append_u4(std::string& out, unsigned v) {
  char b[6] = {'\\',        'u', kHex[(v >> 12) & 15], kHex[(v >> 8) & 15], kHex[(v >> 4) & 15],
               kHex[v & 15]};
  out.append(b, 6);
}

inline void append_x2(std::string& out, unsigned v) {
  char b[4] = {'\\', 'x', kHex[(v >> 4) & 15], kHex[v & 15]};
  out.append(b, 4);
}

// Bytes that end a run of bytes copied verbatim into a JSON string literal.
// 1 = must be escaped in both modes, 2 = non-ASCII (escaped only with ensure_ascii).
struct JsonEscTable {
  std::array<std::uint8_t, 256> t{};
  constexpr JsonEscTable() {
    for (int i = 0; i < 0x20; ++i) t[i] = 1;
    t['"'] = 1;
    t['\\'] = 1;
    t[0x7f] = 2;  // DEL: escaped only with ensure_ascii
    for (int i = 0x80; i < 256; ++i) t[i] = 2;
  }
};
constexpr JsonEscTable kJsonEsc;

// Bytes repr() copies as they are (printable ASCII except the backslash; the
// quote is checked separately).
struct ReprPlainTable {
  std::array<std::uint8_t, 256> t{};
  constexpr ReprPlainTable() {
    for (int i = 0x20; i < 0x7f; ++i) t[i] = 1;
    t['\\'] = 0;
  }
};
constexpr ReprPlainTable kReprPlain;

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_bytes_repr(std::string& out, std::string_view b) {
  bool has_sq = b.find('\'') != std::string_view::npos;
  bool has_dq = b.find('"') != std::string_view::npos;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  out += 'b';
  out += q;
  for (unsigned char c : b) {
    if (c == static_cast<unsigned char>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      append_x2(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  out += q;
}

void append_json_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "NaN";
  } else if (std::isinf(d)) {
    out += d > 0 ? "Infinity" : "-Infinity";
  } else {
    append_float_repr(out, d);
  }
}

void append_json_impl(std::string& out, const Value& v, const JsonOptions& o) {
  switch (v.kind()) {
    case Kind::Null:
      out += "null";
      return;
    case Kind::Bool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Kind::Int:
      append_int(out, v.as_int());
      return;
    case Kind::BigInt:
      out += v.as_string();
      return;
    case Kind::Float:
      append_json_float(out, v.as_float());
      return;
    case Kind::String:
      append_json_string(out, v.as_string(), o.ensure_ascii);
      return;
    case Kind::Bytes:
      throw HarmonizationError(ErrorKind::ValueError,
                               "Object of type bytes is not JSON serializable");
    case Kind::List: {
      const auto& l = v.as_list();
      out += '[';
      for (std::size_t i = 0; i < l.size(); ++i) {
        if (i) out += ", ";
        append_json_impl(out, l[i], o);
      }
      out += ']';
      return;
    }
    case Kind::Dict: {
      const auto& d = v.as_dict();
      out += '{';
      if (o.sort_keys && d.size() > 1) {
        std::vector<const std::pair<std::string, Value>*> items;
        items.reserve(d.size());
        for (const auto& kv : d) items.push_back(&kv);
        std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
        bool first = true;
        for (const auto* kv : items) {
          if (!first) out += ", ";
          first = false;
          append_json_string(out, kv->first, o.ensure_ascii);
          out += ": ";
          append_json_impl(out, kv->second, o);
        }
      } else {
        bool first = true;
        for (const auto& [k, val] : d) {
          if (!first) out += ", ";
          first = false;
          append_json_string(out, k, o.ensure_ascii);
          out += ": ";
          append_json_impl(out, val, o);
        }
      }
      out += '}';
      return;
    }
  }
}

inline int hexval(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// ---------------------------------------------------------------------------------
void append_float_repr(std::string& out, double d) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d > 0 ? "inf" : "-inf";
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  // buf = [-]D[.DDDD]e(+|-)XX
  const char* p = buf;
  const char* end = r.ptr;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  char digits[32];
  int nd = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  ++p;  // 'e'
  bool eneg = *p == '-';
  ++p;
  int e = 0;
  while (p < end) e = e * 10 + (*p++ - '0');
  if (eneg) e = -e;
  if (e < -4 || e >= 16) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, nd - 1);
    }
    out += 'e';
    out += e < 0 ? '-' : '+';
    int ae = e < 0 ? -e : e;
    if (ae < 10) out += '0';
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof eb, ae);
    out.append(eb, er.ptr);
  } else if (e >= 0) {
    if (nd <= e + 1) {
      out.append(digits, nd);
      out.append(static_cast<std::size_t>(e + 1 - nd), '0');
      out += ".0";
    } else {
      out.append(digits, e + 1);
      out += '.';
      out.append(digits + e + 1, nd - e - 1);
    }
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-e - 1), '0');
    out.append(digits, nd);
  }
}

std::string float_repr(double d) {
  std::string s;
  append_float_repr(s, d);
  return s;
}

std::string_view type_name(const Value& v) noexcept {
  switch (v.kind()) {
    case Kind::Null:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
    case Kind::BigInt:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
  }
  return "object";
}

/// True if every byte of s is printable ASCII other than '\\' and '\'' (repr
/// then writes the text as is between single quotes).
inline bool repr_plain_ascii(std::string_view s) noexcept {
  const char* p = s.data();
  std::size_t n = s.size();
#if defined(__SSE2__)
  const __m128i lo = _mm_set1_epi8(0x1f);
  const __m128i sq = _mm_set1_epi8('\'');
  const __m128i bs = _mm_set1_epi8('\\');
  const __m128i del = _mm_set1_epi8(0x7f);
  for (; n >= 16; p += 16, n -= 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // bytes >= 0x80 are negative as signed: caught by the < 0x20 test below
    const __m128i bad = _mm_or_si128(
        _mm_or_si128(_mm_cmpgt_epi8(lo, x) /* x < 0x20 or >= 0x80 */, _mm_cmpeq_epi8(x, sq)),
        _mm_or_si128(_mm_cmpeq_epi8(x, bs), _mm_cmpeq_epi8(x, del)));
    if (_mm_movemask_epi8(bad)) return false;
  }
#endif
  for (; n; ++p, --n) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') return false;
  }
  return true;
}

void append_str_repr(std::string& out, std::string_view s) {
  if (repr_plain_ascii(s)) {
    const std::size_t at = out.size();
    out.resize(at + s.size() + 2);
    char* w = out.data() + at;
    *w = '\'';
    if (!s.empty()) std::memcpy(w + 1, s.data(), s.size());
    w[s.size() + 1] = '\'';
    return;
  }
  bool has_sq = s.find('\'') != std::string_view::npos;
  bool has_dq = has_sq && s.find('"') != std::string_view::npos;
  char q = (has_sq && !has_dq) ? '"' : '\'';
  out.reserve(out.size() + s.size() + 2);
  out += q;
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    // copy a run of plain printable ASCII
    std::size_t j = i;
    const auto* u = reinterpret_cast<const unsigned char*>(s.data());
    while (j < n && kReprPlain.t[u[j]] && u[j] != static_cast<unsigned char>(q)) ++j;
    out.append(s.data() + i, j - i);
    i = j;
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == '\\' || c == static_cast<unsigned char>(q)) {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        append_x2(out, c);
      }
      ++i;
      continue;
    }
    std::size_t len = 1;
    char32_t cp = decode_cp(s, i, len);
    bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    if (!surrogate && uni::is_printable(cp)) {
      out.append(s.data() + i, len);
    } else if (cp <= 0xFF) {
      append_x2(out, cp);
    } else if (cp <= 0xFFFF) {
      append_u4(out, cp);
    } else {
      out += "\\U";
      for (int k = 28; k >= 0; k -= 4) out += kHex[(cp >> k) & 15];
    }
    i += len;
  }
  out += q;
}

void append_repr(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Kind::Null:
      out += "None";
      return;
    case Kind::Bool:
      out += v.as_bool() ? "True" : "False";
      return;
    case Kind::Int:
      append_int(out, v.as_int());
      return;
    case Kind::BigInt:
      out += v.as_string();
      return;
    case Kind::Float:
      append_float_repr(out, v.as_float());
      return;
    case Kind::String:
      append_str_repr(out, v.as_string());
      return;
    case Kind::Bytes:
      append_bytes_repr(out, v.as_string());
      return;
    case Kind::List: {
      out += '[';
      bool first = true;
      for (const auto& x : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, x);
      }
      out += ']';
      return;
    }
    case Kind::Dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, x] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        append_str_repr(out, k);
        out += ": ";
        append_repr(out, x);
      }
      out += '}';
      return;
    }
  }
}

std::string repr(const Value& v) {
  std::string s;
  append_repr(s, v);
  return s;
}

void append_str(std::string& out, const Value& v) {
  if (v.is_string()) {
    out += v.as_string();
  } else {
    append_repr(out, v);
  }
}

std::string str(const Value& v) {
  if (v.is_string()) return v.as_string();
  std::string s;
  append_repr(s, v);
  return s;
}

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::size_t str_len(const Value& v) {
  switch (v.kind()) {
    case Kind::String:
      return utf8_length(v.as_string());
    case Kind::Int: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      return static_cast<std::size_t>(r.ptr - buf);
    }
    case Kind::BigInt:
      return v.as_string().size();
    default:
      return utf8_length(str(v));
  }
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    char b[2] = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 2);
  } else if (cp < 0x10000) {
    char b[3] = {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                 static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 3);
  } else {
    char b[4] = {
        static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
        static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    out.append(b, 4);
  }
}

namespace {

inline char* put_u4(char* p, unsigned v) noexcept {
  p[0] = '\\';
  p[1] = 'u';
  p[2] = kHex[(v >> 12) & 15];
  p[3] = kHex[(v >> 8) & 15];
  p[4] = kHex[(v >> 4) & 15];
  p[5] = kHex[v & 15];
  return p + 6;
}

/// Writes the escape of the byte(s) at s[i] (one that ends a plain run) and
/// advances i past them.
inline char* put_json_escape(char* p, std::string_view s, std::size_t& i) noexcept {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    char e = 0;
    switch (c) {
      case '"':
        e = '"';
        break;
      case '\\':
        e = '\\';
        break;
      case '\n':
        e = 'n';
        break;
      case '\r':
        e = 'r';
        break;
      case '\t':
        e = 't';
        break;
      case '\b':
        e = 'b';
        break;
      case '\f':
        e = 'f';
        break;
      default:
        break;
    }
    ++i;
    if (e) {
      p[0] = '\\';
      p[1] = e;
      return p + 2;
    }
    return put_u4(p, c);
  }
  std::size_t len = 1;
  char32_t cp = decode_cp(s, i, len);
  i += len;
  if (cp >= 0x10000) {
    cp -= 0x10000;
    p = put_u4(p, 0xD800 | static_cast<unsigned>(cp >> 10));
    return put_u4(p, 0xDC00 | static_cast<unsigned>(cp & 0x3FF));
  }
  return put_u4(p, cp);
}

}  // namespace

char* write_json_string(char* p, std::string_view s, bool ensure_ascii) noexcept {
  *p++ = '"';
  const std::size_t n = s.size();
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time: store the block, then keep the bytes before the first
  // one to escape (the caller's buffer has room for the stray tail).
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i bslash = _mm_set1_epi8('\\');
  const __m128i ctl = _mm_set1_epi8(0x1f);
  const __m128i del = _mm_set1_epi8(0x7f);
  auto block = [&](const unsigned char* src) -> unsigned {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
    const __m128i hit =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                     _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
    if (ensure_ascii)
      m |= static_cast<unsigned>(_mm_movemask_epi8(x)) |
           static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, del)));
    return m;
  };
  while (i + 16 <= n) {
    const unsigned m = block(u + i);
    if (!m) {
      p += 16;
      i += 16;
      continue;
    }
    const auto k = static_cast<std::size_t>(__builtin_ctz(m));
    p += k;
    i += k;
    p = put_json_escape(p, s, i);
  }
  while (i < n) {
    // the tail, padded with plain bytes to a whole block
    alignas(16) unsigned char tail[16];
    std::memset(tail, 'a', sizeof tail);
    const std::size_t rest = n - i;
    std::memcpy(tail, u + i, rest);
    const unsigned m = block(tail) & ((1u << rest) - 1);
    if (!m) {
      p += rest;
      break;
    }
    const auto k = static_cast<std::size_t>(__builtin_ctz(m));
    p += k;
    i += k;
    p = put_json_escape(p, s, i);
  }
#else
  const std::uint8_t stop = ensure_ascii ? 3 : 1;
  while (i < n) {
    if (kJsonEsc.t[u[i]] & stop) {
      p = put_json_escape(p, s, i);
    } else {
      *p++ = static_cast<char>(u[i++]);
    }
  }
#endif
  *p++ = '"';
  return p;
}

void append_json_string(std::string& out, std::string_view s, bool ensure_ascii) {
  const std::size_t old = out.size();
  out.resize(old + json_string_bound(s.size()));
  char* const begin = out.data() + old;
  char* const end = write_json_string(begin, s, ensure_ascii);
  out.resize(old + static_cast<std::size_t>(end - begin));
}

void append_json(std::string& out, const Value& v, const JsonOptions& opts) {
  append_json_impl(out, v, opts);
}

std::string json_dumps(const Value& v, const JsonOptions& opts) {
  std::string s;
  append_json_impl(s, v, opts);
  return s;
}

// --- JSON reader -------------------------------------------------------------------

bool JsonReader::parse_literal(std::string_view word) noexcept {
  if (static_cast<std::size_t>(end_ - p_) < word.size()) return false;
  if (std::memcmp(p_, word.data(), word.size()) != 0) return false;
  p_ += word.size();
  return true;
}

bool JsonReader::decode_escapes(const char* start, std::string& out) {
  // p_ points at the first backslash or control char after `start` (the content start).
  out.assign(start, p_);
  for (;;) {
    // copy plain run
    const char* q = p_;
    while (q < end_) {
      unsigned char c = static_cast<unsigned char>(*q);
      if (c == '"' || c == '\\' || c < 0x20) break;
      ++q;
    }
    out.append(p_, q);
    p_ = q;
    if (p_ >= end_) return false;
    char c = *p_;
    if (c == '"') {
      ++p_;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20) return false;  // strict: control char
    // backslash
    ++p_;
    if (p_ >= end_) return false;
    char e = *p_++;
    switch (e) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        auto read4 = [&](char32_t& v) {
          if (end_ - p_ < 4) return false;
          v = 0;
          for (int k = 0; k < 4; ++k) {
            int h = hexval(p_[k]);
            if (h < 0) return false;
            v = (v << 4) | static_cast<char32_t>(h);
          }
          p_ += 4;
          return true;
        };
        char32_t cp;
        if (!read4(cp)) return false;
        if (cp >= 0xD800 && cp <= 0xDBFF && end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
          const char* save = p_;
          p_ += 2;
          char32_t lo;
          if (read4(lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            p_ = save;  // lone high surrogate; the next escape is decoded on its own
          }
        }
        append_utf8(out, cp);
        break;
      }
      default:
        return false;
    }
  }
}

bool JsonReader::parse_string(std::string_view& out, std::string& scratch) {
  if (p_ >= end_ || *p_ != '"') return false;
  const char* const start = ++p_;
  const char* q = start;
  // Scan for '"', '\\' or a control byte (< 0x20); remember whether any byte
  // before it had its high bit set (the caller validates UTF-8 only then).
  unsigned high = 0;
  bool found = false;
#if defined(__SSE2__)
  {
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x1f);
    while (end_ - q >= 16) {
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
      const __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                       _mm_cmpeq_epi8(_mm_max_epu8(x, ctl), ctl));
      const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(hit));
      const unsigned hb = static_cast<unsigned>(_mm_movemask_epi8(x));
      if (m) {
        const unsigned k = static_cast<unsigned>(__builtin_ctz(m));
        high |= hb & ((1u << k) - 1);
        q += k;
        found = true;
        break;
      }
      high |= hb;
      q += 16;
    }
  }
#endif
  if (!found) {
    for (; q < end_; ++q) {
      const unsigned char c = static_cast<unsigned char>(*q);
      if (c == '"' || c == '\\' || c < 0x20) break;
      high |= c & 0x80u;
    }
  }
  if (high) non_ascii_ = true;
  p_ = q;
  if (q >= end_) return false;
  if (*q == '"') {
    out = std::string_view(start, static_cast<std::size_t>(q - start));
    p_ = q + 1;
    return true;
  }
  non_ascii_ = true;  // escaped text is checked in full by callers that care
  if (!decode_escapes(start, scratch)) return false;
  out = scratch;
  return true;
}

bool JsonReader::parse_string_into(std::string& out) {
  std::string_view v;
  if (!parse_string(v, scratch_)) return false;
  out.assign(v.data(), v.size());
  return true;
}

bool JsonReader::parse_number(Value& out) {
  const char* start = p_;
  bool neg = false;
  if (p_ < end_ && *p_ == '-') {
    neg = true;
    ++p_;
    if (p_ < end_ && *p_ == 'I') {
      if (!parse_literal("Infinity")) return false;
      out = Value::floating(-std::numeric_limits<double>::infinity());
      return true;
    }
  }
  if (p_ >= end_) return false;
  const char* int_start = p_;
  if (*p_ == '0') {
    ++p_;
  } else if (*p_ >= '1' && *p_ <= '9') {
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
  } else {
    return false;
  }
  const char* int_end = p_;
  bool is_float = false;
  if (p_ + 1 < end_ && *p_ == '.' && p_[1] >= '0' && p_[1] <= '9') {
    is_float = true;
    p_ += 2;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
  }
  const char* exp_start = nullptr;
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    const char* q = p_ + 1;
    if (q < end_ && (*q == '+' || *q == '-')) ++q;
    if (q < end_ && *q >= '0' && *q <= '9') {
      exp_start = p_ + 1;
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
      p_ = q;
      is_float = true;
    }
  }
  if (!is_float) {
    std::size_t nd = static_cast<std::size_t>(int_end - int_start);
    if (nd <= 18) {
      std::int64_t v = 0;
      for (const char* q = int_start; q < int_end; ++q) v = v * 10 + (*q - '0');
      out = Value::integer(neg ? -v : v);
      return true;
    }
    std::int64_t v = 0;
    auto r = std::from_chars(start, int_end, v);
    if (r.ec == std::errc() && r.ptr == int_end) {
      out = Value::integer(v);
    } else {
      out = Value::big_integer(std::string(start, int_end));
    }
    return true;
  }
  if (!exp_start) {
    // Decimal without exponent and at most 15 significant digits: the digits
    // and the power of ten are exact doubles, so one correctly rounded
    // division gives the correctly rounded value (as from_chars would).
    std::uint64_t mant = 0;
    int digits = 0, frac = 0;
    bool in_frac = false;
    for (const char* q = int_start; q < p_; ++q) {
      if (*q == '.') {
        in_frac = true;
        continue;
      }
      mant = mant * 10 + static_cast<std::uint64_t>(*q - '0');
      if (mant != 0 || in_frac) ++digits;
      frac += in_frac;
    }
    static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (digits <= 15 && frac <= 22) {
      const double d = static_cast<double>(mant) / kPow10[frac];
      out = Value::floating(neg ? -d : d);
      return true;
    }
  }
  double d = 0;
  auto r = std::from_chars(start, p_, d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    bool exp_neg = exp_start && *exp_start == '-';
    d = exp_neg ? 0.0 : std::numeric_limits<double>::infinity();
    if (neg) d = -d;
  } else if (r.ec != std::errc() || r.ptr != p_) {
    return false;
  }
  out = Value::floating(d);
  return true;
}

bool JsonReader::parse_value(Value& out, int depth) {
  if (depth > 900) return false;  // CPython raises RecursionError around here
  if (p_ >= end_) return false;
  switch (*p_) {
    case '"': {
      std::string_view v;
      if (!parse_string(v, scratch_)) return false;
      out.assign_string(v);
      return true;
    }
    case '{': {
      ++p_;
      Value::Dict d;
      skip_ws();
      if (consume('}')) {
        out = Value::dict(std::move(d));
        return true;
      }
      // Large objects get a hash index for the duplicate-key check.
      std::unordered_map<std::string, std::size_t> index;
      for (;;) {
        skip_ws();
        if (peek() != '"') return false;
        std::string key;
        if (!parse_string_into(key)) return false;
        skip_ws();
        if (!consume(':')) return false;
        skip_ws();
        Value v;
        if (!parse_value(v, depth + 1)) return false;
        // duplicate keys: last value wins, first position kept
        std::size_t found = d.size();
        if (!index.empty()) {
          auto it = index.find(key);
          if (it != index.end()) found = it->second;
        } else {
          for (std::size_t k = 0; k < d.size(); ++k) {
            if (d[k].first == key) {
              found = k;
              break;
            }
          }
        }
        if (found < d.size()) {
          d[found].second = std::move(v);
        } else {
          if (!index.empty()) {
            index.emplace(key, d.size());
          } else if (d.size() >= 32) {
            for (std::size_t k = 0; k < d.size(); ++k) index.emplace(d[k].first, k);
            index.emplace(key, d.size());
          }
          d.emplace_back(std::move(key), std::move(v));
        }
        skip_ws();
        if (consume(',')) continue;
        if (consume('}')) break;
        return false;
      }
      out = Value::dict(std::move(d));
      return true;
    }
    case '[': {
      ++p_;
      Value::List l;
      skip_ws();
      if (consume(']')) {
        out = Value::list(std::move(l));
        return true;
      }
      for (;;) {
        skip_ws();
        Value v;
        if (!parse_value(v, depth + 1)) return false;
        l.push_back(std::move(v));
        skip_ws();
        if (consume(',')) continue;
        if (consume(']')) break;
        return false;
      }
      out = Value::list(std::move(l));
      return true;
    }
    case 't':
      if (!parse_literal("true")) return false;
      out = Value::boolean(true);
      return true;
    case 'f':
      if (!parse_literal("false")) return false;
      out = Value::boolean(false);
      return true;
    case 'n':
      if (!parse_literal("null")) return false;
      out = Value();
      return true;
    case 'N':
      if (!parse_literal("NaN")) return false;
      out = Value::floating(std::numeric_limits<double>::quiet_NaN());
      return true;
    case 'I':
      if (!parse_literal("Infinity")) return false;
      out = Value::floating(std::numeric_limits<double>::infinity());
      return true;
    default:
      return parse_number(out);
  }
}

bool json_loads(std::string_view text, Value& out) {
  JsonReader r(text.data(), text.data() + text.size());
  r.skip_ws();
  Value v;
  if (!r.parse_value(v)) return false;
  r.skip_ws();
  if (!r.at_end()) return false;
  out = std::move(v);
  return true;
}

}  // namespace intelflow::harm::py
