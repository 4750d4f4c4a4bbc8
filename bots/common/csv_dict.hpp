// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's `ParserBot.parse_csv_dict` / `recover_line_csv_dict` (core.md
/// §5.2): the decoded report is stripped, NULs are deleted, physical lines
/// starting with an ignore prefix are dropped, the line ending is detected,
/// and `csv.DictReader` semantics apply (first record = field names, empty
/// records skipped, short rows padded with None, surplus fields counted).
/// A DictParse owns the prepared text; rows are views into its reader buffer
/// and stay valid until the next call to next().

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/csv.hpp"

namespace intelflow::bots::csvdict {

struct Options {
  /// Physical lines starting with one of these are removed before CSV reading.
  std::vector<std::string> ignore_prefixes;
  /// Header quoting of the recovered raw: true = QUOTE_ALL (Python's "unix"
  /// dialect, used by the Shadowserver parser), false = QUOTE_MINIMAL (excel).
  bool quote_all = false;
};

/// One report split as csv.DictReader would.
class DictParse {
 public:
  DictParse(std::string_view decoded_raw, Options opts);
  DictParse(const DictParse&) = delete;  // the reader views text_
  DictParse& operator=(const DictParse&) = delete;

  /// Field names (the first record); empty if the text is empty.
  const std::vector<std::string>& fieldnames() const noexcept { return fieldnames_; }
  /// Index of the last column called `name` (Python dict semantics: a later
  /// duplicate wins), or -1.
  int column(std::string_view name) const noexcept;

  /// Next non-empty record. Returns false at the end.
  bool next();
  /// Fields of the current record (may be shorter or longer than fieldnames).
  const std::vector<std::string_view>& fields() const noexcept { return fields_; }
  /// Value of column index `i` in the current record; nullopt = padded (None).
  std::optional<std::string_view> value(int i) const noexcept {
    if (i < 0 || static_cast<std::size_t>(i) >= fields_.size()) return std::nullopt;
    return fields_[static_cast<std::size_t>(i)];
  }
  /// True if the current record has more fields than the header (DictReader's restkey).
  bool has_surplus() const noexcept { return fields_.size() > fieldnames_.size(); }
  /// The last physical line of the current record, with its line terminator
  /// (IntelMQ's `_current_line`).
  std::string_view current_line() const noexcept { return current_line_; }
  /// The detected line ending (`\n`, `\r\n` or `\r`).
  std::string_view line_ending() const noexcept { return line_ending_; }

  /// recover_line_csv_dict(text): header line + `text` verbatim, stripped.
  std::string recover_text(std::string_view text) const;
  /// recover_line_csv_dict(dict): header line + the current record written
  /// as DictWriter does (values by field name, QUOTE_MINIMAL), stripped.
  /// Throws std::runtime_error if the record has surplus fields (DictWriter's
  /// "dict contains fields not in fieldnames: None").
  std::string recover_row() const;

 private:
  Options opts_;
  std::string text_;
  std::string_view line_ending_ = "\r\n";
  std::vector<std::string> fieldnames_;
  std::string header_line_;  ///< the written header incl. terminator
  csv::Reader reader_;
  csv::Row row_;
  std::vector<std::string_view> fields_;
  std::string_view current_line_;
};

/// Python str.strip() then NUL removal, as parse_csv/parse_csv_dict prepare the text.
std::string prepare_text(std::string_view decoded_raw);
/// Drops physical lines (`\n`, `\r\n`, `\r` terminated) starting with a prefix.
std::string filter_lines(std::string_view text, std::span<const std::string> prefixes);
/// The last physical line of a record's text (with its terminator).
std::string_view last_physical_line(std::string_view record_text) noexcept;

}  // namespace intelflow::bots::csvdict
