// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/export.hpp"

#include <algorithm>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {

using harm::ErrorKind;
using harm::HarmonizationError;
using harm::Message;
using harm::Value;

ExportOptions ExportOptions::from_params(const api::Params& p) {
  ExportOptions o;
  o.hierarchical = p.get_bool("hierarchical_output") || p.get_bool("message_hierarchical") ||
                   p.get_bool("message_hierarchical_output");
  o.with_type = p.get_bool("message_with_type") || p.get_bool("with_type");
  o.jsondict_as_string = p.get_bool("message_jsondict_as_string");
  o.keep_raw = p.get_bool("keep_raw_field");
  // Python truthiness: a false/empty single_key means "not set".
  const Value* sk = p.find("single_key");
  if (sk != nullptr && sk->truthy())
    o.single_key = sk->is_string() ? sk->as_string() : harm::py::str(*sk);
  return o;
}

std::string base64_decode_text(std::string_view b64) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string bytes;
  bytes.reserve(b64.size() / 4 * 3);
  std::uint32_t acc = 0;
  int n = 0;
  for (char c : b64) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) continue;  // b64decode(validate=False) discards other characters
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      bytes += static_cast<char>((acc >> 16) & 0xFF);
      bytes += static_cast<char>((acc >> 8) & 0xFF);
      bytes += static_cast<char>(acc & 0xFF);
      acc = 0;
      n = 0;
    }
  }
  if (n == 2) {
    bytes += static_cast<char>((acc >> 4) & 0xFF);
  } else if (n == 3) {
    bytes += static_cast<char>((acc >> 10) & 0xFF);
    bytes += static_cast<char>((acc >> 2) & 0xFF);
  }
  if (harm::uni::valid_utf8(bytes)) return bytes;
  return harm::uni::decode_utf8_ignore(bytes);
}

namespace {

/// The JSON-decoded `output` if that is a string, else the stored text.
void single_output(const Message& ev, std::string& out) {
  const Value* v = ev.find("output");
  if (v == nullptr)
    throw HarmonizationError(ErrorKind::ValueError,
                             "the JSON object must be str, bytes or bytearray, "
                             "not NoneType");
  std::string text = v->is_string() ? v->as_string() : harm::py::str(*v);
  Value loaded;
  if (!harm::py::json_loads(text, loaded))
    throw HarmonizationError(ErrorKind::ValueError, "output is not valid JSON");
  if (loaded.is_string())
    out += loaded.as_string();
  else
    out += text;
}

/// to_json(hierarchical=false) without `raw` (unless kept), written straight
/// from the entries: sorted keys, UTF-8 kept, ", "/": " separators.
bool flat_json(const Message& ev, bool with_type, bool keep_raw, std::string& out) {
  thread_local std::vector<const Message::Entry*> order;
  order.clear();
  for (const auto& e : ev.entries()) {
    if (e.key == "__type") return false;  // let the message layer decide
    if (!keep_raw && e.key == "raw") continue;
    order.push_back(&e);
  }
  std::sort(order.begin(), order.end(),
            [](const Message::Entry* a, const Message::Entry* b) { return a->key < b->key; });
  harm::py::JsonOptions jo;
  jo.sort_keys = true;
  jo.ensure_ascii = false;
  out += '{';
  bool first = true;
  auto sep = [&] {
    if (!first) out += ", ";
    first = false;
  };
  bool type_done = !with_type;
  std::string_view kind = harm::kind_name(ev.kind());
  for (const Message::Entry* e : order) {
    if (!type_done && e->key > std::string_view("__type")) {
      sep();
      out += "\"__type\": ";
      harm::py::append_json_string(out, kind, false);
      type_done = true;
    }
    sep();
    harm::py::append_json_string(out, e->key, false);
    out += ": ";
    harm::py::append_json(out, e->value, jo);
  }
  if (!type_done) {
    sep();
    out += "\"__type\": ";
    harm::py::append_json_string(out, kind, false);
  }
  out += '}';
  return true;
}

}  // namespace

void export_text(const Message& ev, const ExportOptions& o, std::string& out) {
  if (o.single_key) {
    const std::string& k = *o.single_key;
    if (k == "raw") {
      const Value* raw = ev.find("raw");
      if (raw != nullptr && raw->is_string()) out += base64_decode_text(raw->as_string());
      return;
    }
    if (k == "output") {
      single_output(ev, out);
      return;
    }
    Value v = ev.get(k);
    if (v.is_string())
      out += v.as_string();
    else
      out += harm::py::str(v);
    return;
  }
  if (!o.hierarchical && flat_json(ev, o.with_type, o.keep_raw, out)) return;
  if (!o.keep_raw && ev.contains("raw")) {
    Message copy = ev;
    copy.erase("raw");
    copy.to_json_to(out, o.hierarchical, o.with_type);
    return;
  }
  ev.to_json_to(out, o.hierarchical, o.with_type);
}

Value export_value(const Message& ev, const ExportOptions& o) {
  if (o.single_key) {
    const std::string& k = *o.single_key;
    if (k == "raw") {
      const Value* raw = ev.find("raw");
      return Value::string(raw != nullptr && raw->is_string() ? base64_decode_text(raw->as_string())
                                                              : std::string());
    }
    if (k == "output") {
      const Value* v = ev.find("output");
      if (v == nullptr)
        throw HarmonizationError(ErrorKind::ValueError,
                                 "the JSON object must be str, bytes or bytearray, not NoneType");
      Value loaded;
      if (!harm::py::json_loads(v->is_string() ? v->as_string() : harm::py::str(*v), loaded))
        throw HarmonizationError(ErrorKind::ValueError, "output is not valid JSON");
      return loaded;
    }
    return ev.get(k);
  }
  if (!o.keep_raw && ev.contains("raw")) {
    Message copy = ev;
    copy.erase("raw");
    return copy.to_dict(o.hierarchical, o.with_type, o.jsondict_as_string);
  }
  return ev.to_dict(o.hierarchical, o.with_type, o.jsondict_as_string);
}

}  // namespace intelflow::bots
