// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/harmonization.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "harmonization/pyfmt.hpp"

namespace intelflow::harm {

std::string_view kind_name(MessageKind k) noexcept {
  return k == MessageKind::Event ? "Event" : "Report";
}

// --- Regex --------------------------------------------------------------------------

namespace {

/// Python `re` syntax that PCRE2 spells differently: `\Z` (end of string) is `\z`.
std::string translate_python_regex(std::string_view p) {
  std::string out;
  out.reserve(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      if (p[i + 1] == 'Z') {
        out += "\\z";
      } else {
        out += p[i];
        out += p[i + 1];
      }
      ++i;
    } else {
      out += p[i];
    }
  }
  return out;
}

struct MatchData {
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  ~MatchData() { pcre2_match_data_free(md); }
};

}  // namespace

namespace {
std::atomic<std::uint64_t> g_next_regex_id{1};
}  // namespace

Regex::Regex(std::string_view pattern, bool caseless)
    : pattern_(pattern),
      caseless_(caseless),
      code_(nullptr),
      jit_(false),
      id_(g_next_regex_id.fetch_add(1, std::memory_order_relaxed)) {
  std::string translated = translate_python_regex(pattern);
  std::uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (caseless) opts |= PCRE2_CASELESS;
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()),
                                   translated.size(), opts, &err, &off, nullptr);
  if (!code) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    throw std::runtime_error("invalid regex '" + pattern_ + "' at offset " + std::to_string(off) +
                             ": " + reinterpret_cast<const char*>(buf));
  }
  jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  code_ = code;
}

Regex::~Regex() {
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}

namespace {

/// One remembered search result of this thread (short subjects only: the
/// values of constrained fields repeat a lot, and a match call costs far
/// more than this lookup).
struct RegexMemoSlot {
  std::uint64_t id = 0;  ///< Regex::id_ (0 = empty)
  std::uint32_t len = 0;
  bool result = false;
  char text[48];
};
constexpr std::size_t kRegexMemoSlots = 64;

inline std::size_t memo_index(std::uint64_t id, std::string_view s) noexcept {
  std::uint64_t h = (id + s.size()) * 0x9E3779B97F4A7C15ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001B3ULL;
  return static_cast<std::size_t>((h ^ (h >> 29)) & (kRegexMemoSlots - 1));
}

}  // namespace

bool Regex::search(std::string_view subject) const {
  if (subject.size() > sizeof(RegexMemoSlot::text)) return match(subject);
  thread_local RegexMemoSlot memo[kRegexMemoSlots];
  RegexMemoSlot& slot = memo[memo_index(id_, subject)];
  if (slot.id == id_ && slot.len == subject.size() &&
      std::memcmp(slot.text, subject.data(), subject.size()) == 0)
    return slot.result;
  const bool r = match(subject);
  slot.id = id_;
  slot.len = static_cast<std::uint32_t>(subject.size());
  slot.result = r;
  if (!subject.empty()) std::memcpy(slot.text, subject.data(), subject.size());
  return r;
}

bool Regex::match(std::string_view subject) const {
  thread_local MatchData tl;
  auto* code = static_cast<const pcre2_code*>(code_);
  int rc = jit_ ? pcre2_jit_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                                  subject.size(), 0, 0, tl.md, nullptr)
                : pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                              0, tl.md, nullptr);
  return rc >= 0;
}

// --- key syntax ---------------------------------------------------------------------

bool valid_key_syntax(std::string_view key) noexcept {
  // ^[a-z_][a-z_0-9]+(\.[a-z_0-9]+)*$
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || c == '_' || (c >= '0' && c <= '9'); };
  const std::size_t n = key.size();
  if (n < 2) return false;
  if (!((key[0] >= 'a' && key[0] <= 'z') || key[0] == '_')) return false;
  std::size_t i = 1;
  std::size_t seg = 0;
  while (i < n && word(key[i])) {
    ++i;
    ++seg;
  }
  if (seg == 0) return false;
  while (i < n) {
    if (key[i] != '.') return false;
    ++i;
    std::size_t len = 0;
    while (i < n && word(key[i])) {
      ++i;
      ++len;
    }
    if (len == 0) return false;
  }
  return true;
}

// --- Harmonization ------------------------------------------------------------------

namespace {

struct TypeNameEntry {
  std::string_view name;
  TypeId id;
};
constexpr TypeNameEntry kTypeNames[] = {
    {"Accuracy", TypeId::Accuracy},
    {"ASN", TypeId::ASN},
    {"Base64", TypeId::Base64},
    {"Boolean", TypeId::Boolean},
    {"ClassificationTaxonomy", TypeId::ClassificationTaxonomy},
    {"ClassificationType", TypeId::ClassificationType},
    {"DateTime", TypeId::DateTime},
    {"FQDN", TypeId::FQDN},
    {"Float", TypeId::Float},
    {"GenericType", TypeId::GenericType},
    {"Integer", TypeId::Integer},
    {"IPAddress", TypeId::IPAddress},
    {"IPNetwork", TypeId::IPNetwork},
    {"JSON", TypeId::JSON},
    {"JSONDict", TypeId::JSONDict},
    {"LowercaseString", TypeId::LowercaseString},
    {"Registry", TypeId::Registry},
    {"String", TypeId::String},
    {"TLP", TypeId::TLP},
    {"UppercaseString", TypeId::UppercaseString},
    {"URL", TypeId::URL},
};

std::optional<TypeId> lookup_type(std::string_view name) {
  for (const auto& e : kTypeNames)
    if (e.name == name) return e.id;
  return std::nullopt;
}

/// Cheap hash of a field name: its length and first and last 8 bytes (4 or
/// fewer for short names); the table index is taken from the well-mixed top bits.
inline std::uint64_t key_hash(std::string_view k) noexcept {
  const char* p = k.data();
  const std::size_t n = k.size();
  std::uint64_t a = 0, b = 0;
  if (n >= 8) {
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
  } else if (n >= 4) {
    std::uint32_t x, y;
    std::memcpy(&x, p, 4);
    std::memcpy(&y, p + n - 4, 4);
    a = x;
    b = y;
  } else if (n > 0) {
    a = static_cast<unsigned char>(p[0]) | (unsigned{static_cast<unsigned char>(p[n / 2])} << 8) |
        (unsigned{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  std::uint64_t h = (a ^ (n * 0x9E3779B97F4A7C15ULL)) * 0xFF51AFD7ED558CCDULL;
  h = (h ^ b ^ (h >> 29)) * 0xC4CEB9FE1A85EC53ULL;
  return h ^ (h >> 32);
}

/// Equality of n bytes, compared 8 at a time without a libc call (keys are short).
inline bool same_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8) {
    // overlapping 8-byte words: the first n & ~7 bytes, then the last 8
    for (std::size_t i = 0; i + 8 <= n; i += 8) {
      std::uint64_t x, y;
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      if (x != y) return false;
    }
    std::uint64_t x, y;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return x == y;
  }
  for (; n; ++a, ++b, --n)
    if (*a != *b) return false;
  return true;
}

/// Open-addressing table of one kind's fields; load factor <= 1/4. Each slot
/// keeps the name's hash, length and text pointer, so a lookup touches the
/// FieldSpec only on a hit.
struct FieldIndex {
  struct Slot {
    std::uint64_t hash = 0;
    const char* name = nullptr;
    std::size_t len = 0;
    const FieldSpec* field = nullptr;
  };
  std::vector<Slot> slots;
  std::uint64_t mask = 0;
  unsigned shift = 64;

  void build(const std::vector<FieldSpec>& fields) {
    std::size_t cap = 16;
    while (cap < fields.size() * 4) cap <<= 1;
    slots.assign(cap, Slot{});
    mask = cap - 1;
    shift = 64 - static_cast<unsigned>(__builtin_ctzll(cap));
    for (const auto& f : fields) {
      const std::uint64_t h = key_hash(f.name);
      std::uint64_t i = h >> shift;
      while (slots[i].field) i = (i + 1) & mask;
      slots[i] = Slot{h, f.name.data(), f.name.size(), &f};
    }
  }
  const FieldSpec* find(std::string_view k) const noexcept {
    if (slots.empty()) return nullptr;
    const std::uint64_t h = key_hash(k);
    std::uint64_t i = h >> shift;
    for (;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (!s.field) return nullptr;
      if (s.hash == h && s.len == k.size() && same_bytes(s.name, k.data(), k.size()))
        return s.field;
    }
  }
};

bool same_regex(const std::shared_ptr<const Regex>& a, const std::shared_ptr<const Regex>& b) {
  if (!a || !b) return !a && !b;
  return a->pattern() == b->pattern();
}

}  // namespace

struct Harmonization::Impl {
  std::vector<FieldSpec> ev, rep;
  FieldIndex ev_idx, rep_idx;

  const std::vector<FieldSpec>& fields(MessageKind k) const {
    return k == MessageKind::Event ? ev : rep;
  }
  const FieldIndex& index(MessageKind k) const {
    return k == MessageKind::Event ? ev_idx : rep_idx;
  }
};

Harmonization::Harmonization() : impl_(std::make_unique<Impl>()) {}
Harmonization::~Harmonization() = default;

namespace {

void load_kind(const Value& root, std::string_view kind, std::vector<FieldSpec>& out,
               std::string_view origin) {
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("harmonization " + std::string(origin) + ": " + what);
  };
  const Value* section = nullptr;
  for (const auto& [k, v] : root.as_dict())
    if (k == kind) section = &v;
  if (!section) fail("missing section '" + std::string(kind) + "'");
  if (!section->is_dict()) fail("section '" + std::string(kind) + "' is not an object");
  if (section->as_dict().size() > 65535) fail("too many fields");
  out.reserve(section->as_dict().size());
  for (const auto& [name, spec] : section->as_dict()) {
    // the reference's own (looser) check of harmonization keys at message construction
    static const Regex harm_key("^[a-z_](.[a-z_0-9]+)*$", false);
    if (!harm_key.search(name)) fail("Harmonization key '" + name + "' is invalid.");
    if (!spec.is_dict()) fail("field '" + name + "' is not an object");
    FieldSpec f;
    f.id = static_cast<std::uint16_t>(out.size());
    f.name = name;
    bool have_type = false;
    for (const auto& [attr, val] : spec.as_dict()) {
      if (attr == "type") {
        if (!val.is_string()) fail("field '" + name + "': type is not a string");
        auto t = lookup_type(val.as_string());
        if (!t) fail("field '" + name + "': unknown type '" + val.as_string() + "'");
        f.type = *t;
        have_type = true;
      } else if (attr == "description") {
        if (val.is_string()) f.description = val.as_string();
      } else if (attr == "length") {
        if (!val.is_int() || val.as_int() < 0)
          fail("field '" + name + "': length is not a non-negative integer");
        f.length = static_cast<std::size_t>(val.as_int());
      } else if (attr == "regex" || attr == "iregex") {
        if (!val.is_string()) fail("field '" + name + "': " + attr + " is not a string");
        try {
          auto re = std::make_shared<const Regex>(val.as_string(), attr == "iregex");
          (attr == "regex" ? f.regex : f.iregex) = std::move(re);
        } catch (const std::exception& e) {
          fail("field '" + name + "': " + e.what());
        }
      }
    }
    if (!have_type) fail("field '" + name + "' has no type");
    out.push_back(std::move(f));
  }
}

}  // namespace

std::shared_ptr<const Harmonization> Harmonization::from_json(std::string_view text,
                                                              std::string_view origin) {
  Value root;
  if (!py::json_loads(text, root) || !root.is_dict())
    throw std::runtime_error("harmonization " + std::string(origin) + ": not a JSON object");
  auto h = std::make_shared<Harmonization>();
  load_kind(root, "event", h->impl_->ev, origin);
  load_kind(root, "report", h->impl_->rep, origin);
  for (auto* fields : {&h->impl_->ev, &h->impl_->rep}) {
    std::vector<FieldSpec*> order;
    for (auto& f : *fields) order.push_back(&f);
    std::sort(order.begin(), order.end(),
              [](const FieldSpec* a, const FieldSpec* b) { return a->name < b->name; });
    for (std::size_t i = 0; i < order.size(); ++i) order[i]->rank = static_cast<std::uint16_t>(i);
  }
  h->impl_->ev_idx.build(h->impl_->ev);
  h->impl_->rep_idx.build(h->impl_->rep);
  return h;
}

std::shared_ptr<const Harmonization> Harmonization::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("harmonization: cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return from_json(ss.str(), path);
}

std::shared_ptr<const Harmonization> Harmonization::default_instance() {
  static std::once_flag once;
  static std::shared_ptr<const Harmonization> inst;
  std::call_once(once, [] {
    const char* env = std::getenv("INTELFLOW_HARMONIZATION");
    std::string path =
        (env && *env) ? std::string(env) : std::string(INTELFLOW_DEFAULT_HARMONIZATION);
    inst = from_file(path);
  });
  return inst;
}

const FieldSpec* Harmonization::find(MessageKind kind, std::string_view key) const noexcept {
  return impl_->index(kind).find(key);
}

const std::vector<FieldSpec>& Harmonization::fields(MessageKind k) const noexcept {
  return impl_->fields(k);
}

bool Harmonization::is_jsondict_field(MessageKind kind,
                                      std::string_view first_segment) const noexcept {
  const FieldSpec* f = find(kind, first_segment);
  return f && f->type == TypeId::JSONDict;
}

const FieldSpec* Harmonization::parent_field(MessageKind kind,
                                             std::string_view key) const noexcept {
  auto dot = key.find('.');
  if (dot == std::string_view::npos) return nullptr;
  return find(kind, key.substr(0, dot));
}

Check Harmonization::check_constraints(const FieldSpec& f, const Value& v) const {
  if (!f.length && !f.regex && !f.iregex) return Check::Ok;
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (f.length && py::utf8_length(s) > *f.length) return Check::TooLong;
    if (f.regex && !f.regex->search(s)) return Check::RegexMismatch;
    if (f.iregex && !f.iregex->search(s)) return Check::IRegexMismatch;
    return Check::Ok;
  }
  if (f.length && py::str_len(v) > *f.length) return Check::TooLong;
  if (f.regex || f.iregex) {
    std::string s = py::str(v);
    if (f.regex && !f.regex->search(s)) return Check::RegexMismatch;
    if (f.iregex && !f.iregex->search(s)) return Check::IRegexMismatch;
  }
  return Check::Ok;
}

Check Harmonization::check(const FieldSpec& f, const Value& v) const {
  bool ok = v.is_string() ? is_valid_string(f.type, v.as_string()) : is_valid(f.type, v, false);
  if (!ok) return Check::TypeInvalid;
  return check_constraints(f, v);
}

bool Harmonization::same_fields(MessageKind kind, const Harmonization& other) const noexcept {
  if (this == &other) return true;
  const auto& a = fields(kind);
  const auto& b = other.fields(kind);
  if (a.size() != b.size()) return false;
  for (const auto& fa : a) {
    const FieldSpec* fb = other.find(kind, fa.name);
    if (!fb || fb->type != fa.type || fb->length != fa.length ||
        fb->description != fa.description || !same_regex(fa.regex, fb->regex) ||
        !same_regex(fa.iregex, fb->iregex))
      return false;
  }
  return true;
}

}  // namespace intelflow::harm
