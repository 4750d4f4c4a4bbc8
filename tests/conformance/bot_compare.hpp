// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The comparison rules of the bot cases (conformance README "Comparison
/// rule" and side channels), on values read with Python json.loads
/// semantics: messages per destination path, Redis cache contents and files.
/// Every difference becomes one readable line naming where it is
/// (path, message index, key): expected vs got.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/value.hpp"

namespace intelflow::conformance {

/// Equality of JSON-like values as the reference test's assertDictEqual sees
/// them after json.loads: numbers by value (100 == 100.0; bools are not
/// numbers here), strings byte for byte, lists in order, dicts by key set.
bool same_json_value(const harm::Value& a, const harm::Value& b);

/// Compares the messages one path got with the expected ones (both JSON
/// objects as Values): equal count, message i with expected i, dropping
/// `time.observation` and `ignore_fields` (`output.X` drops X inside the
/// decoded `output`), `output` compared JSON-decoded. Diffs are prefixed
/// with `label` (e.g. "path _default").
void compare_messages(const std::string& label, const harm::Value::List& expected,
                      const std::vector<harm::Value>& actual,
                      const std::vector<std::string>& ignore_fields,
                      std::vector<std::string>& diffs);

/// One key of a Redis database as the case format describes it.
struct CacheEntry {
  std::string type;  ///< "string", "list", "hash", "set", "zset"
  harm::Value value;
  std::int64_t ttl = -1;  ///< Redis TTL: -1 no expiry
};

/// Compares `cache_after` ({key: {type, value, ttl}}) with the database:
/// same keys, types and values; TTL loosely (expected none → no expiry;
/// expected n > 0 → an expiry of at most n seconds).
void compare_cache(const harm::Value& expected, const std::map<std::string, CacheEntry>& actual,
                   std::vector<std::string>& diffs);

/// What is on disk at one path of `output_files`.
struct FileState {
  bool exists = false;
  bool is_dir = false;
  std::string content;                       ///< file
  std::map<std::string, std::string> files;  ///< dir: relative name → content
};
/// Reads a file or directory (recursively, relative names with '/').
FileState read_file_state(const std::string& path);

/// Compares one `output_files` entry ({type, content}) with the disk.
/// `names_random`: generated file names (case notes say so): a directory is
/// compared by its multiset of contents.
void compare_file(const std::string& path, const harm::Value& expected, const FileState& actual,
                  bool names_random, std::vector<std::string>& diffs);

/// A short rendering of a value for a diff line (long strings are cut).
std::string short_render(const harm::Value& v, std::size_t max_len = 120);

}  // namespace intelflow::conformance
