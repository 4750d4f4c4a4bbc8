// SPDX-License-Identifier: AGPL-3.0-or-later
// STUB: to be replaced by the real implementation.
#include "harmonization/message.hpp"

namespace intelflow::harm {
namespace {
[[noreturn]] void todo(const char* f) { throw HarmonizationError(ErrorKind::ValueError, std::string("not implemented: ") + f); }
}  // namespace
Message::Message(MessageKind kind, std::shared_ptr<const Harmonization> harm) : kind_(kind), harm_(std::move(harm)) {}
Message Message::new_report(std::shared_ptr<const Harmonization>) { todo("x"); }
AddResult Message::add(std::string_view, Value, const AddOptions&) { todo("x"); }
AddResult Message::change(std::string_view, Value, bool) { todo("x"); }
void Message::update(const std::vector<std::pair<std::string, Value>>&) { todo("x"); }
bool Message::is_valid(std::string_view, const Value&, bool) const { todo("x"); }
bool Message::contains(std::string_view) const noexcept { return false; }
const Value* Message::find(std::string_view) const noexcept { return nullptr; }
Value Message::getitem(std::string_view) const { todo("x"); }
Value Message::get(std::string_view, const Value&) const { todo("x"); }
void Message::remove(std::string_view) { todo("x"); }
bool Message::erase(std::string_view) noexcept { return false; }
std::vector<std::string> Message::keys() const { todo("x"); }
std::vector<std::pair<std::string, Value>> Message::finditems(std::string_view) const { todo("x"); }
std::string Message::serialize() const { todo("x"); }
void Message::serialize_to(std::string&) const { todo("x"); }
Value Message::to_dict(bool, bool, bool) const { todo("x"); }
std::string Message::to_json(bool, bool) const { todo("x"); }
void Message::to_json_to(std::string&, bool, bool) const { todo("x"); }
std::string Message::hash(const std::vector<std::string>&, std::string_view) const { todo("x"); }
Message Message::unserialize(std::string_view, std::shared_ptr<const Harmonization>, std::optional<MessageKind>) { todo("x"); }
Message Message::from_dict(const std::vector<std::pair<std::string, Value>>&, std::shared_ptr<const Harmonization>, std::optional<MessageKind>) { todo("x"); }
Message Message::event_from_report(const Message&, const std::vector<std::string>&) { todo("x"); }
Message Message::report_from_event(const Message&) { todo("x"); }
Message Message::deep_copy() const { todo("x"); }
bool operator==(const Message& a, const Message& b) noexcept { return a.kind_ == b.kind_ && a.entries_.size() == b.entries_.size(); }
}  // namespace intelflow::harm
