// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The exception kinds of IntelMQ's data layer. `kind()` is what callers and
/// the conformance runner compare; the text follows the reference wording.

#include <stdexcept>
#include <string>
#include <string_view>

namespace intelflow::harm {

enum class ErrorKind {
  InvalidKey,
  InvalidValue,
  KeyExists,
  KeyNotExists,
  InvalidArgument,
  DecodingError,
  KeyError,    ///< lookup/delete of an absent key (Python KeyError)
  ValueError,  ///< a Python crash that leaks through the API (ValueError, TypeError, ...)
};

std::string_view error_kind_name(ErrorKind k) noexcept;

class HarmonizationError : public std::runtime_error {
 public:
  HarmonizationError(ErrorKind kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace intelflow::harm
