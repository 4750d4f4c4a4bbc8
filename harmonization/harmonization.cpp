// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/harmonization.hpp"

#include <stdexcept>

namespace intelflow::harm {
class Regex {};
struct Harmonization::Impl {
  std::vector<FieldSpec> ev, rep;
};
std::string_view kind_name(MessageKind k) noexcept { return k == MessageKind::Event ? "Event" : "Report"; }
Harmonization::Harmonization() : impl_(std::make_unique<Impl>()) {}
Harmonization::~Harmonization() = default;
std::shared_ptr<const Harmonization> Harmonization::from_json(std::string_view, std::string_view) { throw std::runtime_error("not implemented"); }
std::shared_ptr<const Harmonization> Harmonization::from_file(const std::string&) { throw std::runtime_error("not implemented"); }
std::shared_ptr<const Harmonization> Harmonization::default_instance() { throw std::runtime_error("not implemented"); }
const FieldSpec* Harmonization::find(MessageKind, std::string_view) const noexcept { return nullptr; }
const std::vector<FieldSpec>& Harmonization::fields(MessageKind k) const noexcept { return k == MessageKind::Event ? impl_->ev : impl_->rep; }
bool Harmonization::is_jsondict_field(MessageKind, std::string_view) const noexcept { return false; }
Check Harmonization::check(const FieldSpec&, const Value&) const { return Check::Ok; }
bool valid_key_syntax(std::string_view) noexcept { return false; }
}  // namespace intelflow::harm
