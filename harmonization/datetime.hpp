// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's DateTime type and its conversion helpers (core.md §2.3): strict
/// canonical form, a dateutil-compatible fuzzy parser, strptime-style formats,
/// epoch/windows-NT conversions. Thread-safe; "now" can be pinned for tests.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "harmonization/value.hpp"

namespace intelflow::harm::datetime {

namespace detail {
class Strptime;
}  // namespace detail

/// Pins "now" (UTC epoch seconds) for fuzzy parsing defaults and
/// generate_now(); nullopt restores the real clock. Process-wide.
void set_clock_override(std::optional<std::int64_t> epoch_seconds);
std::int64_t now_epoch_seconds();
/// Current UTC time, seconds precision, canonical form.
std::string generate_now();

/// DateTime.sanitize / is_valid (values of any kind: non-text → null / false).
/// sanitize throws HarmonizationError(ValueError) only where the reference
/// itself crashed (decimal.InvalidOperation inside dateutil for numbers with
/// more than 28 integer digits before an h/m label or a ':').
Value sanitize(const Value& v);
bool is_valid(const Value& v);
bool is_valid_string(std::string_view s);
/// The parse step: strict pattern returns the input unchanged, else fuzzy; nullopt = failure.
std::optional<std::string> parse(std::string_view s);

// Helpers. Return the canonical UTC string; nullopt where the reference returned
// None; throw HarmonizationError (ValueError / InvalidArgument) where it raised.
std::optional<std::string> from_timestamp(const Value& v);
std::optional<std::string> from_epoch_millis(const Value& v);
std::optional<std::string> from_windows_nt(const Value& v);
std::optional<std::string> from_isoformat(const Value& v);
std::optional<std::string> from_fuzzy(const Value& v);
std::optional<std::string> from_format(const Value& v, std::string_view format);
std::optional<std::string> from_format_midnight(const Value& v, std::string_view format);
/// convert(value, "name" | "name|FORMAT"), the reference's dispatch: an
/// unknown name (also "" and case variants) throws ErrorKind::KeyError, a
/// from_format name without "|" throws ValueError (the reference's TypeError).
/// The reference's convert(value, None) is from_fuzzy(value).
std::optional<std::string> convert(const Value& v, std::string_view time_format);

/// A validated `time_format` bot parameter, parsed once at bot start.
class Converter {
 public:
  /// Throws HarmonizationError(InvalidArgument) for an unknown name or a
  /// missing / superfluous FORMAT. Empty or "fuzzy" = fuzzy.
  explicit Converter(std::string_view time_format);
  std::optional<std::string> operator()(const Value& v) const;

 private:
  enum class Mode {
    Fuzzy,
    Timestamp,
    EpochMillis,
    WindowsNt,
    FromFormat,
    FromFormatMidnight,
    UtcIso
  };
  Mode mode_;
  std::string format_;
  std::shared_ptr<const detail::Strptime> strptime_;  ///< compiled FORMAT (from_format modes)
};

}  // namespace intelflow::harm::datetime
