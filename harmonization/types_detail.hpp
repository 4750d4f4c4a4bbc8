// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Internal building blocks of the harmonization types (types_*.cpp): Python
/// int()/float(), ipaddress, urlsplit, idna and json validation semantics.
/// Not part of the public API.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harmonization/value.hpp"

namespace intelflow::harm::detail {

[[noreturn]] void raise_value_error(const std::string& what);

// --- Python numbers (types_num.cpp) ----------------------------------------------------
/// int(text) for a str (unicode=true: Unicode digits/spaces accepted) or bytes.
/// nullopt where Python raises ValueError.
std::optional<Value> py_int_from_text(std::string_view s, bool unicode);
/// int(v): Null where Python raises ValueError/TypeError; throws (OverflowError) for inf.
Value py_int(const Value& v);
/// float(text) for a str or bytes; nullopt where Python raises ValueError.
std::optional<double> py_float_from_text(std::string_view s, bool unicode);
/// float(v): nullopt where Python raises ValueError/TypeError; throws for ints too large.
std::optional<double> py_float(const Value& v);
/// Decimal digits (with '-') of a BigInt/Int value as a double, OverflowError if too large.
double bigint_to_double(std::string_view digits);
/// Int if it fits into int64, else BigInt. `digits`: optional '-' and decimal digits.
Value make_integer(std::string_view digits);

// --- ipaddress (types_ip.cpp) ------------------------------------------------------------
__extension__ typedef unsigned __int128 u128;

/// An ipaddress.IPv4Address / IPv6Address.
struct IpAddr {
  int version = 4;
  u128 value = 0;
  std::string_view scope;  ///< IPv6 scope id (without '%'), may be empty
};
/// An ipaddress.IPv4Network / IPv6Network.
struct IpNet {
  IpAddr addr;
  int prefix = 32;
};
/// ipaddress.ip_address(text).
std::optional<IpAddr> parse_ip_address(std::string_view s);
/// ipaddress.ip_network(text, strict).
std::optional<IpNet> parse_ip_network(std::string_view s, bool strict);
void append_ip(std::string& out, const IpAddr& a);
std::string format_ip(const IpAddr& a);
std::string format_net(const IpNet& n);
std::string u128_to_decimal(u128 v);

// --- urllib.parse.urlsplit (types_url.cpp) -------------------------------------------------
/// Components of urlsplit as views. Valid while the input string lives; the
/// input must not contain '\t', '\r' or '\n' (see strip_unsafe_url_bytes).
struct UrlViews {
  std::string_view scheme;  ///< not lowercased
  std::string_view netloc, path, query, fragment;
  bool has_scheme = false;
  bool netloc_ascii = true;  ///< no byte of the netloc is >= 0x80
};
/// urlsplit on text without tab/CR/LF. Throws ValueError like Python.
UrlViews url_split_views(std::string_view url);
/// The netloc of urlsplit(url) alone (same input rules, same ValueErrors).
std::string_view url_netloc(std::string_view url);
/// True if `url` contains '\t', '\r' or '\n' (urlsplit removes those first).
bool has_unsafe_url_bytes(std::string_view url) noexcept;
std::string strip_unsafe_url_bytes(std::string_view url);

// --- idna (types_fqdn.cpp) ----------------------------------------------------------------
/// str.encode('idna') (Python's IDNA 2003 codec). nullopt where Python raises UnicodeError.
std::optional<std::string> idna_encode(std::string_view s);
/// For ASCII text: whether str.encode('idna') succeeds (it then returns the text unchanged).
bool idna_ascii_ok(std::string_view s) noexcept;

// --- json (types_json.cpp) -------------------------------------------------------------
enum class JsonShape { Invalid, Other, EmptyObject, Object };
/// What json.loads(text) would return, without building it: Invalid where it raises
/// ValueError. Throws ValueError where Python would raise RecursionError.
JsonShape json_shape(std::string_view text);

}  // namespace intelflow::harm::detail
