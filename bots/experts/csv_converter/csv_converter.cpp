// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.csv_converter.expert: writes selected fields as one CSV line into `output`.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/csv.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::Message;
using api::Value;

/// Python str.rstrip() for ASCII whitespace (what a CSV line can end with).
void rstrip(std::string& s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r' ||
          s.back() == '\v' || s.back() == '\f' || s.back() == '\x1c' || s.back() == '\x1d' ||
          s.back() == '\x1e' || s.back() == '\x1f'))
    s.pop_back();
}

/// `output` = csv.writer row of `fieldnames` (absent fields empty), line
/// terminator and trailing whitespace stripped. Stateless: runs concurrently.
class CsvConverterExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    // str.split(','): the parts are not trimmed (reference behaviour).
    const std::string names = params().get_string("fieldnames");
    std::size_t start = 0;
    while (true) {
      const auto comma = names.find(',', start);
      fields_.push_back(names.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    delimiter_ = params().get_string("delimiter", ",");
    if (delimiter_.size() != 1)
      throw api::ConfigError("delimiter", "must be a 1-character string, got '" + delimiter_ + "'");
  }

  void process(Message& ev, api::Emitter& out) override {
    std::vector<std::string> row;
    row.reserve(fields_.size());
    for (const auto& f : fields_) {
      if (f == "extra") {
        row.push_back(ev.contains("extra") ? ev.getitem("extra").as_string() : std::string());
        continue;
      }
      const Value* v = ev.find(f);
      if (v == nullptr || v->is_null())
        row.emplace_back();
      else
        row.push_back(v->is_string() ? v->as_string() : harm::py::str(*v));
    }
    std::string line;
    csv::WriterOptions opts;
    opts.delimiter = delimiter_;
    csv::write_row(line, std::span<const std::string>(row), opts);
    rstrip(line);
    ev.add("output", Value::string(std::move(line)));  // an existing output: KeyExists
    out.send(std::move(ev));
  }

 private:
  std::vector<std::string> fields_;
  std::string delimiter_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.csv_converter.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Writes the configured fields of an event as one CSV line into `output`.",
    .params = {api::ParamSpec{"fieldnames", api::ParamType::String,
                              "\"time.source,classification.type,source.ip\"", false,
                              "Comma-separated fields, in column order (absent fields give empty "
                              "columns; parts are not trimmed)."},
               api::ParamSpec{"delimiter", api::ParamType::String, "\",\"", false,
                              "Column delimiter (one character)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<CsvConverterExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
