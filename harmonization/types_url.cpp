// SPDX-License-Identifier: AGPL-3.0-or-later
// urllib.parse.urlsplit / urlunsplit with the semantics of Python 3.11.2 (the
// reference: no leading-whitespace stripping, no bracketed-host validation).
#include <array>
#include <cstdint>
#include <cstring>

#include "harmonization/types.hpp"
#include "harmonization/types_detail.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::harm {
namespace detail {

namespace {

bool is_scheme_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '-' || c == '.';
}

/// urllib.parse._checknetloc.
void check_netloc(std::string_view netloc) {
  if (netloc.empty() || uni::is_ascii(netloc)) return;
  std::string n;
  n.reserve(netloc.size());
  for (char c : netloc)
    if (c != '@' && c != ':' && c != '#' && c != '?') n.push_back(c);
  const std::string n2 = uni::nfkc(n);
  if (n2 == n) return;
  for (char c : std::string_view("/?#@:"))
    if (n2.find(c) != std::string::npos)
      raise_value_error("netloc '" + std::string(netloc) +
                        "' contains invalid characters under NFKC normalization");
}

}  // namespace

bool has_unsafe_url_bytes(std::string_view url) noexcept {
  // '\t' (9), '\n' (10), '\r' (13): first look for any byte below 14, 8 at a time
  constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  const char* p = url.data();
  std::size_t n = url.size();
  bool maybe = false;
  for (; n >= 8 && !maybe; p += 8, n -= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    maybe = ((x - ones * 14) & ~x & highs) != 0;
  }
  if (!maybe) {
    for (; n; ++p, --n)
      if (*p == '\t' || *p == '\r' || *p == '\n') return true;
    return false;
  }
  for (char c : url)
    if (c == '\t' || c == '\r' || c == '\n') return true;
  return false;
}

std::string strip_unsafe_url_bytes(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  for (char c : url)
    if (c != '\t' && c != '\r' && c != '\n') out.push_back(c);
  return out;
}

namespace {

/// The scheme and netloc steps of urlsplit: fills r.scheme/r.netloc and
/// returns the rest of the URL (path, query and fragment). Throws ValueError
/// like Python (unbalanced brackets in the netloc).
std::string_view split_scheme_netloc(std::string_view url, UrlViews& r) {
  const std::size_t colon = url.find(':');
  if (colon != std::string_view::npos && colon > 0 &&
      ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'))) {
    bool ok = true;
    for (std::size_t i = 0; i < colon && ok; ++i) ok = is_scheme_char(url[i]);
    if (ok) {
      r.scheme = url.substr(0, colon);
      r.has_scheme = true;
      url.remove_prefix(colon + 1);
    }
  }
  if (url.size() >= 2 && url[0] == '/' && url[1] == '/') {
    std::size_t delim = 2;
    bool open = false, close = false;
    unsigned high = 0;
    for (; delim < url.size(); ++delim) {
      const char c = url[delim];
      if (c == '/' || c == '?' || c == '#') break;
      open |= c == '[';
      close |= c == ']';
      high |= static_cast<unsigned char>(c) & 0x80u;
    }
    r.netloc = url.substr(2, delim - 2);
    r.netloc_ascii = high == 0;
    url.remove_prefix(delim);
    if (open != close) raise_value_error("Invalid IPv6 URL");
  }
  return url;
}

}  // namespace

std::string_view url_netloc(std::string_view url) {
  UrlViews r;
  split_scheme_netloc(url, r);
  if (!r.netloc_ascii) check_netloc(r.netloc);
  return r.netloc;
}

UrlViews url_split_views(std::string_view url) {
  UrlViews r;
  url = split_scheme_netloc(url, r);
  if (const std::size_t h = url.find('#'); h != std::string_view::npos) {
    r.fragment = url.substr(h + 1);
    url = url.substr(0, h);
  }
  if (const std::size_t q = url.find('?'); q != std::string_view::npos) {
    r.query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  r.path = url;
  if (!r.netloc_ascii) check_netloc(r.netloc);
  return r;
}

}  // namespace detail

namespace url {

SplitResult split(std::string_view text) {
  std::string clean;
  if (detail::has_unsafe_url_bytes(text)) {
    clean = detail::strip_unsafe_url_bytes(text);
    text = clean;
  }
  const detail::UrlViews v = detail::url_split_views(text);
  SplitResult r;
  r.scheme.assign(v.scheme);
  for (char& c : r.scheme)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  r.netloc.assign(v.netloc);
  r.path.assign(v.path);
  r.query.assign(v.query);
  r.fragment.assign(v.fragment);
  return r;
}

std::string unsplit(const SplitResult& p) {
  static constexpr std::array<std::string_view, 25> kUsesNetloc = {
      "",        "ftp",   "http",  "gopher", "nntp",     "telnet", "imap",  "wais",  "file",
      "mms",     "https", "shttp", "snews",  "prospero", "rtsp",   "rtspu", "rsync", "svn",
      "svn+ssh", "sftp",  "nfs",   "git",    "git+ssh",  "ws",     "wss"};
  std::string url = p.path;
  bool uses_netloc = false;
  for (auto s : kUsesNetloc) uses_netloc = uses_netloc || s == p.scheme;
  if (!p.netloc.empty() || (!p.scheme.empty() && uses_netloc && url.compare(0, 2, "//") != 0)) {
    if (!url.empty() && url[0] != '/') url.insert(url.begin(), '/');
    url = "//" + p.netloc + url;
  }
  if (!p.scheme.empty()) url = p.scheme + ":" + url;
  if (!p.query.empty()) url += "?" + p.query;
  if (!p.fragment.empty()) url += "#" + p.fragment;
  return url;
}

std::optional<std::string> to_domain_name(std::string_view text) {
  const SplitResult r = split(text);
  if (r.netloc.empty()) return std::nullopt;
  if (is_valid_string(TypeId::IPAddress, r.netloc)) return std::nullopt;
  return r.netloc;
}

}  // namespace url
}  // namespace intelflow::harm
