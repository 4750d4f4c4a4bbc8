// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/csv_dict.hpp"

#include <stdexcept>

#include "harmonization/unicode.hpp"

namespace intelflow::bots::csvdict {

std::string prepare_text(std::string_view decoded_raw) {
  std::string_view s = harm::uni::strip(decoded_raw);
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\0') out.push_back(c);
  return out;
}

std::string filter_lines(std::string_view text, std::span<const std::string> prefixes) {
  if (prefixes.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t len = csv::line_length(text);
    const std::string_view line = text.substr(0, len);
    bool drop = false;
    for (const auto& p : prefixes)
      if (line.starts_with(p)) drop = true;
    if (!drop) out.append(line);
    text.remove_prefix(len);
  }
  return out;
}

std::string_view last_physical_line(std::string_view rec) noexcept {
  std::size_t end = rec.size();
  if (end > 0 && rec[end - 1] == '\n') --end;
  if (end > 0 && rec[end - 1] == '\r') --end;
  const std::size_t nl = rec.find_last_of("\r\n", end == 0 ? 0 : end - 1);
  if (end == 0 || nl == std::string_view::npos) return rec;
  return rec.substr(nl + 1);
}

namespace {
std::string make_text(std::string_view raw, const Options& o) {
  std::string t = prepare_text(raw);
  if (!o.ignore_prefixes.empty()) t = filter_lines(t, o.ignore_prefixes);
  return t;
}

void write_quoted_all(std::string& out, std::span<const std::string> fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : fields[i]) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
}
}  // namespace

DictParse::DictParse(std::string_view decoded_raw, Options opts)
    : opts_(std::move(opts)), text_(make_text(decoded_raw, opts_)), reader_(text_) {
  line_ending_ = csv::detect_line_ending(text_);
  // DictReader.fieldnames: the first record, even an empty one.
  if (reader_.next(row_)) fieldnames_ = row_.to_strings();
  if (opts_.quote_all) {
    write_quoted_all(header_line_, fieldnames_);
    header_line_.append(line_ending_);
  } else {
    csv::write_row(header_line_, std::span<const std::string>(fieldnames_),
                   {.lineterminator = line_ending_});
  }
}

int DictParse::column(std::string_view name) const noexcept {
  for (std::size_t i = fieldnames_.size(); i-- > 0;)
    if (fieldnames_[i] == name) return static_cast<int>(i);
  return -1;
}

bool DictParse::next() {
  while (reader_.next(row_)) {
    if (row_.empty()) continue;  // DictReader skips empty records
    row_.views(fields_);
    current_line_ = last_physical_line(reader_.record_text());
    return true;
  }
  fields_.clear();
  return false;
}

std::string DictParse::recover_text(std::string_view text) const {
  std::string out = header_line_;
  out.append(text);
  return std::string(harm::uni::strip(out));
}

std::string DictParse::recover_row() const {
  if (has_surplus()) throw std::runtime_error("dict contains fields not in fieldnames: None");
  std::vector<std::string_view> vals;
  vals.reserve(fieldnames_.size());
  for (const auto& name : fieldnames_) {
    const auto v = value(column(name));
    vals.push_back(v ? *v : std::string_view());
  }
  std::string out = header_line_;
  csv::write_row(out, std::span<const std::string_view>(vals), {.lineterminator = line_ending_});
  return std::string(harm::uni::strip(out));
}

}  // namespace intelflow::bots::csvdict
