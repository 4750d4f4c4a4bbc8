// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// ParserBot: IntelMQ's parser machinery (core.md §5). The default process()
/// is the generic line loop: split the decoded report into elements, map each
/// with parse_line(), apply default_fields, send; a failing element is dumped
/// (report copy with raw = recover_line) and the rest goes on. Parsers that
/// handle the whole report themselves override process() and use the helpers.
/// All per-report state lives in a ParseState, so one parser instance can
/// serve concurrent batches.

#include <string>
#include <string_view>
#include <vector>

#include "engine/api/bot.hpp"

namespace intelflow::api {

class ParserBot : public Bot {
 public:
  /// One element of a report: a text line, a CSV row, or a JSON value.
  struct Element {
    std::string line;              ///< the (stripped) text line, or the physical CSV line
    std::vector<std::string> row;  ///< CSV fields, when split as CSV
    harm::Value json;              ///< JSON element, when split as JSON
  };
  /// Per-report state (IntelMQ's tempdata / current_line).
  struct ParseState {
    std::vector<std::string> tempdata;  ///< kept header/comment lines
    std::string current_line;
  };

  /// Reads and validates default_fields / copy_collector_provided_fields.
  void init(BotContext& ctx) override;

  /// Handles one Report (IntelMQ ParserBot.process).
  virtual void process(const Message& report, Emitter& out);

  /// Base64 text → UTF-8 text as decode_raw() does it: characters outside the
  /// alphabet (`=`, whitespace, others) are skipped, leftover bits dropped,
  /// invalid UTF-8 sequences dropped.
  static std::string decode_base64_text(std::string_view b64);

 protected:
  /// Splits the report. Default: decoded raw split on Python splitlines
  /// boundaries, each line stripped, lines starting with an ignore prefix dropped.
  virtual void parse(const Message& report, ParseState& st, std::vector<Element>& out);
  /// Maps one element to zero or more events (append to `events`). Throw to
  /// mark the element as failed.
  virtual void parse_line(const Element& el, const Message& report, ParseState& st,
                          std::vector<Message>& events) = 0;
  /// The raw text recorded for a failed element. Default: tempdata + line joined by "\n".
  virtual std::string recover_line(const Element& el, const ParseState& st) const;

  /// Prefixes of lines the default parse() skips (e.g. {"#"}).
  std::vector<std::string> ignore_lines_starting_;

  // --- helpers -----------------------------------------------------------------
  /// A new Event carrying the report's feed.*, rtir_id, time.observation and
  /// copy_collector_provided_fields.
  Message new_event(const Message& report) const;
  /// default_fields added with overwrite=false.
  void apply_default_fields(Message& ev) const;
  /// base64-decoded raw, invalid UTF-8 dropped.
  static std::string decode_raw(const Message& report);
  /// Dumps a copy of `report` whose raw is `recovered` (and sends it to _on_error).
  void fail_line(const Message& report, const std::string& recovered, std::string_view error,
                 Emitter& out) const;
  /// Python str.splitlines() (line ends not kept).
  static std::vector<std::string_view> splitlines(std::string_view text);

  std::vector<std::pair<std::string, harm::Value>> default_fields_;
  std::vector<std::string> copy_collector_provided_fields_;
};

/// Parameters every parser accepts (spliced into each parser's ParamSpec table).
extern const ParamSpec kParserParams[2];

}  // namespace intelflow::api
