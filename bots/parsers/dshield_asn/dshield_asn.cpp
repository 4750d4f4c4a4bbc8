// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.dshield.parser_asn: DShield per-AS source list (bots.md §2.2 "P1 parsers").

#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

std::int64_t to_int(std::string_view s) {
  const auto v = putil::py_int(s);
  if (!v)
    throw putil::ParseError("ValueError: invalid literal for int(): '" + std::string(s) + "'");
  return *v;
}

/// DShield AS parser: tab-separated rows `IP reports targets first-seen
/// last-seen updated`; the AS number comes from the `?as=` of feed.url.
/// Processes the whole report itself (as IntelMQ): a bad row fails the
/// report, rows with fewer than 6 columns are skipped, default_fields are not
/// applied.
class DshieldAsnParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    const std::string text = decode_raw(report);
    for (std::string_view row : putil::splitlines(text)) {
      if (row.starts_with('#')) continue;
      const auto values = putil::split(row, '\t');
      if (values.size() < 6) continue;
      // the IP is zero-padded: 109.230.155.061
      std::string ip;
      for (std::string_view octet : putil::split(values[0], '.')) {
        if (!ip.empty()) ip += '.';
        ip += std::to_string(to_int(octet));
      }
      const std::int64_t reports = to_int(values[1]);
      const std::int64_t targets = to_int(values[2]);
      const Value* url_v = report.find("feed.url");
      if (url_v == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
      const std::string& url = url_v->as_string();
      const std::size_t as_at = url.rfind("?as=");
      const std::int64_t asn =
          to_int(std::string_view(url).substr(as_at == std::string::npos ? 3 : as_at + 4));

      Message ev = new_event(report);
      ev.add("source.ip", Value::string(ip));
      ev.add("source.asn", Value::integer(asn));
      ev.add("classification.type", Value::string("brute-force"));
      ev.add("time.source", Value::string(std::string(values[5]) + "+0"));
      ev.add("raw", Value::string(row));
      ev.add("extra", Value::dict({{"reports", Value::integer(reports)},
                                   {"targets", Value::integer(targets)},
                                   {"last_seen", Value::string(values[4])}}));
      out.send(std::move(ev));
    }
  }

 protected:
  void parse_line(const Element& /*el*/, const Message& /*report*/, ParseState& /*st*/,
                  std::vector<Message>& /*events*/) override {}
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.dshield.parser_asn",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the DShield per-AS source list (asdetailsascii).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<DshieldAsnParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
