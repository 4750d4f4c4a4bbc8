// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The field table loaded from an IntelMQ harmonization.conf (JSON): for
/// Events and Reports, each allowed key with its type and constraints
/// (length, regex, iregex; regexes compiled once with PCRE2, Python `re.search`
/// semantics). Immutable after load; shared read-only by all threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/types.hpp"
#include "harmonization/value.hpp"

namespace intelflow::harm {

enum class MessageKind : std::uint8_t { Event, Report };
std::string_view kind_name(MessageKind k) noexcept;  // "Event" / "Report"

/// A compiled regex of harmonization.conf (PCRE2 + JIT, UTF and Unicode
/// properties on, like Python's `re` on str). Immutable, thread-safe.
class Regex {
 public:
  Regex(std::string_view pattern, bool caseless);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  /// Python re.search(pattern, subject[, re.IGNORECASE]) is not None.
  bool search(std::string_view subject) const;
  const std::string& pattern() const noexcept { return pattern_; }
  bool caseless() const noexcept { return caseless_; }

 private:
  bool match(std::string_view subject) const;

  std::string pattern_;
  bool caseless_;
  void* code_;  // pcre2_code_8*
  bool jit_;
  std::uint64_t id_;  ///< unique per instance, never reused: key of the per-thread result memo
};

/// One harmonization field.
struct FieldSpec {
  std::uint16_t id = 0;  ///< index into Harmonization::fields(kind)
  /// Position of `name` among the names of the kind's fields in byte order:
  /// comparing ranks of two fields compares their names.
  std::uint16_t rank = 0;
  std::string name;
  TypeId type = TypeId::String;
  std::optional<std::size_t> length;  ///< max len(str(value))
  std::shared_ptr<const Regex> regex;
  std::shared_ptr<const Regex> iregex;
  std::string description;
};

/// Result of the constraint checks of add() step 7.
enum class Check : std::uint8_t { Ok, TypeInvalid, TooLong, RegexMismatch, IRegexMismatch };

class Harmonization {
 public:
  /// Parses harmonization.conf text. Throws std::runtime_error with a clear
  /// reason (unknown type, bad regex, not JSON, ...).
  static std::shared_ptr<const Harmonization> from_json(std::string_view text,
                                                        std::string_view origin = "<string>");
  static std::shared_ptr<const Harmonization> from_file(const std::string& path);
  /// The default shipped with intelflow (harmonization/harmonization.conf),
  /// or $INTELFLOW_HARMONIZATION if set. Loaded once.
  static std::shared_ptr<const Harmonization> default_instance();

  const FieldSpec* find(MessageKind kind, std::string_view key) const noexcept;
  const std::vector<FieldSpec>& fields(MessageKind kind) const noexcept;
  /// Name of the JSONDict field whose sub-items are free (normally "extra"), if any.
  bool is_jsondict_field(MessageKind kind, std::string_view first_segment) const noexcept;

  /// Step 7 of add(): type.is_valid, then length, regex, iregex.
  Check check(const FieldSpec& f, const Value& v) const;
  /// Step 7 without the type check: length (len(str(v)) in code points), then
  /// regex and iregex (Python re.search on str(v)). Used for JSONDict sub-items.
  Check check_constraints(const FieldSpec& f, const Value& v) const;

  /// The JSONDict field a sub-item key `<field>.<rest>` belongs to: the field
  /// named by the first dot-segment, if any (of any type; callers check it).
  const FieldSpec* parent_field(MessageKind kind, std::string_view key) const noexcept;
  /// True if both configurations of `kind` have the same fields with the same
  /// type, description and constraints (Python compares the config dicts).
  bool same_fields(MessageKind kind, const Harmonization& other) const noexcept;

  ~Harmonization();
  Harmonization();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Key syntax ^[a-z_][a-z_0-9]+(\.[a-z_0-9]+)*$.
bool valid_key_syntax(std::string_view key) noexcept;

}  // namespace intelflow::harm
