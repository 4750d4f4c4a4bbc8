// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Unicode operations with Python str semantics on UTF-8 text.

#include <string>
#include <string_view>

namespace intelflow::harm::uni {

/// str.strip(): removes Python whitespace (str.isspace) at both ends.
std::string_view strip(std::string_view s);
/// str.lower() / str.upper() (full case mapping, e.g. 'ß'.upper() == 'SS').
std::string lower(std::string_view s);
std::string upper(std::string_view s);
/// str.isprintable() for one code point (used by repr()).
bool is_printable(char32_t cp);
/// str.isspace() for one code point.
bool is_space(char32_t cp);
/// Decode UTF-8, dropping invalid bytes (bytes.decode('utf-8', 'ignore')).
std::string decode_utf8_ignore(std::string_view bytes);
/// True if the bytes are valid UTF-8 (Python's strict decoder: no surrogates).
bool valid_utf8(std::string_view bytes);

}  // namespace intelflow::harm::uni
