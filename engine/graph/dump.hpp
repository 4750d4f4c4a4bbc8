// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// IntelMQ-format dump files (`<log dir>/<bot_id>.dump`, core.md §4.3): a JSON
/// object keyed by the UTC time of each dump. One DumpFile per bot; entries are
/// collected in memory and the file is rewritten (tmp + fsync + rename, under
/// an exclusive flock on `<file>.lock`) by flush(), which the node calls once
/// per batch. The parsed content is kept after the first load and read again
/// only when the file changed on disk (device, inode, size, mtime — checked
/// under the lock: `intelflow dump` may have rewritten it).
/// Thread-safe (internal mutex).

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
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
  bool operator==(const DumpEntry&) const = default;
};

/// The exclusive flock on `<dump file>.lock` that every writer of a dump file
/// takes (the daemon's DumpFile, `intelflow dump`, the re-injection watcher).
/// Released by the destructor.
class DumpLock {
 public:
  /// Waits up to `timeout_s` seconds; throws std::runtime_error when it does
  /// not get the lock. `on_wait` (if set) is called once when it has to wait.
  explicit DumpLock(const std::string& dump_path, double timeout_s = 60,
                    void (*on_wait)(const std::string&) = nullptr);
  /// Takes the lock only if it is free now.
  static std::optional<DumpLock> try_lock(const std::string& dump_path);
  ~DumpLock();
  DumpLock(DumpLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DumpLock& operator=(DumpLock&&) = delete;
  DumpLock(const DumpLock&) = delete;

 private:
  DumpLock() = default;
  int fd_ = -1;
};

/// Writes `data` as the whole file `path`, atomically and durably (tmp file,
/// fdatasync, rename, fsync of the directory); creates the directory.
void write_file_durably(const std::string& path, const std::string& data);

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
  /// How often flush() parsed the file (tests: the cache works).
  std::uint64_t loads() const;

  /// Reads a dump file (IntelMQ's or ours). Throws std::runtime_error on bad JSON.
  static std::vector<DumpEntry> read(const std::string& path);
  /// Writes entries as a complete dump file (durably, atomically); an empty
  /// list removes the file.
  static void write(const std::string& path, const std::vector<DumpEntry>& entries);
  /// The file's text for `entries` (sorted by timestamp; indent 4, sorted keys).
  static std::string render(const std::vector<DumpEntry>& entries);

 private:
  /// What identifies one version of the file on disk.
  struct FileId {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileId&) const = default;
  };
  static FileId stat_file(const std::string& path);
  std::string unique_timestamp();
  mutable std::mutex mu_;
  std::string path_, bot_id_, source_queue_;
  std::vector<DumpEntry> pending_;
  std::string last_ts_;
  std::uint64_t count_ = 0;
  bool loaded_ = false;
  FileId loaded_id_;
  std::vector<DumpEntry> entries_;  ///< what the file holds (when loaded_)
  std::unordered_set<std::string> origins_;
  std::uint64_t loads_ = 0;
};

}  // namespace intelflow::graph
