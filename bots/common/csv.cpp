// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/csv.hpp"

#include <cstring>

namespace intelflow::bots::csv {

void Row::views(std::vector<std::string_view>& out) const {
  out.clear();
  out.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) out.push_back((*this)[i]);
}

std::vector<std::string> Row::to_strings() const {
  std::vector<std::string> out;
  out.reserve(spans_.size());
  for (std::size_t i = 0; i < spans_.size(); ++i) out.emplace_back((*this)[i]);
  return out;
}

Reader::Reader(std::string_view text, ReaderOptions opts)
    : text_(text), delim_(std::move(opts.delimiter)), quote_(opts.quotechar) {
  if (delim_.empty()) delim_ = ",";
}

namespace {
inline bool is_eol(char c) noexcept {
  return c == '\n' || c == '\r';
}
}  // namespace

bool Reader::next(Row& row) {
  row.clear();
  const std::size_t n = text_.size();
  if (pos_ >= n) return false;
  rec_begin_ = pos_;
  const char* s = text_.data();
  const char d0 = delim_[0];
  const std::size_t dlen = delim_.size();
  std::string& buf = row.buf_;
  std::uint32_t fstart = 0;

  auto delim_at = [&](std::size_t j) {
    return s[j] == d0 && (dlen == 1 || text_.compare(j, dlen, delim_) == 0);
  };
  auto save = [&] {
    row.spans_.emplace_back(fstart, static_cast<std::uint32_t>(buf.size() - fstart));
    fstart = static_cast<std::uint32_t>(buf.size());
  };
  // j is at '\r' or '\n': the index after the physical line terminator.
  auto after_eol = [&](std::size_t j) {
    return (s[j] == '\r' && j + 1 < n && s[j + 1] == '\n') ? j + 2 : j + 1;
  };

  enum class St { StartRecord, StartField, InField, InQuoted, QuoteInQuoted };
  St st = St::StartRecord;
  std::size_t i = pos_;
  bool done = false;
  while (i < n && !done) {
    const char c = s[i];
    switch (st) {
      case St::StartRecord:
        if (is_eol(c)) {  // empty line: a record with no fields
          i = after_eol(i);
          done = true;
          break;
        }
        st = St::StartField;
        [[fallthrough]];
      case St::StartField:
        if (is_eol(c)) {
          save();
          i = after_eol(i);
          done = true;
          break;
        }
        if (c == quote_) {
          st = St::InQuoted;
          ++i;
          break;
        }
        if (delim_at(i)) {
          save();
          i += dlen;
          break;
        }
        st = St::InField;
        [[fallthrough]];
      case St::InField: {
        std::size_t j = i;
        while (j < n) {
          const char x = s[j];
          if (x == d0 || is_eol(x)) break;
          ++j;
        }
        buf.append(s + i, j - i);
        i = j;
        if (i >= n) break;
        const char x = s[i];
        if (is_eol(x)) {
          save();
          i = after_eol(i);
          done = true;
        } else if (delim_at(i)) {
          save();
          i += dlen;
          st = St::StartField;
        } else {  // first byte of a multi-byte delimiter only
          buf.push_back(x);
          ++i;
        }
        break;
      }
      case St::InQuoted: {
        const void* q = std::memchr(s + i, quote_, n - i);
        const std::size_t j = q ? static_cast<std::size_t>(static_cast<const char*>(q) - s) : n;
        buf.append(s + i, j - i);
        i = j;
        if (i < n) {
          st = St::QuoteInQuoted;
          ++i;
        }
        break;
      }
      case St::QuoteInQuoted:
        if (c == quote_) {  // "" → "
          buf.push_back(c);
          st = St::InQuoted;
          ++i;
        } else if (delim_at(i)) {
          save();
          i += dlen;
          st = St::StartField;
        } else if (is_eol(c)) {
          save();
          i = after_eol(i);
          done = true;
        } else {  // not strict: text after the closing quote is kept
          buf.push_back(c);
          st = St::InField;
          ++i;
        }
        break;
    }
  }
  // End of input inside a record: the pending field is saved (also an empty
  // one after a trailing delimiter, and an unterminated quoted field).
  if (!done && st != St::StartRecord) save();
  pos_ = i;
  rec_end_ = i;
  return true;
}

std::vector<std::vector<std::string>> read_all(std::string_view text, ReaderOptions opts) {
  std::vector<std::vector<std::string>> out;
  Reader r(text, std::move(opts));
  Row row;
  while (r.next(row)) out.push_back(row.to_strings());
  return out;
}

namespace {

inline bool needs_quoting(std::string_view f, std::string_view d, char q, std::string_view lt) {
  const char d0 = d[0];
  if (d.size() == 1 && lt.size() <= 2) {
    const char l0 = lt.empty() ? q : lt[0];
    const char l1 = lt.size() < 2 ? l0 : lt[1];
    for (char c : f)
      if (c == q || c == d0 || c == l0 || c == l1) return true;
    return false;
  }
  if (f.find(q) != std::string_view::npos || f.find(d) != std::string_view::npos) return true;
  return !lt.empty() && f.find_first_of(lt) != std::string_view::npos;
}

template <class Get>
void write_impl(std::string& out, std::size_t n, Get get, const WriterOptions& o) {
  const char q = o.quotechar;
  const std::string_view d = o.delimiter.empty() ? std::string_view(",") : o.delimiter;
  const std::string_view lt = o.lineterminator;
  if (n == 1 && get(0).empty()) {
    out.push_back(q);
    out.push_back(q);
    out.append(lt);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out.append(d);
    const std::string_view f = get(i);
    if (!needs_quoting(f, d, q, lt)) {
      out.append(f);
      continue;
    }
    out.push_back(q);
    std::size_t start = 0;
    for (std::size_t k = 0; k < f.size(); ++k) {
      if (f[k] == q) {
        out.append(f.substr(start, k + 1 - start));
        out.push_back(q);
        start = k + 1;
      }
    }
    out.append(f.substr(start));
    out.push_back(q);
  }
  out.append(lt);
}

}  // namespace

void write_row(std::string& out, std::span<const std::string_view> fields,
               const WriterOptions& opts) {
  write_impl(
      out, fields.size(), [&](std::size_t i) { return fields[i]; }, opts);
}

void write_row(std::string& out, std::span<const std::string> fields, const WriterOptions& opts) {
  write_impl(
      out, fields.size(), [&](std::size_t i) { return std::string_view(fields[i]); }, opts);
}

void write_row(std::string& out, const Row& row, const WriterOptions& opts) {
  write_impl(
      out, row.size(), [&](std::size_t i) { return row[i]; }, opts);
}

std::string_view detect_line_ending(std::string_view text) noexcept {
  bool lf = false, crlf = false, cr = false;
  const std::size_t n = text.size();
  const char* s = text.data();
  if (n == 0 || std::memchr(s, '\r', n) == nullptr)  // fast path: no CR at all
    return (n != 0 && std::memchr(s, '\n', n) != nullptr) ? "\n" : "\r\n";
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[i];
    if (c == '\n') {
      lf = true;
    } else if (c == '\r') {
      if (i + 1 < n && s[i + 1] == '\n') {
        crlf = true;
        ++i;
      } else {
        cr = true;
      }
    } else {
      continue;
    }
    if (int(lf) + int(crlf) + int(cr) > 1) return "\r\n";
  }
  if (lf) return "\n";
  if (cr) return "\r";
  return "\r\n";
}

std::size_t line_length(std::string_view text) noexcept {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') return i + 1;
    if (text[i] == '\r') return (i + 1 < text.size() && text[i + 1] == '\n') ? i + 2 : i + 1;
  }
  return text.size();
}

std::size_t terminator_length(std::string_view line) noexcept {
  if (line.ends_with("\r\n")) return 2;
  if (line.ends_with('\n') || line.ends_with('\r')) return 1;
  return 0;
}

}  // namespace intelflow::bots::csv
