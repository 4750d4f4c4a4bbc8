// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The 20 harmonization types of IntelMQ (plus GenericType): sanitize and
/// is_valid with the reference's exact semantics (../shared/spec/core.md §2).
/// Stateless, thread-safe functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "harmonization/value.hpp"

namespace intelflow::harm {

enum class TypeId : std::uint8_t {
  Accuracy,
  ASN,
  Base64,
  Boolean,
  ClassificationTaxonomy,
  ClassificationType,
  DateTime,
  FQDN,
  Float,
  GenericType,
  Integer,
  IPAddress,
  IPNetwork,
  JSON,
  JSONDict,
  LowercaseString,
  Registry,
  String,
  TLP,
  UppercaseString,
  URL,
};
inline constexpr int kTypeCount = 21;

std::optional<TypeId> type_from_name(std::string_view name) noexcept;
std::string_view type_name(TypeId t) noexcept;

/// type.sanitize(value). A Null result means "rejected" (the reference returned
/// None). Throws HarmonizationError(ValueError) where the reference raised.
Value sanitize(TypeId t, const Value& v);

/// sanitize() as add() uses it: may take `v`'s storage when the result is not
/// Null (a string that needs no change is moved, not copied); `v` is left
/// untouched when the result is Null. Sets known_valid when the result passes
/// is_valid(t, result) by construction (base64 it encoded itself, an address it
/// formatted, a URL whose netloc it found, non-empty text), so the caller may
/// skip the type check; field constraints (length, regex) still apply.
Value sanitize_for_add(TypeId t, Value& v, bool& known_valid);

/// type.is_valid(value, sanitize). With sanitize=true the value is sanitized
/// first (a Null result is invalid). Throws HarmonizationError(ValueError)
/// where the reference raised instead of returning a bool.
bool is_valid(TypeId t, const Value& v, bool sanitize = false);

/// Fast path for the hot unserialize loop: is_valid(t, string(s), false).
bool is_valid_string(TypeId t, std::string_view s);

// --- helpers of individual types -------------------------------------------------
namespace ip {
/// IPAddress.to_int: integer value of an address (IPv6 may exceed int64: returned as
/// decimal digits in a BigInt Value). Like the reference (socket.inet_pton), a bad
/// address yields a Null Value; only text with an embedded NUL throws ValueError.
Value to_int(std::string_view addr);
/// IPAddress.version / IPNetwork.version: 4 or 6; throws ValueError on bad input.
int version(std::string_view addr);
int network_version(std::string_view net);
/// IPAddress.to_reverse: "1.2.0.192.in-addr.arpa." style; throws ValueError.
std::string to_reverse(std::string_view addr);
}  // namespace ip

namespace url {
/// URL.to_domain_name: the netloc of the URL if it is not an IP address, else nullopt.
/// Throws ValueError where urlsplit does (unbalanced brackets, NFKC netloc tricks).
std::optional<std::string> to_domain_name(std::string_view url);

/// The five components of urllib.parse.urlsplit (scheme lowercased).
struct SplitResult {
  std::string scheme, netloc, path, query, fragment;
};
/// urllib.parse.urlsplit with the reference's (Python 3.11.2) rules: tab/CR/LF
/// removed, no other stripping. Throws HarmonizationError(ValueError) where it raises.
SplitResult split(std::string_view url);
/// urllib.parse.urlunsplit.
std::string unsplit(const SplitResult& parts);
}  // namespace url

}  // namespace intelflow::harm
