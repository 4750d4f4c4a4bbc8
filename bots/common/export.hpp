// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ's OutputBot.export_event (core.md §6.4): the shared export options
/// (hierarchical_output, message_with_type, message_jsondict_as_string,
/// keep_raw_field, single_key; declared in api::output_params()) read once at
/// init, and the text / value form of an event they select. Every output bot
/// uses this. Options are immutable; the functions are thread-safe.

#include <optional>
#include <string>

#include "engine/api/params.hpp"
#include "harmonization/message.hpp"

namespace intelflow::bots {

/// The export options of one output bot.
struct ExportOptions {
  bool hierarchical = false;              ///< hierarchical_output | message_hierarchical[_output]
  bool with_type = false;                 ///< message_with_type | with_type
  bool jsondict_as_string = false;        ///< message_jsondict_as_string (value form only)
  bool keep_raw = false;                  ///< keep_raw_field
  std::optional<std::string> single_key;  ///< export only this field (empty = unset)

  /// Reads the options; an alias counts when the main key is false.
  static ExportOptions from_params(const api::Params& p);
};

/// export_event(event, return_type=str), appended to `out` (no newline):
/// single_key `raw` → the base64-decoded text; `output` → the JSON-decoded
/// value if it is a string, else the stored JSON text; any other key → str()
/// of its value ("None" if absent). Without single_key: `raw` dropped unless
/// keep_raw, then to_json(hierarchical, with_type) — sorted keys, UTF-8 kept
/// (message_jsondict_as_string has no effect on text, as in the reference).
/// Throws HarmonizationError when `output` is absent or not JSON.
void export_text(const harm::Message& ev, const ExportOptions& opts, std::string& out);

/// export_event(event) without a return type: the single key's value
/// (`raw` decoded text, `output` JSON-decoded, else the value or null), or
/// to_dict(hierarchical, with_type, jsondict_as_string) minus `raw` unless keep_raw.
harm::Value export_value(const harm::Message& ev, const ExportOptions& opts);

/// Python base64.b64decode (non-alphabet characters skipped), then UTF-8
/// decoded with invalid bytes dropped (IntelMQ's utils.base64_decode).
std::string base64_decode_text(std::string_view b64);

}  // namespace intelflow::bots
