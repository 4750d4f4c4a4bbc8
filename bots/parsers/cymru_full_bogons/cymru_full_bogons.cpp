// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.cymru.parser_full_bogons: Team Cymru full bogons (bots.md §2.2 "P1 parsers").

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/datetime.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Team Cymru full bogons parser: the first line carries the list date in
/// parentheses (time.source of every event and the header of each raw);
/// other lines are networks or addresses, `#` and `//` lines are comments.
/// Keeps the date of the report being parsed, so instances are not shared
/// between threads.
class CymruFullBogonsParser final : public api::ParserBot {
 protected:
  void parse(const Message& report, ParseState& st, std::vector<Element>& out) override {
    last_updated_.reset();
    const std::string decoded = decode_raw(report);
    const std::string_view text = putil::strip(decoded);
    if (text.empty()) return;  // the first line (the date) is required
    // Python raw[:raw.find('\n')]: without a newline the last character is cut
    const std::size_t nl = text.find('\n');
    const std::string_view first =
        text.substr(0, nl == std::string_view::npos ? text.size() - 1 : nl);
    const std::size_t open = first.find('(');
    const std::size_t close = first.find(')');
    const std::size_t from = open == std::string_view::npos ? 0 : open + 1;
    const std::size_t to =
        close == std::string_view::npos ? (first.empty() ? 0 : first.size() - 1) : close;
    const std::string_view date = to > from ? first.substr(from, to - from) : std::string_view();
    last_updated_ = harm::datetime::parse(date);
    if (!last_updated_)
      throw putil::ParseError("ParserError: Unknown string format: " + std::string(date));
    st.tempdata.emplace_back(first);
    for (std::string_view row : putil::splitlines(text)) {
      Element el;
      el.line = std::string(putil::strip(row));
      out.push_back(std::move(el));
    }
  }

  void parse_line(const Element& el, const Message& report, ParseState& st,
                  std::vector<Message>& events) override {
    const std::string& val = el.line;
    if (val.starts_with('#') || val.starts_with("//")) return;
    Message ev = new_event(report);
    harm::AddOptions soft;
    soft.raise_failure = false;
    if (ev.add("source.ip", Value::string(val), soft) != harm::AddResult::Added)
      ev.add("source.network", Value::string(val));
    ev.add("time.source", Value::string(*last_updated_));
    ev.add("classification.type", Value::string("blacklist"));
    ev.add("raw", Value::string(recover_line(el, st)));
    events.push_back(std::move(ev));
  }

 private:
  std::optional<std::string> last_updated_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.cymru.parser_full_bogons",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Team Cymru full bogons lists (IPv4 and IPv6).",
    .params = {},
    .concurrent = false,
    .factory = [] { return std::make_unique<CymruFullBogonsParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
