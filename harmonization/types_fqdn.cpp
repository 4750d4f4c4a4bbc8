// SPDX-License-Identifier: AGPL-3.0-or-later
// Python's `idna` codec (IDNA 2003, encodings/idna.py) on top of libidn's
// nameprep profile and punycode encoder.
#include <idn-free.h>
#include <punycode.h>
#include <stringprep.h>
#include <sys/types.h>

#include <algorithm>
#include <vector>

#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm::detail {

namespace {

bool all_ascii(const std::vector<std::uint32_t>& s) {
  return std::all_of(s.begin(), s.end(), [](std::uint32_t c) { return c < 0x80; });
}

using U32 = std::vector<std::uint32_t>;

/// Looks up a code point in one of libidn's RFC 3454 tables (sorted, zero-terminated).
const Stringprep_table_element* table_find(const Stringprep_table_element* table, std::size_t n,
                                           std::uint32_t cp) {
  std::size_t lo = 0, hi = n;
  while (lo < hi) {
    const std::size_t mid = (lo + hi) / 2;
    const auto& e = table[mid];
    const std::uint32_t last = e.end ? e.end : e.start;
    if (cp < e.start) {
      hi = mid;
    } else if (cp > last) {
      lo = mid + 1;
    } else {
      return &e;
    }
  }
  return nullptr;
}

std::size_t table_size(const Stringprep_table_element* t) {
  std::size_t n = 0;
  while (t[n].start != 0 || t[n].end != 0) ++n;
  return n;
}

/// The nameprep profile without its B.2 mapping step: Python computes that mapping
/// itself (stringprep.map_table_b2) with the *current* Unicode lower(), which differs
/// from RFC 3454's table for characters cased after Unicode 3.2 (e.g. U+1E9E, Cherokee).
const Stringprep_profile* python_nameprep_profile() {
  static const std::vector<Stringprep_profile> profile = [] {
    std::vector<Stringprep_profile> p;
    for (const Stringprep_profile* s = stringprep_nameprep; s->operation; ++s)
      if (s->table != stringprep_rfc3454_B_2) p.push_back(*s);
    p.push_back(Stringprep_profile{});
    return p;
  }();
  return profile.data();
}

/// unicodedata.ucd_3_2_0.normalize('NFKC', s) via libidn's Unicode 3.2 tables.
U32 nfkc32(const U32& s) {
  if (s.empty()) return s;
  uint32_t* r = stringprep_ucs4_nfkc_normalize(s.data(), static_cast<ssize_t>(s.size()));
  if (!r) return s;
  U32 out;
  for (const uint32_t* p = r; *p; ++p) out.push_back(*p);
  idn_free(r);
  return out;
}

/// str.lower() of one code point (full mapping, current Unicode).
U32 py_lower_cp(std::uint32_t cp) {
  if (cp < 0x80) return {cp >= 'A' && cp <= 'Z' ? cp + 32 : cp};
  std::string utf8;
  uni::append_utf8(utf8, static_cast<char32_t>(cp));
  const std::string low = uni::lower(utf8);
  U32 out;
  std::size_t i = 0;
  while (i < low.size()) out.push_back(static_cast<std::uint32_t>(uni::next_code_point(low, i)));
  return out;
}

/// stringprep.map_table_b3: RFC 3454 B.3 where it differs from lower(), else lower().
U32 map_b3(std::uint32_t cp) {
  static const std::size_t n = table_size(stringprep_rfc3454_B_3);
  if (const auto* e = table_find(stringprep_rfc3454_B_3, n, cp)) {
    U32 out;
    for (std::uint32_t m : e->map)
      if (m) out.push_back(m);
    return out;
  }
  return py_lower_cp(cp);
}

/// stringprep.map_table_b2.
U32 map_b2(std::uint32_t cp) {
  const U32 al = map_b3(cp);
  const U32 b = nfkc32(al);
  U32 bl;
  for (std::uint32_t ch : b) {
    const U32 m = map_b3(ch);
    bl.insert(bl.end(), m.begin(), m.end());
  }
  const U32 c = nfkc32(bl);
  return b != c ? c : al;
}

bool in_b1(std::uint32_t cp) {
  return cp == 173 || cp == 847 || cp == 6150 || (cp >= 6155 && cp <= 6157) ||
         (cp >= 8203 && cp <= 8205) || cp == 8288 || cp == 65279 || (cp >= 65024 && cp <= 65039);
}

/// encodings.idna.nameprep: B.1/B.2 mapping as Python does it, then libidn for NFKC
/// (Unicode 3.2), the prohibited tables and the bidi rules. libidn's NFKC step stops
/// at U+0000, so NULs (which nameprep keeps and which never combine) are swapped for
/// a code point unassigned in Unicode 3.2 that behaves the same, and restored after.
bool nameprep(U32& label) {
  U32 mapped;
  mapped.reserve(label.size());
  for (std::uint32_t cp : label) {
    if (in_b1(cp)) continue;
    if (cp < 0x80) {
      mapped.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
      continue;
    }
    const U32 m = map_b2(cp);
    mapped.insert(mapped.end(), m.begin(), m.end());
  }
  std::uint32_t sentinel = 0;
  if (std::find(mapped.begin(), mapped.end(), 0u) != mapped.end()) {
    for (std::uint32_t cand : {0x0378u, 0x0379u, 0x0380u, 0x0381u, 0x0382u, 0x0383u}) {
      if (std::find(mapped.begin(), mapped.end(), cand) == mapped.end()) {
        sentinel = cand;
        break;
      }
    }
    if (sentinel == 0) return false;
    std::replace(mapped.begin(), mapped.end(), 0u, sentinel);
  }
  std::size_t cap = mapped.size() * 4 + 16;
  for (int attempt = 0; attempt < 6; ++attempt) {
    U32 buf(cap + 1, 0);
    std::copy(mapped.begin(), mapped.end(), buf.begin());
    std::size_t len = mapped.size();
    const int rc = stringprep_4i(buf.data(), &len, cap, static_cast<Stringprep_profile_flags>(0),
                                 python_nameprep_profile());
    if (rc == STRINGPREP_TOO_SMALL_BUFFER) {
      cap *= 4;
      continue;
    }
    if (rc != STRINGPREP_OK) return false;
    buf.resize(len);
    if (sentinel) std::replace(buf.begin(), buf.end(), sentinel, 0u);
    label.swap(buf);
    return true;
  }
  return false;
}

/// encodings.idna.ToASCII for one label given as code points.
bool to_ascii(U32 label, std::string& out) {
  auto emit_ascii = [&](const std::vector<std::uint32_t>& l) {
    if (l.empty() || l.size() >= 64) return false;
    for (auto c : l) out.push_back(static_cast<char>(c));
    return true;
  };
  if (all_ascii(label)) return emit_ascii(label);
  if (!nameprep(label)) return false;
  if (all_ascii(label)) return emit_ascii(label);
  if (label.size() >= 4 && label[0] == 'x' && label[1] == 'n' && label[2] == '-' && label[3] == '-')
    return false;
  std::vector<char> puny(label.size() * 8 + 64);
  std::size_t puny_len = puny.size();
  if (punycode_encode(label.size(), label.data(), nullptr, &puny_len, puny.data()) !=
      PUNYCODE_SUCCESS)
    return false;
  if (4 + puny_len >= 64) return false;
  out.append("xn--");
  out.append(puny.data(), puny_len);
  return true;
}

bool is_idna_dot(char32_t c) noexcept {
  return c == 0x2E || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

}  // namespace

bool idna_ascii_ok(std::string_view s) noexcept {
  // Fast path of the codec for ASCII text: only label lengths are checked (the
  // last label may be empty, i.e. a trailing dot).
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = s.find('.', pos);
    if (dot == std::string_view::npos) return s.size() - pos < 64;
    const std::size_t len = dot - pos;
    if (len == 0 || len >= 64) return false;
    pos = dot + 1;
  }
}

std::optional<std::string> idna_encode(std::string_view s) {
  if (s.empty()) return std::string();
  if (uni::is_ascii(s)) {
    if (!idna_ascii_ok(s)) return std::nullopt;
    return std::string(s);
  }
  std::vector<std::vector<std::uint32_t>> labels(1);
  std::size_t i = 0;
  while (i < s.size()) {
    const char32_t cp = uni::next_code_point(s, i);
    if (is_idna_dot(cp)) {
      labels.emplace_back();
    } else {
      labels.back().push_back(static_cast<std::uint32_t>(cp));
    }
  }
  bool trailing_dot = false;
  if (labels.back().empty()) {
    trailing_dot = true;
    labels.pop_back();
  }
  std::string out;
  for (auto& label : labels) {
    if (!out.empty()) out.push_back('.');
    if (!to_ascii(std::move(label), out)) return std::nullopt;
  }
  if (trailing_dot) out.push_back('.');
  return out;
}

}  // namespace intelflow::harm::detail
