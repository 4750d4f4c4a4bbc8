// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// CSV reading and writing with the semantics of Python's `csv` module
/// (Excel dialect, `strict=False`), which IntelMQ parsers rely on:
/// `csv.reader(io.StringIO(text, newline=''), delimiter=...)` and
/// `csv.writer(out, lineterminator=...)` with QUOTE_MINIMAL.
///
/// Reader rules: physical lines end at `\n`, `\r\n` or `\r`; `"` opens a
/// quoted field only at the start of a field, `""` inside quotes is one `"`,
/// quoted fields may span lines, a quote elsewhere is a literal character,
/// text after a closing quote is appended (`"a"b` → `ab`); an empty line is a
/// row with zero fields; an unterminated quoted field ends at end of input.
/// The reader never allocates per field: a Row keeps one reusable buffer.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace intelflow::bots::csv {

/// One parsed record. Field views stay valid until the Row is reused.
class Row {
 public:
  std::size_t size() const noexcept { return spans_.size(); }
  bool empty() const noexcept { return spans_.empty(); }
  std::string_view operator[](std::size_t i) const noexcept {
    return {buf_.data() + spans_[i].first, spans_[i].second};
  }
  void clear() noexcept {
    buf_.clear();
    spans_.clear();
  }
  /// The fields as views (built on demand into `out`, which is cleared first).
  void views(std::vector<std::string_view>& out) const;
  std::vector<std::string> to_strings() const;

 private:
  friend class Reader;
  std::string buf_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans_;  ///< (offset, length) in buf_
};

/// Reader options (the subset of Python's dialect IntelMQ uses).
struct ReaderOptions {
  /// One character (may be a multi-byte UTF-8 sequence).
  std::string delimiter = ",";
  char quotechar = '"';
};

/// Streaming reader over a text held by the caller (the text must outlive it).
class Reader {
 public:
  explicit Reader(std::string_view text, ReaderOptions opts = {});
  /// Reads the next record into `row`. Returns false at the end of the text.
  bool next(Row& row);
  /// The physical text of the record last returned by next(), including its
  /// line terminator(s) (all lines of a multi-line record).
  std::string_view record_text() const noexcept {
    return text_.substr(rec_begin_, rec_end_ - rec_begin_);
  }
  /// Offset of the next unread byte.
  std::size_t position() const noexcept { return pos_; }

 private:
  std::string_view text_;
  std::string delim_;
  char quote_;
  std::size_t pos_ = 0;
  std::size_t rec_begin_ = 0, rec_end_ = 0;
};

/// Every record of `text` (convenience; allocates).
std::vector<std::vector<std::string>> read_all(std::string_view text, ReaderOptions opts = {});

/// Writer options: Python's csv.writer with QUOTE_MINIMAL and doublequote.
struct WriterOptions {
  std::string_view delimiter = ",";
  char quotechar = '"';
  std::string_view lineterminator = "\r\n";
};

/// Appends one record: a field is quoted when it contains the delimiter, the
/// quote character or any character of the line terminator (quotes doubled);
/// a record made of one empty field is written `""`; then the terminator.
void write_row(std::string& out, std::span<const std::string_view> fields,
               const WriterOptions& opts = {});
void write_row(std::string& out, std::span<const std::string> fields,
               const WriterOptions& opts = {});
void write_row(std::string& out, const Row& row, const WriterOptions& opts = {});

/// Line ending of a text as Python's `io.StringIO(text, newline='').newlines`
/// reports it, with IntelMQ's fallback: the only style present (`\n`, `\r\n`
/// or `\r`); none or several styles → `\r\n`.
std::string_view detect_line_ending(std::string_view text) noexcept;

/// Length of the first line of `text` including its terminator (`\n`, `\r\n`
/// or `\r`), as `readline()` on a `newline=''` stream returns it.
std::size_t line_length(std::string_view text) noexcept;
/// Length of a line terminator at the end of `line` (0, 1 or 2).
std::size_t terminator_length(std::string_view line) noexcept;

}  // namespace intelflow::bots::csv
