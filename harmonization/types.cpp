// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/types.hpp"

#include "harmonization/errors.hpp"

namespace intelflow::harm {
namespace {
[[noreturn]] void todo(const char* f) { throw HarmonizationError(ErrorKind::ValueError, std::string("not implemented: ") + f); }
}  // namespace
std::optional<TypeId> type_from_name(std::string_view) noexcept { return std::nullopt; }
std::string_view type_name(TypeId) noexcept { return "?"; }
Value sanitize(TypeId, const Value&) { todo("sanitize"); }
bool is_valid(TypeId, const Value&, bool) { todo("is_valid"); }
bool is_valid_string(TypeId, std::string_view) { todo("is_valid_string"); }
namespace ip {
Value to_int(std::string_view) { todo("to_int"); }
int version(std::string_view) { todo("version"); }
int network_version(std::string_view) { todo("network_version"); }
std::string to_reverse(std::string_view) { todo("to_reverse"); }
}  // namespace ip
namespace url {
std::optional<std::string> to_domain_name(std::string_view) { todo("to_domain_name"); }
}  // namespace url
}  // namespace intelflow::harm
