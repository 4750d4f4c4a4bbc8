// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/experts/asn_lookup/prefix_table.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace intelflow::bots::asn {

namespace {

template <class K>
K host_mask(int length) {
  constexpr int bits = static_cast<int>(sizeof(K) * 8);
  if (length <= 0) return ~K(0);
  if (length >= bits) return K(0);
  return (K(1) << (bits - length)) - 1;
}

}  // namespace

bool parse_address(std::string_view text, u128& value, bool& v6) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  unsigned char bytes[16];
  v6 = text.find(':') != std::string_view::npos;
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bytes) != 1) return false;
  const int n = v6 ? 16 : 4;
  value = 0;
  for (int i = 0; i < n; ++i) value = (value << 8) | bytes[i];
  return true;
}

std::string Prefix::to_string() const {
  unsigned char bytes[16];
  const int n = v6 ? 16 : 4;
  u128 x = network;
  for (int i = n - 1; i >= 0; --i) {
    bytes[i] = static_cast<unsigned char>(x & 0xff);
    x >>= 8;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, buf, sizeof(buf));
  std::string out(buf);
  out += '/';
  out += std::to_string(length);
  return out;
}

template <class K>
void FamilyTable<K>::build(std::vector<Prefix> prefixes) {
  // Order by (network, length); for duplicates keep the later entry.
  std::stable_sort(prefixes.begin(), prefixes.end(), [](const Prefix& a, const Prefix& b) {
    if (a.network != b.network) return a.network < b.network;
    return a.length < b.length;
  });
  prefixes_.clear();
  prefixes_.reserve(prefixes.size());
  for (auto& p : prefixes) {
    if (!prefixes_.empty() && prefixes_.back().network == p.network &&
        prefixes_.back().length == p.length)
      prefixes_.back() = p;
    else
      prefixes_.push_back(p);
  }

  // Sweep: nested prefixes form a stack; every start and every end of a
  // prefix opens a new range owned by the innermost prefix covering it.
  struct Seg {
    K start;
    std::uint32_t owner;
  };
  std::vector<Seg> segs;
  segs.reserve(prefixes_.size() * 2 + 1);
  struct Open {
    K last;
    std::uint32_t idx;
  };
  std::vector<Open> stack;
  auto close_until = [&](bool all, K before) {
    while (!stack.empty() && (all || stack.back().last < before)) {
      const K last = stack.back().last;
      stack.pop_back();
      if (last != ~K(0)) segs.push_back({K(last + 1), stack.empty() ? kNone : stack.back().idx});
    }
  };
  for (std::uint32_t i = 0; i < prefixes_.size(); ++i) {
    const K start = static_cast<K>(prefixes_[i].network);
    close_until(false, start);
    segs.push_back({start, i});
    stack.push_back({K(start | host_mask<K>(prefixes_[i].length)), i});
  }
  close_until(true, K(0));

  starts_.clear();
  owner_.clear();
  starts_.push_back(K(0));
  owner_.push_back(kNone);
  for (const Seg& s : segs) {
    if (s.start == starts_.back()) {
      owner_.back() = s.owner;  // a later segment at the same address wins
      if (starts_.size() > 1 && owner_[owner_.size() - 2] == s.owner) {
        starts_.pop_back();
        owner_.pop_back();
      }
    } else if (s.owner != owner_.back()) {
      starts_.push_back(s.start);
      owner_.push_back(s.owner);
    }
  }

  bucket_.assign(65537, 0);
  constexpr int shift = kBits - 16;
  std::size_t j = 0;
  for (std::uint32_t k = 0; k < 65536; ++k) {
    const K first = K(K(k) << shift);
    while (j + 1 < starts_.size() && starts_[j + 1] <= first) ++j;
    bucket_[k] = static_cast<std::uint32_t>(j);
  }
  bucket_[65536] = static_cast<std::uint32_t>(starts_.size() - 1);
}

template <class K>
const Prefix* FamilyTable<K>::lookup(K addr) const noexcept {
  if (starts_.empty()) return nullptr;
  const std::size_t k = static_cast<std::size_t>(addr >> (kBits - 16));
  std::size_t lo = bucket_[k];
  std::size_t hi = bucket_[k + 1];  // the answer is in [lo, hi]
  // Largest i in [lo, hi] with starts_[i] <= addr.
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo + 1) / 2;
    if (starts_[mid] <= addr)
      lo = mid;
    else
      hi = mid - 1;
  }
  return owner_at(lo);
}

template <class K>
const Prefix* FamilyTable<K>::lookup_plain(K addr) const noexcept {
  if (starts_.empty()) return nullptr;
  auto it = std::upper_bound(starts_.begin(), starts_.end(), addr);
  return owner_at(static_cast<std::size_t>(it - starts_.begin()) - 1);
}

template class FamilyTable<std::uint32_t>;
template class FamilyTable<u128>;

PrefixTable PrefixTable::from_prefixes(std::vector<Prefix> prefixes) {
  std::vector<Prefix> v4, v6;
  for (auto& p : prefixes) (p.v6 ? v6 : v4).push_back(p);
  PrefixTable t;
  t.v4_.build(std::move(v4));
  t.v6_.build(std::move(v6));
  return t;
}

PrefixTable PrefixTable::load_text(std::string_view text, std::string_view name) {
  std::vector<Prefix> prefixes;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(std::string(name) + ":" + std::to_string(line_no) + ": " + why);
  };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == ';' || line[0] == '#') continue;
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const auto tab = line.find('\t');
    const auto slash = line.find('/');
    if (tab == std::string_view::npos || slash == std::string_view::npos || slash > tab)
      fail("expected 'address/length<TAB>asn', got '" + std::string(line) + "'");
    std::string_view addr_text = line.substr(0, slash);
    std::string_view len_text = line.substr(slash + 1, tab - slash - 1);
    std::string_view asn_text = line.substr(tab + 1);
    // atol/atoi semantics: leading blanks, then digits; anything after is ignored.
    auto leading_number = [](std::string_view s, std::uint64_t& out) {
      std::size_t i = 0;
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
      bool any = false;
      out = 0;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        any = true;
        if (out < (std::uint64_t{1} << 40)) out = out * 10 + static_cast<unsigned>(s[i] - '0');
      }
      return any;
    };
    std::uint64_t asn = 0, len = 0;
    if (!leading_number(asn_text, asn) || asn == 0 || asn > 0xffffffffu)
      fail("invalid AS number '" + std::string(asn_text) + "'");
    u128 network = 0;
    bool v6 = false;
    if (!parse_address(addr_text, network, v6))
      fail("invalid address '" + std::string(addr_text) + "'");
    const unsigned max_len = v6 ? 128 : 32;
    if (!leading_number(len_text, len) || len == 0 || len > max_len)
      fail("invalid prefix length '" + std::string(len_text) + "'");
    Prefix p;
    p.v6 = v6;
    p.length = static_cast<std::uint8_t>(len);
    p.asn = static_cast<std::uint32_t>(asn);
    p.network =
        v6 ? (network & ~host_mask<u128>(p.length))
           : u128(static_cast<std::uint32_t>(network) & ~host_mask<std::uint32_t>(p.length));
    prefixes.push_back(p);
  }
  return from_prefixes(std::move(prefixes));
}

PrefixTable PrefixTable::load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return load_text(ss.str(), path);
}

const Prefix* PrefixTable::lookup(std::string_view address) const {
  u128 value = 0;
  bool v6 = false;
  if (!parse_address(address, value, v6))
    throw std::invalid_argument("'" + std::string(address) + "' is not an IP address");
  return v6 ? v6_.lookup(value) : v4_.lookup(static_cast<std::uint32_t>(value));
}

}  // namespace intelflow::bots::asn
