// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/digest_table.hpp"

#include <sys/mman.h>

#include <array>
#include <cstring>
#include <new>

namespace intelflow::bots {

namespace {

constexpr std::size_t kMinCapacity = 1024;
constexpr std::string_view kMarkerPrefix = "intelflow:";
constexpr std::size_t kMarkerLen = 10 + 16;

/// splitmix64's finaliser: a bijective 64-bit mix.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

/// Hex digit values; 0x10 for anything else (lowercase only: Redis keys are
/// case-sensitive, so "AB.." and "ab.." are different keys).
constexpr auto kHex = [] {
  std::array<std::uint8_t, 256> t{};
  for (auto& x : t) x = 0x10;
  for (int c = '0'; c <= '9'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c - 'a' + 10);
  return t;
}();

/// Parses 16 hex digits without a branch per digit.
bool parse_hex64(const char* p, std::uint64_t& out) noexcept {
  std::uint64_t v = 0;
  unsigned bad = 0;
  for (int i = 0; i < 16; ++i) {
    unsigned h = kHex[static_cast<unsigned char>(p[i])];
    bad |= h;
    v = (v << 4) | (h & 0xf);
  }
  out = v;
  return (bad & 0x10) == 0;
}

void format_hex64(std::uint64_t v, char* p) noexcept {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    p[i] = kDigits[v & 0xf];
    v >>= 4;
  }
}

}  // namespace

std::string replay_marker(std::uint64_t seq, std::uint64_t id) {
  std::string s;
  replay_marker(seq, id, s);
  return s;
}

void replay_marker(std::uint64_t seq, std::uint64_t id, std::string& out) {
  std::uint64_t fp = mix64(mix64(seq ^ 0x9e3779b97f4a7c15ULL) ^ id);
  out.resize(kMarkerLen);
  std::memcpy(out.data(), kMarkerPrefix.data(), kMarkerPrefix.size());
  format_hex64(fp, out.data() + kMarkerPrefix.size());
}

bool DigestTable::digest_of(std::string_view key, KeyDigest& out) noexcept {
  if (key.size() != 64) return false;
  std::uint64_t w[4];
  for (int i = 0; i < 4; ++i)
    if (!parse_hex64(key.data() + 16 * i, w[i])) return false;
  // Fold 256 bits into 120: every input bit reaches the digest, so keys that
  // differ only in their tail (hand-written test keys) still differ.
  out.a = w[0] ^ mix64(w[2] ^ 0x243f6a8885a308d3ULL);
  out.b = (w[1] ^ mix64(w[3] ^ 0x13198a2e03707344ULL)) & ~std::uint64_t{0xff};
  return true;
}

bool DigestTable::encode_value(std::string_view value, CompactValue& out) noexcept {
  if (value.size() <= 8) {
    out.tag = static_cast<std::uint8_t>(1 + value.size());
    out.payload = 0;
    if (!value.empty()) std::memcpy(&out.payload, value.data(), value.size());
    return true;
  }
  if (value.size() == kMarkerLen && value.starts_with(kMarkerPrefix) &&
      parse_hex64(value.data() + kMarkerPrefix.size(), out.payload)) {
    out.tag = kTagMarker;
    return true;
  }
  return false;
}

void DigestTable::decode_value(CompactValue v, std::string& out) {
  if (v.tag == kTagMarker) {
    out.resize(kMarkerLen);
    std::memcpy(out.data(), kMarkerPrefix.data(), kMarkerPrefix.size());
    format_hex64(v.payload, out.data() + kMarkerPrefix.size());
    return;
  }
  out.assign(reinterpret_cast<const char*>(&v.payload), static_cast<std::size_t>(v.tag - 1));
}

void DigestTable::Unmap::operator()(Slot* p) const noexcept {
  ::munmap(p, bytes);
}

DigestTable::Slots DigestTable::allocate(std::size_t capacity) {
  const std::size_t bytes = capacity * sizeof(Slot);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Random probes over tens of MiB: huge pages save most TLB misses.
  if (bytes >= (std::size_t{4} << 20)) ::madvise(p, bytes, MADV_HUGEPAGE);
  return Slots(static_cast<Slot*>(p), Unmap{bytes});
}

DigestTable::DigestTable() : slots_(allocate(kMinCapacity)), mask_(kMinCapacity - 1) {}

std::size_t DigestTable::home(KeyDigest d) const noexcept {
  return static_cast<std::size_t>(mix64(d.a ^ d.b)) & mask_;
}

const DigestTable::Slot* DigestTable::find(KeyDigest d) const noexcept {
  for (std::size_t i = home(d);; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.tag() == 0) return nullptr;
    if (s.a == d.a && (s.b_tag & ~std::uint64_t{0xff}) == d.b) return &s;
  }
}

void DigestTable::insert_new(const Slot& s) noexcept {
  std::size_t i = home(s.digest());
  while (slots_[i].tag() != 0) i = (i + 1) & mask_;
  slots_[i] = s;
  ++size_;
}

void DigestTable::put(KeyDigest d, CompactValue v, std::int64_t expires_ms, std::int64_t now_ms) {
  const Slot s{d.a, d.b | v.tag, expires_ms, v.payload};
  std::size_t i = home(d);
  for (;; i = (i + 1) & mask_) {
    Slot& cur = slots_[i];
    if (cur.tag() == 0) break;
    if (cur.a == d.a && (cur.b_tag & ~std::uint64_t{0xff}) == d.b) {
      cur = s;
      return;
    }
  }
  if ((size_ + 1) * 8 > capacity() * 7) {
    // Full: rehash without the expired entries, doubling only if what is
    // left would still fill more than half of the table.
    std::size_t live = 0;
    for_each([&](const Slot& x) { live += x.live(now_ms) ? 1 : 0; });
    std::size_t cap = capacity();
    while ((live + 1) * 2 > cap) cap *= 2;
    rehash(cap, now_ms, true);
    insert_new(s);
    return;
  }
  slots_[i] = s;
  ++size_;
}

bool DigestTable::erase(KeyDigest d) noexcept {
  std::size_t i = home(d);
  for (;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.tag() == 0) return false;
    if (s.a == d.a && (s.b_tag & ~std::uint64_t{0xff}) == d.b) break;
  }
  // Backward-shift deletion: move later members of the probe run into the
  // hole when their home position allows it.
  std::size_t hole = i;
  for (std::size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
    Slot& s = slots_[j];
    if (s.tag() == 0) break;
    std::size_t h = home(s.digest());
    // s may move to `hole` iff its home is not in (hole, j] cyclically.
    bool in_between = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j);
    if (!in_between) {
      slots_[hole] = s;
      hole = j;
    }
  }
  slots_[hole] = Slot{0, 0, 0, 0};
  --size_;
  return true;
}

void DigestTable::rehash(std::size_t capacity, std::int64_t now_ms, bool drop_expired) {
  Slots old = std::move(slots_);
  std::size_t old_cap = mask_ + 1;
  slots_ = allocate(capacity);
  mask_ = capacity - 1;
  size_ = 0;
  for (std::size_t i = 0; i < old_cap; ++i) {
    const Slot& s = old[i];
    if (s.tag() != 0 && (!drop_expired || s.live(now_ms))) insert_new(s);
  }
}

void DigestTable::sweep(std::int64_t now_ms) {
  std::size_t live = 0;
  for_each([&](const Slot& x) { live += x.live(now_ms) ? 1 : 0; });
  std::size_t cap = kMinCapacity;
  while (live * 2 > cap) cap *= 2;
  if (cap > capacity()) cap = capacity();
  rehash(cap, now_ms, true);
}

void DigestTable::clear() {
  slots_ = allocate(kMinCapacity);
  mask_ = kMinCapacity - 1;
  size_ = 0;
}

}  // namespace intelflow::bots
