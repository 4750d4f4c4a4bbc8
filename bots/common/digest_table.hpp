// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The compact part of the embedded cache: entries whose key is a SHA-256 hex
/// digest (64 lowercase hex digits, as the deduplicator and threshold bots
/// use) and whose value fits in 8 bytes or is a replay marker are kept in one
/// flat open-addressing table of 32-byte slots (a 120-bit fold of the key,
/// the expiry in ms, the value inline) — no heap allocation per entry.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace intelflow::bots {

/// 120-bit fingerprint of a 64-hex key: `b`'s low byte is always zero.
struct KeyDigest {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  friend bool operator==(const KeyDigest&, const KeyDigest&) = default;
};

/// A value as the compact table stores it: `tag` 1..9 = raw bytes of length
/// tag-1 in `payload`; tag kTagMarker = a replay marker ("intelflow:" + 16
/// lowercase hex digits) whose number is `payload`.
struct CompactValue {
  std::uint8_t tag = 0;
  std::uint64_t payload = 0;
};

/// The value the deduplicator stores for a durable event: "intelflow:" and 16
/// lowercase hex digits of a 64-bit fingerprint of (seq, id). Kept compact by
/// the embedded cache.
std::string replay_marker(std::uint64_t seq, std::uint64_t id);
/// Writes replay_marker(seq, id) into `out` (reusing its capacity).
void replay_marker(std::uint64_t seq, std::uint64_t id, std::string& out);

/// Flat linear-probing hash table (power-of-two capacity, at most 7/8 full,
/// backward-shift deletion: no tombstones). Expired entries stay until the
/// next growth or sweep(). Not thread-safe (EmbeddedCache locks around it).
class DigestTable {
 public:
  static constexpr std::uint8_t kTagMarker = 10;

  struct Slot {
    std::uint64_t a;
    std::uint64_t b_tag;      ///< digest b | tag in the low byte (0 = empty slot)
    std::int64_t expires_ms;  ///< 0 = never
    std::uint64_t payload;
    std::uint8_t tag() const noexcept { return static_cast<std::uint8_t>(b_tag & 0xff); }
    KeyDigest digest() const noexcept { return {a, b_tag & ~std::uint64_t{0xff}}; }
    bool live(std::int64_t now_ms) const noexcept { return expires_ms == 0 || expires_ms > now_ms; }
  };
  static_assert(sizeof(Slot) == 32);

  /// The digest of `key` if it is exactly 64 lowercase hex digits.
  static bool digest_of(std::string_view key, KeyDigest& out) noexcept;
  /// The compact form of `value`, if it has one.
  static bool encode_value(std::string_view value, CompactValue& out) noexcept;
  /// The value string back from its compact form (exactly what was encoded).
  static void decode_value(CompactValue v, std::string& out);

  DigestTable();
  DigestTable(DigestTable&&) noexcept = default;
  DigestTable& operator=(DigestTable&&) noexcept = default;

  /// The slot holding `d` (live or expired), or nullptr.
  const Slot* find(KeyDigest d) const noexcept;
  /// Inserts or overwrites. May grow the table (dropping expired entries,
  /// judged by `now_ms`, while it rehashes).
  void put(KeyDigest d, CompactValue v, std::int64_t expires_ms, std::int64_t now_ms);
  /// Removes `d`; false if it was not there.
  bool erase(KeyDigest d) noexcept;
  /// Hints the CPU to load the slot where a lookup of `d` starts.
  void prefetch(KeyDigest d) const noexcept { __builtin_prefetch(&slots_[home(d)]); }
  /// Drops expired entries (rebuilds the table at a size fitting what is left).
  void sweep(std::int64_t now_ms);
  void clear();

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return mask_ + 1; }
  std::size_t memory_bytes() const noexcept { return capacity() * sizeof(Slot); }

  /// Calls fn(const Slot&) for every occupied slot (expired ones included).
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i <= mask_; ++i)
      if (slots_[i].tag() != 0) fn(slots_[i]);
  }

 private:
  /// The slot array: anonymous memory straight from mmap (zero = empty
  /// slots, pages resident only once touched, returned to the system at once
  /// when the table grows or is destroyed — an allocator would keep freed
  /// big blocks resident for a while).
  struct Unmap {
    std::size_t bytes = 0;
    void operator()(Slot* p) const noexcept;
  };
  using Slots = std::unique_ptr<Slot[], Unmap>;

  static Slots allocate(std::size_t capacity);
  std::size_t home(KeyDigest d) const noexcept;
  void rehash(std::size_t capacity, std::int64_t now_ms, bool drop_expired);
  /// Inserts a digest known to be absent, with room to spare.
  void insert_new(const Slot& s) noexcept;

  Slots slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace intelflow::bots
