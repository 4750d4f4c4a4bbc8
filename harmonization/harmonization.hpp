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

class Regex;  // PCRE2 wrapper, defined in harmonization.cpp

/// One harmonization field.
struct FieldSpec {
  std::uint16_t id = 0;  ///< index into Harmonization::fields(kind)
  std::string name;
  TypeId type = TypeId::String;
  std::optional<std::size_t> length;  ///< max len(str(value))
  std::shared_ptr<const Regex> regex;
  std::shared_ptr<const Regex> iregex;
  std::string description;
};

/// Result of the constraint checks of add() step 7.
enum class Check : std::uint8_t { Ok, TypeInvalid, TooLong, RegexMismatch };

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

  ~Harmonization();
  Harmonization();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Key syntax ^[a-z_][a-z_0-9]+(\.[a-z_0-9]+)*$.
bool valid_key_syntax(std::string_view key) noexcept;

}  // namespace intelflow::harm
