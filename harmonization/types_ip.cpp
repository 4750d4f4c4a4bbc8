// SPDX-License-Identifier: AGPL-3.0-or-later
// Python `ipaddress` parsing/formatting rules (3.11) and the IPAddress helpers.
#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/types.hpp"
#include "harmonization/types_detail.hpp"

namespace intelflow::harm {
namespace detail {

namespace {

constexpr u128 kAllOnes128 = ~static_cast<u128>(0);

bool ascii_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// IPv4Address._ip_int_from_string, in one pass: four dot-separated octets of 1-3
/// ASCII digits, no leading zero, each at most 255.
std::optional<std::uint32_t> parse_v4(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;  // "255.255.255.255" is the longest
  std::uint32_t ip = 0;
  unsigned octet = 0;
  int digits = 0, dots = 0;
  bool leading_zero = false;
  for (const char c : s) {
    if (c >= '0' && c <= '9') {
      if (leading_zero) return std::nullopt;  // "01", "00"
      if (digits == 0) leading_zero = c == '0';
      octet = octet * 10 + static_cast<unsigned>(c - '0');
      if (++digits > 3) return std::nullopt;
    } else if (c == '.') {
      if (digits == 0 || octet > 255 || ++dots > 3) return std::nullopt;
      ip = (ip << 8) | octet;
      octet = 0;
      digits = 0;
      leading_zero = false;
    } else {
      return std::nullopt;
    }
  }
  if (dots != 3 || digits == 0 || octet > 255) return std::nullopt;
  return (ip << 8) | octet;
}

/// Lowercase hex digits of v (at most 0xFFFF) without leading zeros; returns the length.
std::size_t write_hex(char* out, unsigned v) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t n = 0;
  for (int shift = 12; shift > 0; shift -= 4)
    if (n || (v >> shift)) out[n++] = kHex[(v >> shift) & 15];
  out[n++] = kHex[v & 15];
  return n;
}

/// Decimal digits of v (at most 255); returns the length.
std::size_t write_octet(char* out, unsigned v) noexcept {
  std::size_t n = 0;
  if (v >= 100) out[n++] = static_cast<char>('0' + v / 100);
  if (v >= 10) out[n++] = static_cast<char>('0' + v / 10 % 10);
  out[n++] = static_cast<char>('0' + v % 10);
  return n;
}

/// IPv6Address._parse_hextet.
int parse_hextet(std::string_view h) {
  if (h.empty() || h.size() > 4) return -1;
  int v = 0;
  for (char c : h) {
    const int d = hex_value(c);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/// IPv6Address._ip_int_from_string (no scope id).
std::optional<u128> parse_v6(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // Split on ':' (keep empty parts). More than 10 parts can never be valid (at most
  // 9 are allowed after an IPv4 suffix was turned into two hextets).
  std::array<std::string_view, 11> parts;
  std::size_t count = 0;
  std::size_t pos = 0;
  while (true) {
    if (count == 10) return std::nullopt;
    const std::size_t c = s.find(':', pos);
    if (c == std::string_view::npos) {
      parts[count++] = s.substr(pos);
      break;
    }
    parts[count++] = s.substr(pos, c - pos);
    pos = c + 1;
  }
  if (count < 3) return std::nullopt;
  // An IPv4 suffix is converted into two hextets.
  std::array<char, 8> v4buf_hi{}, v4buf_lo{};
  if (parts[count - 1].find('.') != std::string_view::npos) {
    const auto v4 = parse_v4(parts[count - 1]);
    if (!v4) return std::nullopt;
    const auto hi = static_cast<unsigned>(*v4 >> 16), lo = static_cast<unsigned>(*v4 & 0xFFFF);
    parts[count - 1] = std::string_view(v4buf_hi.data(), write_hex(v4buf_hi.data(), hi));
    parts[count++] = std::string_view(v4buf_lo.data(), write_hex(v4buf_lo.data(), lo));
  }
  const std::size_t n = count;
  if (n > 9) return std::nullopt;
  std::optional<std::size_t> skip;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (parts[i].empty()) {
      if (skip) return std::nullopt;
      skip = i;
    }
  }
  std::size_t hi = 0, lo = 0, skipped = 0;
  if (skip) {
    hi = *skip;
    lo = n - *skip - 1;
    if (parts[0].empty()) {
      if (--hi != 0) return std::nullopt;
    }
    if (parts[n - 1].empty()) {
      if (--lo != 0) return std::nullopt;
    }
    if (hi + lo >= 8) return std::nullopt;
    skipped = 8 - (hi + lo);
  } else {
    if (n != 8) return std::nullopt;
    if (parts[0].empty() || parts[n - 1].empty()) return std::nullopt;
    hi = n;
  }
  u128 ip = 0;
  for (std::size_t i = 0; i < hi; ++i) {
    const int h = parse_hextet(parts[i]);
    if (h < 0) return std::nullopt;
    ip = (ip << 16) | static_cast<u128>(h);
  }
  // "::" skips all eight hextets: a shift by 128 bits would be undefined
  ip = skipped >= 8 ? 0 : ip << (16 * skipped);
  for (std::size_t i = n - lo; i < n; ++i) {
    const int h = parse_hextet(parts[i]);
    if (h < 0) return std::nullopt;
    ip = (ip << 16) | static_cast<u128>(h);
  }
  return ip;
}

/// IPv6Address(str) incl. the scope id.
std::optional<IpAddr> parse_v6_address(std::string_view s) {
  IpAddr a;
  a.version = 6;
  const std::size_t pct = s.find('%');
  if (pct != std::string_view::npos) {
    a.scope = s.substr(pct + 1);
    if (a.scope.empty() || a.scope.find('%') != std::string_view::npos) return std::nullopt;
    s = s.substr(0, pct);
  }
  const auto v = parse_v6(s);
  if (!v) return std::nullopt;
  a.value = *v;
  return a;
}

u128 mask_of(int version, int prefix) {
  const int bits = version == 4 ? 32 : 128;
  if (prefix == 0) return 0;
  const u128 all = version == 4 ? static_cast<u128>(0xFFFFFFFFu) : kAllOnes128;
  return (all << (bits - prefix)) & all;
}

/// _prefix_from_ip_int: the prefix length of a /1*0*/ pattern, or -1.
int prefix_from_int(u128 v, int bits) {
  int trailing = 0;
  while (trailing < bits && ((v >> trailing) & 1) == 0) ++trailing;
  const int prefix = bits - trailing;
  const u128 leading = trailing >= 128 ? 0 : (v >> trailing);
  const u128 all =
      prefix == 0 ? 0 : (prefix >= 128 ? kAllOnes128 : ((static_cast<u128>(1) << prefix) - 1));
  return leading == all ? prefix : -1;
}

/// _prefix_from_prefix_string: ASCII digits, value 0..bits. -2 = Python ValueError
/// from int() (too many digits), -1 = NetmaskValueError.
int prefix_from_string(std::string_view s, int bits) {
  if (!ascii_digits(s)) return -1;
  if (s.size() > 4300) return -2;
  while (s.size() > 1 && s[0] == '0') s.remove_prefix(1);
  if (s.size() > 3) return -1;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v <= bits ? v : -1;
}

}  // namespace

std::optional<IpAddr> parse_ip_address(std::string_view s) {
  // an IPv4 address never contains '/', so the check can follow its (common) parse
  if (const auto v4 = parse_v4(s)) {
    IpAddr a;
    a.version = 4;
    a.value = *v4;
    return a;
  }
  if (s.find('/') != std::string_view::npos) return std::nullopt;
  return parse_v6_address(s);
}

std::optional<IpNet> parse_ip_network(std::string_view s, bool strict) {
  const std::size_t slash = s.find('/');
  std::string_view addr = s;
  std::optional<std::string_view> mask;
  if (slash != std::string_view::npos) {
    if (s.find('/', slash + 1) != std::string_view::npos) return std::nullopt;
    addr = s.substr(0, slash);
    mask = s.substr(slash + 1);
  }
  IpNet net;
  if (const auto v4 = parse_v4(addr)) {
    net.addr.version = 4;
    net.addr.value = *v4;
    if (!mask) {
      net.prefix = 32;
    } else {
      int p = prefix_from_string(*mask, 32);
      if (p == -2) return std::nullopt;
      if (p < 0) {
        // A netmask or hostmask in dotted-quad form.
        const auto m = parse_v4(*mask);
        if (!m) return std::nullopt;
        p = prefix_from_int(*m, 32);
        if (p < 0) p = prefix_from_int(static_cast<u128>(*m ^ 0xFFFFFFFFu), 32);
        if (p < 0) return std::nullopt;
      }
      net.prefix = p;
    }
  } else {
    const auto v6 = parse_v6_address(addr);
    if (!v6) return std::nullopt;
    net.addr = *v6;
    if (!mask) {
      net.prefix = 128;
    } else {
      const int p = prefix_from_string(*mask, 128);
      if (p < 0) return std::nullopt;
      net.prefix = p;
    }
  }
  const u128 m = mask_of(net.addr.version, net.prefix);
  if ((net.addr.value & m) != net.addr.value) {
    if (strict) return std::nullopt;
    net.addr.value &= m;
    net.addr.scope = {};  // the masked address is built from an int: no scope
  }
  return net;
}

void append_ip(std::string& out, const IpAddr& a) {
  char buf[48];  // longest: 8 hextets of 4 digits and 7 colons (39)
  std::size_t n = 0;
  if (a.version == 4) {
    const auto v = static_cast<std::uint32_t>(a.value);
    for (int i = 3; i >= 0; --i) {
      n += write_octet(buf + n, (v >> (8 * i)) & 0xFFu);
      if (i) buf[n++] = '.';
    }
    out.append(buf, n);
    return;
  }
  std::array<unsigned, 8> h{};
  for (int i = 0; i < 8; ++i) h[i] = static_cast<unsigned>((a.value >> (16 * (7 - i))) & 0xFFFF);
  // Longest run (first wins) of zero hextets, only if longer than one.
  int best_start = -1, best_len = 0, cur_start = -1, cur_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (h[i] == 0) {
      if (cur_start < 0) cur_start = i;
      if (++cur_len > best_len) {
        best_len = cur_len;
        best_start = cur_start;
      }
    } else {
      cur_start = -1;
      cur_len = 0;
    }
  }
  if (best_len < 2) best_start = -1;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      buf[n++] = ':';
      if (i == 0) buf[n++] = ':';
      i += best_len - 1;
      continue;
    }
    n += write_hex(buf + n, h[i]);
    if (i != 7) buf[n++] = ':';
  }
  out.append(buf, n);
  if (!a.scope.empty()) {
    out.push_back('%');
    out.append(a.scope);
  }
}

std::string format_ip(const IpAddr& a) {
  std::string s;
  append_ip(s, a);
  return s;
}

std::string format_net(const IpNet& n) {
  std::string s;
  append_ip(s, n.addr);
  s.push_back('/');
  s += std::to_string(n.prefix);
  return s;
}

std::string u128_to_decimal(u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v) {
    s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return std::string(s.rbegin(), s.rend());
}

}  // namespace detail

namespace ip {

using detail::u128;

Value to_int(std::string_view addr) {
  // socket.inet_pton: the argument may not contain NUL (ValueError).
  if (addr.find('\0') != std::string_view::npos)
    detail::raise_value_error("embedded null character");
  const std::string buf(addr);
  unsigned char out[16];
  if (inet_pton(AF_INET, buf.c_str(), out) == 1) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | out[i];
    return Value::integer(v);
  }
  if (inet_pton(AF_INET6, buf.c_str(), out) == 1) {
    u128 v = 0;
    for (unsigned char b : out) v = (v << 8) | b;
    if (v <= static_cast<u128>(INT64_MAX)) return Value::integer(static_cast<std::int64_t>(v));
    return Value::big_integer(detail::u128_to_decimal(v));
  }
  return Value();
}

int version(std::string_view addr) {
  const auto a = detail::parse_ip_address(addr);
  if (!a) detail::raise_value_error("does not appear to be an IPv4 or IPv6 address");
  return a->version;
}

int network_version(std::string_view net) {
  const auto n = detail::parse_ip_network(net, true);
  if (!n) detail::raise_value_error("does not appear to be an IPv4 or IPv6 network");
  return n->addr.version;
}

namespace {

/// dns.ipv4.inet_aton (dnspython 2.x).
std::optional<std::array<unsigned char, 4>> dns_inet_aton4(std::string_view s) {
  std::array<unsigned char, 4> out{};
  int parts = 0;
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = s.find('.', pos);
    const std::string_view part = s.substr(pos, dot == std::string_view::npos ? s.npos : dot - pos);
    if (parts >= 4) return std::nullopt;
    if (part.empty()) return std::nullopt;
    for (char c : part)
      if (c < '0' || c > '9') return std::nullopt;
    if (part.size() > 1 && part[0] == '0') return std::nullopt;
    if (part.size() > 3) return std::nullopt;
    unsigned v = 0;
    for (char c : part) v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 255) return std::nullopt;
    out[parts++] = static_cast<unsigned char>(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (parts != 4) return std::nullopt;
  return out;
}

/// Matches dnspython's `(.*):(\d+\.\d+\.\d+\.\d+)$` (re.match on bytes): returns the
/// position of the ':' before the dotted quad and the quad's length, or npos.
std::size_t match_v4_ending(std::string_view s, std::size_t& quad_len) {
  // '$' also matches before a final '\n'; '.' never matches '\n'.
  std::string_view body = s;
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  auto quad_ok = [](std::string_view q) {
    int groups = 0;
    std::size_t i = 0;
    while (true) {
      std::size_t start = i;
      while (i < q.size() && q[i] >= '0' && q[i] <= '9') ++i;
      if (i == start) return false;
      ++groups;
      if (i == q.size()) return groups == 4;
      if (q[i] != '.' || groups == 4) return false;
      ++i;
    }
  };
  auto try_at = [&](std::string_view text) -> std::size_t {
    if (text.find('\n') != std::string_view::npos) return std::string_view::npos;
    // Greedy (.*) → the last ':' whose remainder is a quad.
    for (std::size_t c = text.rfind(':'); c != std::string_view::npos;
         c = c == 0 ? std::string_view::npos : text.rfind(':', c - 1)) {
      if (quad_ok(text.substr(c + 1))) {
        quad_len = text.size() - c - 1;
        return c;
      }
    }
    return std::string_view::npos;
  };
  std::size_t r = try_at(s);
  if (r == std::string_view::npos && body.size() != s.size()) r = try_at(body);
  return r;
}

/// dns.ipv6.inet_aton (dnspython 2.x, ignore_scope=False).
std::optional<std::array<unsigned char, 16>> dns_inet_aton6(std::string_view text) {
  std::string b(text);
  if (b.empty()) return std::nullopt;
  auto ends = [&](std::string_view x) {
    return b.size() >= x.size() && b.compare(b.size() - x.size(), x.size(), x) == 0;
  };
  auto starts = [&](std::string_view x) {
    return b.size() >= x.size() && b.compare(0, x.size(), x) == 0;
  };
  if (ends(":") && !ends("::")) return std::nullopt;
  if (starts(":") && !starts("::")) return std::nullopt;
  if (b == "::") b = "0::";
  std::size_t quad_len = 0;
  const std::size_t colon = match_v4_ending(b, quad_len);
  if (colon != std::string::npos) {
    const auto q = dns_inet_aton4(std::string_view(b).substr(colon + 1, quad_len));
    if (!q) return std::nullopt;
    char buf[16];
    std::snprintf(buf, sizeof buf, ":%02x%02x:%02x%02x", (*q)[0], (*q)[1], (*q)[2], (*q)[3]);
    b = b.substr(0, colon) + buf;
  }
  if (starts("::")) {
    b.erase(0, 1);
  } else if (b.find('\n') == std::string::npos || (b.find('\n') == b.size() - 1)) {
    // `.*::$`: ends with "::" (optionally before a final '\n'), no other newline.
    std::string_view body = b;
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
    const bool full = ends("::");
    const bool before_nl =
        body.size() != b.size() && body.size() >= 2 && body.substr(body.size() - 2) == "::";
    if (full || before_nl) b.pop_back();
  }
  std::vector<std::string_view> chunks;
  std::size_t pos = 0;
  while (true) {
    const std::size_t c = b.find(':', pos);
    chunks.push_back(
        std::string_view(b).substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  const std::size_t l = chunks.size();
  if (l > 8) return std::nullopt;
  std::string canonical;
  bool seen_empty = false;
  for (auto c : chunks) {
    if (c.empty()) {
      if (seen_empty) return std::nullopt;
      seen_empty = true;
      for (std::size_t k = 0; k < 8 - l + 1; ++k) canonical += "0000";
    } else {
      if (c.size() > 4) return std::nullopt;
      canonical.append(4 - c.size(), '0');
      canonical.append(c);
    }
  }
  if (l < 8 && !seen_empty) return std::nullopt;
  if (canonical.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    const int h = detail::hex_value(canonical[2 * i]);
    const int lo = detail::hex_value(canonical[2 * i + 1]);
    if (h < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(h * 16 + lo);
  }
  return out;
}

}  // namespace

std::string to_reverse(std::string_view addr) {
  std::vector<std::string> parts;
  bool v4 = true;
  if (const auto v6 = dns_inet_aton6(addr)) {
    bool mapped = true;
    for (int i = 0; i < 10; ++i) mapped = mapped && (*v6)[i] == 0;
    mapped = mapped && (*v6)[10] == 0xFF && (*v6)[11] == 0xFF;
    if (mapped) {
      for (int i = 12; i < 16; ++i) parts.push_back(std::to_string((*v6)[i]));
    } else {
      v4 = false;
      static const char* hex = "0123456789abcdef";
      for (unsigned char b : *v6) {
        parts.emplace_back(1, hex[b >> 4]);
        parts.emplace_back(1, hex[b & 15]);
      }
    }
  } else {
    const auto a = dns_inet_aton4(addr);
    if (!a) detail::raise_value_error("dns.exception.SyntaxError: not an IP address");
    for (unsigned char b : *a) parts.push_back(std::to_string(b));
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += *it;
    out.push_back('.');
  }
  out += v4 ? "in-addr.arpa." : "ip6.arpa.";
  return out;
}

}  // namespace ip
}  // namespace intelflow::harm
