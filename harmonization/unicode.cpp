// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/unicode.hpp"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

#include <array>
#include <stdexcept>
#include <vector>

namespace intelflow::harm::uni {

namespace {

/// Length of the valid UTF-8 sequence starting at s[i] (Python's strict rules:
/// no overlongs, no surrogates, max U+10FFFF), or 0 if it is invalid.
std::size_t valid_sequence_length(std::string_view s, std::size_t i, char32_t* cp) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const std::size_t n = s.size();
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) -> bool {
    if (i + k >= n) return false;
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1, 0x80, 0xBF)) return 0;
    *cp = (static_cast<char32_t>(b0 & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) return 0;
    *cp = (static_cast<char32_t>(b0 & 0x0F) << 12) |
          (static_cast<char32_t>(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 6) |
          (static_cast<unsigned char>(s[i + 2]) & 0x3F);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) return 0;
    *cp = (static_cast<char32_t>(b0 & 0x07) << 18) |
          (static_cast<char32_t>(static_cast<unsigned char>(s[i + 1]) & 0x3F) << 12) |
          (static_cast<char32_t>(static_cast<unsigned char>(s[i + 2]) & 0x3F) << 6) |
          (static_cast<unsigned char>(s[i + 3]) & 0x3F);
    return 4;
  }
  return 0;
}

/// Python 3.11 uses Unicode 14.0; ICU may know newer characters. Those are
/// unassigned for Python.
bool newer_than_python(char32_t cp) noexcept {
  UVersionInfo age;
  u_charAge(static_cast<UChar32>(cp), age);
  return age[0] > 14;
}

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  out.resize(s.size() + 1);
  UErrorCode err = U_ZERO_ERROR;
  int32_t len = 0;
  u_strFromUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &len, s.data(),
                       static_cast<int32_t>(s.size()), 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) throw std::runtime_error("UTF-8 to UTF-16 conversion failed");
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::string to_utf8(const char16_t* s, int32_t n) {
  std::string out;
  out.resize(static_cast<std::size_t>(n) * 3 + 1);
  UErrorCode err = U_ZERO_ERROR;
  int32_t len = 0;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &len, s, n, 0xFFFD, nullptr,
                     &err);
  if (U_FAILURE(err)) throw std::runtime_error("UTF-16 to UTF-8 conversion failed");
  out.resize(static_cast<std::size_t>(len));
  return out;
}

template <typename F>
std::string icu_case_map(std::string_view s, F fn) {
  std::u16string src = to_utf16(s);
  std::u16string dst;
  dst.resize(src.size() * 3 + 8);
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode err = U_ZERO_ERROR;
    const int32_t n = fn(dst.data(), static_cast<int32_t>(dst.size()), src.data(),
                         static_cast<int32_t>(src.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      dst.resize(static_cast<std::size_t>(n) + 1);
      continue;
    }
    if (U_FAILURE(err)) throw std::runtime_error("ICU case mapping failed");
    return to_utf8(dst.data(), n);
  }
  throw std::runtime_error("ICU case mapping failed");
}

}  // namespace

bool is_ascii(std::string_view s) noexcept {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  char32_t cp = 0;
  const std::size_t n = valid_sequence_length(s, i, &cp);
  if (n == 0) {
    ++i;
    return 0xFFFD;
  }
  i += n;
  return cp;
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

bool is_space(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

std::string_view strip(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    const auto b = static_cast<unsigned char>(s[begin]);
    if (b < 0x80) {
      if (!is_space(b)) break;
      ++begin;
      continue;
    }
    std::size_t j = begin;
    if (!is_space(next_code_point(s, j))) break;
    begin = j;
  }
  std::size_t end = s.size();
  while (end > begin) {
    const auto b = static_cast<unsigned char>(s[end - 1]);
    if (b < 0x80) {
      if (!is_space(b)) break;
      --end;
      continue;
    }
    // Walk back to the lead byte of the last code point (at most 4 bytes).
    std::size_t start = end - 1;
    while (start > begin && end - start < 4 &&
           (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80)
      --start;
    std::size_t j = start;
    const char32_t cp = next_code_point(s, j);
    if (j != end || !is_space(cp)) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

std::string lower(std::string_view s) {
  if (is_ascii(s)) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
  }
  return icu_case_map(s, [](UChar* d, int32_t dc, const UChar* src, int32_t sl, UErrorCode* e) {
    return u_strToLower(d, dc, src, sl, "", e);
  });
}

std::string upper(std::string_view s) {
  if (is_ascii(s)) {
    std::string out(s);
    for (char& c : out)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    return out;
  }
  return icu_case_map(s, [](UChar* d, int32_t dc, const UChar* src, int32_t sl, UErrorCode* e) {
    return u_strToUpper(d, dc, src, sl, "", e);
  });
}

bool is_lower_invariant(std::string_view s) {
  if (is_ascii(s)) {
    for (char c : s)
      if (c >= 'A' && c <= 'Z') return false;
    return true;
  }
  return lower(s) == s;
}

bool is_upper_invariant(std::string_view s) {
  if (is_ascii(s)) {
    for (char c : s)
      if (c >= 'a' && c <= 'z') return false;
    return true;
  }
  return upper(s) == s;
}

bool is_printable(char32_t cp) {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7F;
  if (cp > 0x10FFFF) return false;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return !newer_than_python(cp);
  }
}

int decimal_value(char32_t cp) noexcept {
  if (cp < 0x80) return (cp >= '0' && cp <= '9') ? static_cast<int>(cp - '0') : -1;
  if (cp > 0x10FFFF) return -1;
  if (u_charType(static_cast<UChar32>(cp)) != U_DECIMAL_DIGIT_NUMBER) return -1;
  if (newer_than_python(cp)) return -1;
  return u_charDigitValue(static_cast<UChar32>(cp));
}

std::string decode_utf8_ignore(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    char32_t cp = 0;
    const std::size_t n = valid_sequence_length(bytes, i, &cp);
    if (n == 0) {
      // Continuation bytes are never valid lead bytes, so dropping one byte at a
      // time removes exactly what Python's maximal-subpart error handling drops.
      ++i;
      continue;
    }
    out.append(bytes.substr(i, n));
    i += n;
  }
  return out;
}

bool valid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t n = valid_sequence_length(bytes, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string nfkc(std::string_view s) {
  if (is_ascii(s)) return std::string(s);
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* norm = unorm2_getNFKCInstance(&err);
  if (U_FAILURE(err)) throw std::runtime_error("ICU NFKC unavailable");
  std::u16string src = to_utf16(s);
  std::u16string dst;
  dst.resize(src.size() * 4 + 8);
  for (int attempt = 0; attempt < 2; ++attempt) {
    err = U_ZERO_ERROR;
    const int32_t n = unorm2_normalize(norm, src.data(), static_cast<int32_t>(src.size()),
                                       dst.data(), static_cast<int32_t>(dst.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      dst.resize(static_cast<std::size_t>(n) + 1);
      continue;
    }
    if (U_FAILURE(err)) throw std::runtime_error("ICU NFKC failed");
    return to_utf8(dst.data(), n);
  }
  throw std::runtime_error("ICU NFKC failed");
}

}  // namespace intelflow::harm::uni
