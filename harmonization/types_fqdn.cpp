// SPDX-License-Identifier: AGPL-3.0-or-later
// Python's `idna` codec (IDNA 2003, encodings/idna.py) on top of libidn's
// nameprep profile and punycode encoder.
#include <punycode.h>
#include <stringprep.h>

#include <algorithm>
#include <vector>

#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm::detail {

namespace {

bool all_ascii(const std::vector<std::uint32_t>& s) {
  return std::all_of(s.begin(), s.end(), [](std::uint32_t c) { return c < 0x80; });
}

/// encodings.idna.nameprep via libidn. libidn's NFKC step stops at U+0000, so NULs
/// (which nameprep keeps and which never combine) are swapped for a code point that
/// is unassigned in Unicode 3.2 and behaves the same way, and restored afterwards.
bool nameprep(std::vector<std::uint32_t>& label) {
  std::uint32_t sentinel = 0;
  if (std::find(label.begin(), label.end(), 0u) != label.end()) {
    for (std::uint32_t cand : {0x0378u, 0x0379u, 0x0380u, 0x0381u, 0x0382u, 0x0383u}) {
      if (std::find(label.begin(), label.end(), cand) == label.end()) {
        sentinel = cand;
        break;
      }
    }
    if (sentinel == 0) return false;
    std::replace(label.begin(), label.end(), 0u, sentinel);
  }
  std::size_t cap = label.size() * 4 + 16;
  for (int attempt = 0; attempt < 6; ++attempt) {
    std::vector<std::uint32_t> buf(cap + 1, 0);
    std::copy(label.begin(), label.end(), buf.begin());
    std::size_t len = label.size();
    const int rc = stringprep_4i(buf.data(), &len, cap, static_cast<Stringprep_profile_flags>(0),
                                 stringprep_nameprep);
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
bool to_ascii(std::vector<std::uint32_t> label, std::string& out) {
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

std::optional<std::string> idna_encode(std::string_view s) {
  if (s.empty()) return std::string();
  if (uni::is_ascii(s)) {
    // Fast path of the codec: only label lengths are checked.
    std::size_t pos = 0;
    while (true) {
      const std::size_t dot = s.find('.', pos);
      if (dot == std::string_view::npos) {
        if (s.size() - pos >= 64) return std::nullopt;
        break;
      }
      const std::size_t len = dot - pos;
      if (len == 0 || len >= 64) return std::nullopt;
      pos = dot + 1;
    }
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
