// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/unicode.hpp"

#include <stdexcept>

namespace intelflow::harm::uni {
std::string_view strip(std::string_view s) { return s; }
std::string lower(std::string_view s) { return std::string(s); }
std::string upper(std::string_view s) { return std::string(s); }
bool is_printable(char32_t cp) { return cp >= 0x20 && cp != 0x7f; }
bool is_space(char32_t cp) { return cp == ' '; }
std::string decode_utf8_ignore(std::string_view b) { return std::string(b); }
bool valid_utf8(std::string_view) { return true; }
}  // namespace intelflow::harm::uni
