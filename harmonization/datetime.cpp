// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/datetime.hpp"

#include "harmonization/errors.hpp"

namespace intelflow::harm::datetime {
namespace {
[[noreturn]] void todo(const char* f) { throw HarmonizationError(ErrorKind::ValueError, std::string("not implemented: ") + f); }
}  // namespace
void set_clock_override(std::optional<std::int64_t>) {}
std::int64_t now_epoch_seconds() { todo("now"); }
std::string generate_now() { todo("generate_now"); }
Value sanitize(const Value&) { todo("sanitize"); }
bool is_valid(const Value&) { todo("is_valid"); }
bool is_valid_string(std::string_view) { todo("is_valid_string"); }
std::optional<std::string> parse(std::string_view) { todo("parse"); }
std::optional<std::string> from_timestamp(const Value&) { todo("x"); }
std::optional<std::string> from_epoch_millis(const Value&) { todo("x"); }
std::optional<std::string> from_windows_nt(const Value&) { todo("x"); }
std::optional<std::string> from_isoformat(const Value&) { todo("x"); }
std::optional<std::string> from_fuzzy(const Value&) { todo("x"); }
std::optional<std::string> from_format(const Value&, std::string_view) { todo("x"); }
std::optional<std::string> from_format_midnight(const Value&, std::string_view) { todo("x"); }
std::optional<std::string> convert(const Value&, std::string_view) { todo("x"); }
Converter::Converter(std::string_view) : mode_(Mode::Fuzzy) {}
std::optional<std::string> Converter::operator()(const Value&) const { todo("x"); }
}  // namespace intelflow::harm::datetime
