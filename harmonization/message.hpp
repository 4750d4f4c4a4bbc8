// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's Report and Event (core.md §1): a flat, insertion-ordered map of
/// dotted keys to typed values, validated against a Harmonization. This is
/// the hot path of every bot: entries are a small vector keyed by interned
/// field id (harmonization fields) or by the key text (free `extra.*` items).
/// A Message is owned by one thread at a time; the Harmonization is shared.

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
  struct Entry {
    const FieldSpec* field;  ///< nullptr for a free sub-item of a JSONDict field
    std::string key;         ///< full key (always set)
    Value value;
  };

  Message(MessageKind kind, std::shared_ptr<const Harmonization> harm);
  /// A Report as a collector creates it: with time.observation = now.
  static Message new_report(std::shared_ptr<const Harmonization> harm);

  MessageKind kind() const noexcept { return kind_; }
  const Harmonization& harmonization() const noexcept { return *harm_; }
  const std::shared_ptr<const Harmonization>& harmonization_ptr() const noexcept { return harm_; }

  // --- core.md §1.2 ---------------------------------------------------------------
  AddResult add(std::string_view key, Value value, const AddOptions& opts = {});
  /// change(k, v, sanitize): KeyNotExists if absent, else add(overwrite=true).
  AddResult change(std::string_view key, Value value, bool sanitize = true);
  void update(const std::vector<std::pair<std::string, Value>>& items);
  bool is_valid(std::string_view key, const Value& value, bool sanitize = true) const;

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

  std::vector<std::string> keys() const;
  std::vector<std::pair<std::string, Value>> finditems(std::string_view prefix) const;
  const std::vector<Entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  void clear() noexcept { entries_.clear(); }

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
  /// default_kind if absent; neither → InvalidArgument). Throws
  /// HarmonizationError (InvalidKey / InvalidValue / InvalidArgument / DecodingError).
  static Message unserialize(std::string_view json, std::shared_ptr<const Harmonization> harm,
                             std::optional<MessageKind> default_kind = std::nullopt);
  /// Builds a message from (key, value) pairs as the factory does (__type inside or default).
  static Message from_dict(const std::vector<std::pair<std::string, Value>>& items,
                           std::shared_ptr<const Harmonization> harm,
                           std::optional<MessageKind> default_kind = std::nullopt);
  /// Event(report): feed.*, rtir_id, time.observation, then copy_collector_provided_fields.
  static Message event_from_report(const Message& report,
                                   const std::vector<std::string>& copy_collector_provided_fields = {});
  /// Report(event): keys valid for Report (unsanitized), time.observation = now if missing.
  static Message report_from_event(const Message& event);

  Message copy() const { return *this; }
  Message deep_copy() const;

  /// Same class, same key/value map (order-insensitive).
  friend bool operator==(const Message& a, const Message& b) noexcept;

 private:
  MessageKind kind_;
  std::shared_ptr<const Harmonization> harm_;
  std::vector<Entry> entries_;
};

}  // namespace intelflow::harm
