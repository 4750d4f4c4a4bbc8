// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ-format dump files (`<log dir>/<bot_id>.dump`, core.md §4.3): a JSON
/// object keyed by the UTC time of each dump. One DumpFile per bot; entries are
/// collected in memory and the file is rewritten (tmp + fsync + rename, under
/// an exclusive flock) by flush(), which the node calls once per batch.
/// Thread-safe (internal mutex).

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace intelflow::graph {

struct DumpEntry {
  std::string timestamp;  ///< key: YYYY-MM-DDTHH:MM:SS[.ffffff]
  std::string bot_id;
  std::string source_queue;
  std::string traceback;  ///< error text
  std::string message;    ///< serialized message, or base64 text when `base64`
  bool base64 = false;    ///< message_type: base64
  /// "seq:id" of the failed message (key `intelflow_origin`, ignored by
  /// IntelMQ tools): a replay after a crash does not dump the same failure twice.
  std::string origin;
};

class DumpFile {
 public:
  DumpFile(std::string path, std::string bot_id, std::string source_queue);
  /// Queues an entry (not yet durable).
  void add(std::string message, std::string_view error, bool base64 = false,
           std::string origin = {});
  /// Writes pending entries durably. Returns false (and logs nothing) on I/O error.
  bool flush();
  std::uint64_t count() const;
  const std::string& path() const noexcept { return path_; }

  /// Reads a dump file (IntelMQ's or ours). Throws std::runtime_error on bad JSON.
  static std::vector<DumpEntry> read(const std::string& path);
  /// Writes entries as a complete dump file (durably, atomically).
  static void write(const std::string& path, const std::vector<DumpEntry>& entries);

 private:
  std::string unique_timestamp();
  mutable std::mutex mu_;
  std::string path_, bot_id_, source_queue_;
  std::vector<DumpEntry> pending_;
  std::string last_ts_;
  std::uint64_t count_ = 0;
  bool loaded_ = false;
  std::vector<DumpEntry> entries_;
};

}  // namespace intelflow::graph
