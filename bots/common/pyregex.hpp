// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A regular expression with Python `re` semantics on PCRE2 (UTF + UCP, LF
/// newline, JIT): Python-only syntax (`\Z`, `{,n}`, `\uXXXX`, `\UXXXXXXXX`) is
/// translated at compile time. Compiled once at bot init; `search` is
/// thread-safe (match data is per thread) and does not allocate after warm-up.

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace intelflow::bots {

/// A pattern PCRE2 refused; what() is PCRE2's message with the offset.
class RegexError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A compiled Python-style regex.
class PyRegex {
 public:
  /// Throws RegexError. `ignore_case` = re.IGNORECASE.
  explicit PyRegex(std::string_view pattern, bool ignore_case = false);
  ~PyRegex();
  PyRegex(const PyRegex&) = delete;
  PyRegex& operator=(const PyRegex&) = delete;

  /// re.search: true if found anywhere. On success, when `groups` is given it is
  /// resized to 2*(capture_count()+1) offsets (start, end; PCRE2_UNSET = not
  /// participating).
  bool search(std::string_view subject, std::vector<std::size_t>* groups = nullptr) const;

  /// Number of capture groups.
  int capture_count() const noexcept { return captures_; }
  /// Group number of a named group, nullopt if there is none.
  std::optional<int> group_number(std::string_view name) const;
  const std::string& pattern() const noexcept { return pattern_; }

  /// Python → PCRE2 syntax translation (exposed for tests).
  static std::string translate(std::string_view python_pattern);

 private:
  struct Code;
  std::unique_ptr<Code> code_;
  std::string pattern_;
  int captures_ = 0;
};

/// Offset value of a group that did not participate in the match.
inline constexpr std::size_t kRegexUnset = ~static_cast<std::size_t>(0);

}  // namespace intelflow::bots
