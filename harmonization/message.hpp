// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's Report and Event (core.md §1): a flat, insertion-ordered map of
/// dotted keys to typed values, validated against a Harmonization. This is
/// the hot path of every bot: entries are a small vector keyed by interned
/// field id (harmonization fields) or by the key text (free `extra.*` items).
/// A Message is owned by one thread at a time; the Harmonization is shared.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/harmonization.hpp"
#include "harmonization/value.hpp"

namespace intelflow::harm {

/// Python's three-way return of add(): True / False / None.
enum class AddResult : std::uint8_t { Added, Rejected, Ignored };

struct AddOptions {
  bool sanitize = true;
  std::optional<bool> overwrite;  ///< unset = raise KeyExists if present
  /// Values to ignore: a List (membership), or a String (Python `in` on a str:
  /// substring test); any other kind → InvalidArgument. nullptr = none.
  const Value* ignore = nullptr;
  bool raise_failure = true;
};

class Message {
 public:
  /// One stored item. `key` views either the FieldSpec's name (harmonization
  /// fields) or storage owned by the entry (free sub-items such as `extra.x`),
  /// so it stays valid while the entry lives, also across moves.
  struct Entry {
    const FieldSpec* field =
        nullptr;           ///< nullptr for a free sub-item of a JSONDict field (or "__type")
    std::string_view key;  ///< full key (always set)
    Value value;
    /// The value passed add()'s checks for this key as stored (so copy() need
    /// not check it again); false for items split out of a JSONDict value.
    bool verified = false;

    Entry() = default;
    Entry(const FieldSpec* f, Value&& v) : field(f), key(f->name), value(std::move(v)) {}
    Entry(std::string_view owned_key, Value&& v) : value(std::move(v)) { own(owned_key); }
    Entry(const Entry& o) : field(o.field), key(o.key), value(o.value), verified(o.verified) {
      if (o.owned_) own(o.key);
    }
    Entry(Entry&&) noexcept = default;
    Entry& operator=(const Entry& o) {
      if (this != &o) {
        Entry tmp(o);
        *this = std::move(tmp);
      }
      return *this;
    }
    Entry& operator=(Entry&&) noexcept = default;
    ~Entry() = default;

   private:
    void own(std::string_view k) {
      owned_ = std::make_unique<char[]>(k.size() ? k.size() : 1);
      if (!k.empty()) std::copy(k.begin(), k.end(), owned_.get());
      key = std::string_view(owned_.get(), k.size());
    }
    std::unique_ptr<char[]> owned_;
  };

  Message(MessageKind kind, std::shared_ptr<const Harmonization> harm);
  /// A Report as a collector creates it: with time.observation = now.
  static Message new_report(std::shared_ptr<const Harmonization> harm);

  MessageKind kind() const noexcept { return kind_; }
  const Harmonization& harmonization() const noexcept { return *harm_; }
  const std::shared_ptr<const Harmonization>& harmonization_ptr() const noexcept { return harm_; }

  // --- core.md §1.2 ---------------------------------------------------------------
  AddResult add(std::string_view key, Value value, const AddOptions& opts = {});
  /// add() of a harmonization field looked up once by the caller
  /// (harmonization().find(kind(), name)): the same behaviour as
  /// add(field.name, ...) without the lookup by name. A FieldSpec of another
  /// harmonization or kind is looked up by its name.
  AddResult add(const FieldSpec& field, Value value, const AddOptions& opts = {});
  /// change(k, v, sanitize): KeyNotExists if absent, else add(overwrite=true).
  AddResult change(std::string_view key, Value value, bool sanitize = true);
  void update(const std::vector<std::pair<std::string, Value>>& items);
  bool is_valid(std::string_view key, const Value& value, bool sanitize = true) const;
  /// Adds one item the way the constructor / deserializer does: add(k, v,
  /// sanitize=false, raise_failure=false) and, if that did not add, add(k, v).
  AddResult load(std::string_view key, Value value);

  bool contains(std::string_view key) const noexcept;
  /// Stored value or nullptr. "extra" is not a stored key: use get_value().
  const Value* find(std::string_view key) const noexcept;
  /// m[k]: the stored value; for the JSONDict field ("extra") a JSON string of
  /// its sub-items. Throws HarmonizationError(KeyError) if absent.
  Value getitem(std::string_view key) const;
  /// get(k, default).
  Value get(std::string_view key, const Value& dflt = Value()) const;
  /// del m[k]; throws KeyError if absent. "extra" removes all extra.*.
  void remove(std::string_view key);
  /// Removes the key if present; returns whether it was.
  bool erase(std::string_view key) noexcept;
  /// Python set_default_value(v): m[k] of an absent (valid) key returns v
  /// instead of raising KeyError. Not carried over by copies.
  void set_default_value(Value v) { default_value_ = std::move(v); }

  std::vector<std::string> keys() const;
  std::vector<std::pair<std::string, Value>> finditems(std::string_view prefix) const;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  /// The entries in key order (byte order of the keys, which is Python's
  /// sorted() of the str keys), as to_json and hash write them. Harmonization
  /// fields compare by their precomputed rank, without comparing text.
  void sorted_entries(std::vector<const Entry*>& out) const;
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept {
    entries_.clear();
    present_[0] = present_[1] = 0;
  }

  // --- §1.4 / §1.5 --------------------------------------------------------------
  /// Wire form: insertion order, "__type" last, ", "/": ", ASCII escapes.
  std::string serialize() const;
  void serialize_to(std::string& out) const;
  Value to_dict(bool hierarchical = false, bool with_type = false,
                bool jsondict_as_string = false) const;
  /// Sorted keys, UTF-8 kept.
  std::string to_json(bool hierarchical = false, bool with_type = false) const;
  void to_json_to(std::string& out, bool hierarchical = false, bool with_type = false) const;
  /// SHA-256 hex. filter_type "blacklist" | "whitelist", else InvalidArgument.
  std::string hash(const std::vector<std::string>& filter_keys = {},
                   std::string_view filter_type = "blacklist") const;

  // --- §1.3 ---------------------------------------------------------------------
  /// The message factory: JSON text → Event or Report per "__type" (or
  /// default_kind if absent; neither → KeyError). Throws
  /// HarmonizationError (InvalidKey / InvalidValue / InvalidArgument / DecodingError).
  static Message unserialize(std::string_view json, std::shared_ptr<const Harmonization> harm,
                             std::optional<MessageKind> default_kind = std::nullopt);
  /// Builds a message from (key, value) pairs as the factory does (__type inside or default).
  static Message from_dict(const std::vector<std::pair<std::string, Value>>& items,
                           std::shared_ptr<const Harmonization> harm,
                           std::optional<MessageKind> default_kind = std::nullopt);
  /// The class constructor: Event(items) / Report(items, auto). Each item goes
  /// through load(); a Report with auto_=false then gets time.observation = now
  /// if it has none.
  static Message from_pairs(MessageKind kind,
                            const std::vector<std::pair<std::string, Value>>& items,
                            std::shared_ptr<const Harmonization> harm, bool auto_ = true);
  /// Event(report): feed.*, rtir_id, time.observation, then copy_collector_provided_fields.
  static Message event_from_report(
      const Message& report, const std::vector<std::string>& copy_collector_provided_fields = {});
  /// Report(event): keys valid for Report (unsanitized), time.observation = now if missing.
  static Message report_from_event(const Message& event);
  /// Report(event, auto): as above; auto_=true does not add time.observation.
  static Message report_from_event(const Message& event, bool auto_);

  /// Python copy(): a new message of the same class built from the items
  /// (as the constructor does); a Report copy never gains time.observation.
  Message copy() const;
  /// A plain copy of the entries as they are (no re-checks; the default
  /// value is not carried over) with room for a typical event: the cheap way
  /// to start many events from one template, e.g. event_from_report() once
  /// per report and clone() per line.
  Message clone() const;
  /// copy() followed by change(key, value): the same result, but the old value
  /// of `key` is not copied (a parser's dump of one line replaces the 1 MiB raw
  /// of its report).
  Message copy_and_change(std::string_view key, Value value) const;
  Message deep_copy() const;

  /// Same class, same key/value map (order-insensitive).
  friend bool operator==(const Message& a, const Message& b) noexcept;

 private:
  enum class KeyClass : std::uint8_t { Field, Subitem, TypeKey, Unknown };
  struct KeyInfo {
    KeyClass cls;
    const FieldSpec* field;  ///< the field, or the parent field of a sub-item
  };
  KeyInfo classify(std::string_view key, const FieldSpec* f) const noexcept;
  bool valid_key(std::string_view key, const KeyInfo& ki) const;
  [[noreturn]] void throw_invalid_key(std::string_view key, const KeyInfo& ki) const;
  bool has_key(std::string_view key, const KeyInfo& ki) const noexcept;
  std::ptrdiff_t index_of(std::string_view key, const KeyInfo& ki) const noexcept;
  AddResult add_impl(std::string_view key, const FieldSpec* f, Value& value,
                     const AddOptions& opts);
  AddResult load_impl(std::string_view key, const FieldSpec* f, Value& value);
  /// unserialize() of the common case in one pass: an Event whose items are
  /// all valid as they are, unique and not ignored. Returns false (m is then
  /// to be discarded) on anything else; the general path decides those.
  static bool unserialize_event_fast(std::string_view json, Message& m, bool default_event);
  void store(std::string_view key, const KeyInfo& ki, Value&& value, bool overwrite,
             bool verified = true);
  /// Room for a typical event at the first insertion (no regrowth while an
  /// event of up to this many fields is built).
  void reserve_first() {
    if (entries_.capacity() == 0) entries_.reserve(kInitialCapacity);
  }
  static constexpr std::size_t kInitialCapacity = 24;
  const FieldSpec* own_field(const FieldSpec& f) const noexcept;
  void explode_jsondict(const FieldSpec& f, const Value& json_text);
  void remove_jsondict_items(std::string_view field_name) noexcept;
  Value hierarchical_dict(bool with_type, bool jsondict_as_string) const;
  void mark(const FieldSpec* f, bool on) noexcept {
    if (f && f->id < 128) {
      const std::uint64_t bit = std::uint64_t{1} << (f->id & 63);
      if (on)
        present_[f->id >> 6] |= bit;
      else
        present_[f->id >> 6] &= ~bit;
    }
  }
  bool maybe_present(const FieldSpec* f) const noexcept {
    return f->id >= 128 || (present_[f->id >> 6] >> (f->id & 63)) & 1;
  }
  void erase_at(std::size_t i) noexcept {
    mark(entries_[i].field, false);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  MessageKind kind_;
  std::shared_ptr<const Harmonization> harm_;
  /// Mutable only because to_dict(hierarchical=true) reproduces a reference
  /// quirk: it merges sub-keys into stored nested dict values.
  mutable std::vector<Entry> entries_;
  /// Bit i set if the field with id i < 128 has an entry (fast absent check).
  std::uint64_t present_[2] = {0, 0};
  std::optional<Value> default_value_;
};

}  // namespace intelflow::harm
