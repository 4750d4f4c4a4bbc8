// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Unicode operations with Python str semantics on UTF-8 text.

#include <cstddef>
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

// --- additions ---------------------------------------------------------------------
/// True if every byte is < 0x80 (str.isascii() on valid UTF-8).
bool is_ascii(std::string_view s) noexcept;
/// Decodes the code point starting at s[i] and advances i. Invalid UTF-8 yields
/// U+FFFD and advances one byte. Precondition: i < s.size().
char32_t next_code_point(std::string_view s, std::size_t& i) noexcept;
/// Appends the UTF-8 encoding of cp.
void append_utf8(std::string& out, char32_t cp);
/// s == s.lower() / s == s.upper() without allocating for ASCII text.
bool is_lower_invariant(std::string_view s);
bool is_upper_invariant(std::string_view s);
/// Python's Py_UNICODE_TODECIMAL: the value 0-9 of a decimal digit (category Nd), else -1.
int decimal_value(char32_t cp) noexcept;
/// unicodedata.normalize('NFKC', s).
std::string nfkc(std::string_view s);

}  // namespace intelflow::harm::uni
