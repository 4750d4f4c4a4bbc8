// SPDX-License-Identifier: AGPL-3.0-or-later
#include "harmonization/errors.hpp"

namespace intelflow::harm {

std::string_view error_kind_name(ErrorKind k) noexcept {
  switch (k) {
    case ErrorKind::InvalidKey:
      return "InvalidKey";
    case ErrorKind::InvalidValue:
      return "InvalidValue";
    case ErrorKind::KeyExists:
      return "KeyExists";
    case ErrorKind::KeyNotExists:
      return "KeyNotExists";
    case ErrorKind::InvalidArgument:
      return "InvalidArgument";
    case ErrorKind::DecodingError:
      return "DecodingError";
    case ErrorKind::KeyError:
      return "KeyError";
    case ErrorKind::ValueError:
      return "ValueError";
  }
  return "?";
}

}  // namespace intelflow::harm
