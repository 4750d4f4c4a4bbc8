// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.turris.parser: the Turris (CZ.NIC Sentinel) greylist CSV
// (bots.md "turris.parser").

#include <memory>
#include <string>

#include "bots/common/csv_dict.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Turris greylist parser: CSV with a header (`#` lines ignored), one event
/// per known tag of a row. Stateless.
class TurrisParser final : public api::ParserBot {
 public:
  void process(const Message& report, api::Emitter& out) override {
    if (report.find("raw") == nullptr) {
      log().warn(
          "Report without raw field received. Possible bug or misconfiguration in previous "
          "bots.");
      return;
    }
    csvdict::DictParse csv(decode_raw(report), {.ignore_prefixes = {"#"}, .quote_all = false});
    const int tags_col = csv.column("Tags");
    const int address_col = csv.column("Address");
    std::vector<std::pair<std::string, std::string>> failures;  // (recovered raw, error)
    std::vector<Message> events;
    std::size_t sent = 0;
    while (csv.next()) {
      events.clear();
      try {
        parse_row(csv, tags_col, address_col, report, events);
        for (auto& ev : events) apply_default_fields(ev);
      } catch (const std::exception& e) {
        log().error("Failed to parse line: {}", e.what());
        failures.emplace_back(csv.recover_text(csv.current_line()), e.what());
        continue;
      }
      for (auto& ev : events) {
        out.send(std::move(ev));
        ++sent;
      }
    }
    for (auto& [raw, err] : failures) fail_line(report, raw, err, out);
    log().info("Sent {} events and found {} problem(s).", sent, failures.size());
  }

 protected:
  void parse_line(const Element&, const Message&, ParseState&, std::vector<Message>&) override {
    throw std::logic_error("parsers.turris.parser handles whole reports");
  }

 private:
  void parse_row(const csvdict::DictParse& csv, int tags_col, int address_col,
                 const Message& report, std::vector<Message>& events) const {
    std::string_view tags;  // row.get("Tags", ""): "" if there is no such column
    if (tags_col >= 0) {
      const auto v = csv.value(tags_col);
      if (!v)
        throw std::runtime_error("AttributeError: 'NoneType' object has no attribute 'split'");
      tags = *v;
    }
    std::string raw;  // built once per row
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = tags.find(',', start);
      const std::string_view tag = tags.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      start = comma + 1;
      Message ev = new_event(report);
      bool keep = true;
      if (tag == "smtp" || tag == "http" || tag == "ftp" || tag == "telnet") {
        ev.add("protocol.transport", Value::string("tcp"));
        ev.add("protocol.application", Value::string(tag));
        ev.add("classification.type", Value::string("brute-force"));
        if (tag == "ftp") ev.add("destination.port", Value::integer(21));
        if (tag == "telnet") ev.add("destination.port", Value::integer(23));
        if (tag == "http") ev.add("destination.port", Value::integer(80));
      } else if (tag == "port_scan") {
        ev.add("classification.type", Value::string("scanner"));
      } else {
        keep = false;  // e.g. haas tags: the CZ.NIC HaaS feed covers them
      }
      if (keep) {
        if (raw.empty()) raw = csv.recover_row();
        ev.add("raw", Value::string(raw));
        const auto addr = csv.value(address_col);
        ev.add("source.ip", addr ? Value::string(*addr) : Value());
        events.push_back(std::move(ev));
      }
      if (comma == std::string_view::npos) break;
    }
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.turris.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Turris greylist CSV: one event per known tag of an address "
                   "(smtp/http/ftp/telnet brute force, port_scan).",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<TurrisParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
