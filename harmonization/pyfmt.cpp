// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/pyfmt.hpp"

#include "harmonization/errors.hpp"

namespace intelflow::harm::py {
namespace {
[[noreturn]] void todo(const char* f) { throw HarmonizationError(ErrorKind::ValueError, std::string("not implemented: ") + f); }
}  // namespace
void append_float_repr(std::string&, double) { todo("x"); }
std::string float_repr(double) { todo("x"); }
std::string str(const Value&) { todo("x"); }
void append_repr(std::string&, const Value&) { todo("x"); }
std::string repr(const Value&) { todo("x"); }
void append_json(std::string&, const Value&, const JsonOptions&) { todo("x"); }
std::string json_dumps(const Value&, const JsonOptions&) { todo("x"); }
void append_json_string(std::string&, std::string_view, bool) { todo("x"); }
bool json_loads(std::string_view, Value&) { todo("x"); }
}  // namespace intelflow::harm::py
