// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Longest-prefix-match table for the ASN lookup expert (pyasn's IPASN data).
/// Prefixes are flattened once at load into disjoint address ranges, each
/// carrying its most specific prefix; a lookup is a direct index on the top
/// 16 address bits followed by a binary search inside that (small) bucket.
/// Immutable after construction: lookups are thread-safe and never allocate.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace intelflow::bots::asn {

__extension__ typedef unsigned __int128 u128;

/// One routed prefix: network address (host bits cleared), length, origin AS.
struct Prefix {
  u128 network = 0;  ///< IPv4 addresses in the low 32 bits
  std::uint8_t length = 0;
  bool v6 = false;
  std::uint32_t asn = 0;

  /// pyasn's prefix text: inet_ntop of the network, "/", length.
  std::string to_string() const;
};

/// The flattened table of one address family; K is the address integer type.
template <class K>
class FamilyTable {
 public:
  static constexpr int kBits = static_cast<int>(sizeof(K) * 8);

  /// Builds from prefixes of this family (same network and length twice: the
  /// later one wins, as in pyasn).
  void build(std::vector<Prefix> prefixes);
  /// Most specific prefix containing `addr`, or nullptr.
  const Prefix* lookup(K addr) const noexcept;
  /// The same answer by a plain binary search over all ranges (benchmark baseline).
  const Prefix* lookup_plain(K addr) const noexcept;
  std::size_t prefix_count() const noexcept { return prefixes_.size(); }
  std::size_t range_count() const noexcept { return starts_.size(); }

 private:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  const Prefix* owner_at(std::size_t range) const noexcept {
    return owner_[range] == kNone ? nullptr : &prefixes_[owner_[range]];
  }

  std::vector<Prefix> prefixes_;
  /// Range i covers [starts_[i], starts_[i+1]) and belongs to
  /// prefixes_[owner_[i]] (kNone: no prefix). starts_[0] == 0.
  std::vector<K> starts_;
  std::vector<std::uint32_t> owner_;
  /// bucket_[k]: index of the range holding the first address whose top 16
  /// bits are k (65537 entries; the last is the final range).
  std::vector<std::uint32_t> bucket_;
};

extern template class FamilyTable<std::uint32_t>;
extern template class FamilyTable<u128>;

/// IPv4 and IPv6 tables loaded from one pyasn IPASN text file.
class PrefixTable {
 public:
  /// Parses pyasn's text format: lines starting with ';' or '#' and empty
  /// lines are skipped; every other line is `address/length<TAB>asn` (IPv6
  /// when the address holds a ':'; host bits are cleared). Throws
  /// std::runtime_error "<path>:<line>: <reason>" on a malformed line and
  /// when the file cannot be read.
  static PrefixTable load_file(const std::string& path);
  /// The same from text (tests); `name` stands for the path in messages.
  static PrefixTable load_text(std::string_view text, std::string_view name);
  /// Builds directly from prefixes (tests and benchmarks).
  static PrefixTable from_prefixes(std::vector<Prefix> prefixes);

  /// Longest-prefix match of a textual address ("1.2.3.4", "2001:db8::1"),
  /// nullptr if nothing matches. Throws std::invalid_argument if the text is
  /// not an address (pyasn raises ValueError there).
  const Prefix* lookup(std::string_view address) const;

  const FamilyTable<std::uint32_t>& v4() const noexcept { return v4_; }
  const FamilyTable<u128>& v6() const noexcept { return v6_; }

 private:
  FamilyTable<std::uint32_t> v4_;
  FamilyTable<u128> v6_;
};

/// Parses an IPv4 ("a.b.c.d") or IPv6 address text; false if invalid.
bool parse_address(std::string_view text, u128& value, bool& v6);

}  // namespace intelflow::bots::asn
