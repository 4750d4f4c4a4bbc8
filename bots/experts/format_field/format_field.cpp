// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.format_field.expert: strips, replaces in and splits field values.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Byte offsets of the code points of UTF-8 text (plus the end offset).
std::vector<std::size_t> code_point_offsets(std::string_view s) {
  std::vector<std::size_t> offs;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) offs.push_back(i);
  offs.push_back(s.size());
  return offs;
}

/// Python str.strip(chars): removes leading and trailing code points that are in `chars`.
std::string py_strip(std::string_view s, std::string_view chars) {
  const auto offs = code_point_offsets(s);
  const auto cps = code_point_offsets(chars);
  auto in_set = [&](std::string_view cp) {
    for (std::size_t k = 0; k + 1 < cps.size(); ++k)
      if (chars.substr(cps[k], cps[k + 1] - cps[k]) == cp) return true;
    return false;
  };
  std::size_t b = 0, e = offs.size() - 1;  // code point indices [b, e)
  while (b < e && in_set(s.substr(offs[b], offs[b + 1] - offs[b]))) ++b;
  while (e > b && in_set(s.substr(offs[e - 1], offs[e] - offs[e - 1]))) --e;
  return std::string(s.substr(offs[b], offs[e] - offs[b]));
}

/// Python str.replace(old, new, count); count < 0 = all.
std::string py_replace(std::string_view s, std::string_view old_value, std::string_view new_value,
                       std::int64_t count) {
  std::string out;
  if (old_value.empty()) {
    // An empty pattern matches before every code point and at the end.
    const auto offs = code_point_offsets(s);
    std::int64_t done = 0;
    for (std::size_t k = 0; k < offs.size(); ++k) {
      if (count < 0 || done < count) {
        out += new_value;
        ++done;
      }
      if (k + 1 < offs.size()) out += s.substr(offs[k], offs[k + 1] - offs[k]);
    }
    return out;
  }
  std::size_t pos = 0;
  std::int64_t done = 0;
  while (count < 0 || done < count) {
    const auto hit = s.find(old_value, pos);
    if (hit == std::string_view::npos) break;
    out += s.substr(pos, hit - pos);
    out += new_value;
    pos = hit + old_value.size();
    ++done;
  }
  out += s.substr(pos);
  return out;
}

/// Python str.split(sep) (sep non-empty) or str.split() (sep absent: runs of
/// ASCII whitespace, no empty parts).
Value py_split(std::string_view s, const std::optional<std::string>& sep) {
  Value::List parts;
  if (!sep) {
    std::size_t i = 0;
    while (true) {
      while (i < s.size() && std::string_view(" \t\n\r\v\f").find(s[i]) != std::string_view::npos)
        ++i;
      if (i >= s.size()) break;
      std::size_t j = i;
      while (j < s.size() && std::string_view(" \t\n\r\v\f").find(s[j]) == std::string_view::npos)
        ++j;
      parts.push_back(Value::string(s.substr(i, j - i)));
      i = j;
    }
    return Value::list(std::move(parts));
  }
  std::size_t start = 0;
  while (true) {
    const auto hit = s.find(*sep, start);
    parts.push_back(Value::string(s.substr(start, hit - start)));
    if (hit == std::string_view::npos) break;
    start = hit + sep->size();
  }
  return Value::list(std::move(parts));
}

const std::string& text_of(const Value& v, std::string_view column) {
  if (!v.is_string())
    throw std::runtime_error("format_field: value of '" + std::string(column) + "' is a " +
                             std::string(harm::py::type_name(v)) + ", not text");
  return v.as_string();
}

/// In order: strip `strip_columns` of `strip_chars`; replace `old_value` by
/// `new_value` (at most `replace_count` times) in `replace_column`; split
/// `split_column` on `split_separator` into a list. Falsy values are left
/// alone; every change is written with overwrite. Stateless: concurrent.
class FormatFieldExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    strip_columns_ = p.get_string_list("strip_columns", ',');
    strip_chars_ = p.get_string("strip_chars", " ");
    split_column_ = p.get_string("split_column");
    split_separator_ = p.get_optional_string("split_separator");
    if (split_separator_ && split_separator_->empty())
      throw ConfigError("split_separator", "empty separator");
    replace_column_ = p.get_string("replace_column");
    old_value_ = p.get_optional_string("old_value");
    new_value_ = p.get_optional_string("new_value");
    replace_count_ = p.get_int("replace_count", 1);
    if (!replace_column_.empty() && (!old_value_ || !new_value_))
      throw ConfigError("replace_column", "needs old_value and new_value");
  }

  void process(Message& ev, api::Emitter& out) override {
    harm::AddOptions overwrite;
    overwrite.overwrite = true;
    for (const auto& column : strip_columns_) {
      const Value* v = ev.find(column);
      if (v == nullptr || !v->truthy()) continue;
      ev.add(column, Value::string(py_strip(text_of(*v, column), strip_chars_)), overwrite);
    }
    if (!replace_column_.empty()) {
      const Value* v = ev.find(replace_column_);
      if (v != nullptr && v->truthy())
        ev.add(replace_column_,
               Value::string(py_replace(text_of(*v, replace_column_), *old_value_, *new_value_,
                                        replace_count_)),
               overwrite);
    }
    if (!split_column_.empty()) {
      const Value* v = ev.find(split_column_);
      if (v != nullptr && v->truthy())
        ev.add(split_column_, py_split(text_of(*v, split_column_), split_separator_), overwrite);
    }
    out.send(std::move(ev));
  }

 private:
  std::vector<std::string> strip_columns_;
  std::string strip_chars_;
  std::string split_column_;
  std::optional<std::string> split_separator_;
  std::string replace_column_;
  std::optional<std::string> old_value_, new_value_;
  std::int64_t replace_count_ = 1;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.format_field.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Strips characters from, replaces text in and splits field values.",
    .params = {api::ParamSpec{"strip_columns", api::ParamType::StringOrList, "null", false,
                              "Fields to strip: a list or a comma-separated string."},
               api::ParamSpec{"strip_chars", api::ParamType::String, "\" \"", false,
                              "The characters stripped from both ends (each one, as Python's "
                              "str.strip(chars))."},
               api::ParamSpec{"replace_column", api::ParamType::String, "null", false,
                              "Field in which old_value is replaced by new_value."},
               api::ParamSpec{"old_value", api::ParamType::String, "null", false,
                              "Text to replace."},
               api::ParamSpec{"new_value", api::ParamType::String, "null", false, "Replacement."},
               api::ParamSpec{"replace_count", api::ParamType::Int, "1", false,
                              "At most this many replacements (-1: all)."},
               api::ParamSpec{"split_column", api::ParamType::String, "null", false,
                              "Field split into a list."},
               api::ParamSpec{"split_separator", api::ParamType::String, "\",\"", false,
                              "Separator for split_column (null: runs of whitespace)."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<FormatFieldExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
