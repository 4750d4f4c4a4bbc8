// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// The write-ahead log: every message accepted into the graph is written here
/// once, at ingress (DATA), and acknowledged (ACK) when everything derived
/// from it was delivered, dropped by a rule, or dumped. After a crash,
/// recovery replays every DATA record without an ACK.
///
/// On disk: `<dir>/<first seq, 20 digits>.wal` segments (preallocated),
/// `<dir>/checkpoint`, `<dir>/LOCK` (flock: one daemon per dir),
/// `<dir>/quarantine/` (copies of segments found corrupt). A record is
/// `u32 len | u32 crc32c | u64 seq | u8 type | u8 flags | u16 source | u32 aux`
/// then `len` payload bytes, padded to 8; the CRC covers everything after
/// itself. Records never span segments.
///
/// Threads: any thread may append/ack/wait; one writer thread does every
/// write and fdatasync (group commit: all records queued while the previous
/// write was in progress go out in one pwritev and one sync).
///
/// Power-loss simulation (tests): the WAL remembers how far each segment was
/// synced. The fault point `wal.power_loss` (INTELFLOW_FAULT=wal.power_loss:<n>,
/// hit once per group-commit round, after the write and before its sync) and
/// simulate_power_loss_for_test() overwrite everything written after that
/// offset with zeros, as a lost page cache would, and then crash. With
/// INTELFLOW_POWER_LOSS_TAIL=garbage a torn record is left at the synced
/// offset instead of clean zeros.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace intelflow::wal {

enum class Fsync : std::uint8_t { Always, Interval, Never };
enum class RecordType : std::uint8_t { Data = 1, Ack = 2, Pad = 3, Output = 4 };

struct Options {
  std::string dir;
  Fsync fsync = Fsync::Always;
  int interval_ms = 50;
  std::uint64_t segment_bytes = 64ull << 20;
  /// Appends block while the live log (un-acknowledged segments) exceeds this.
  std::uint64_t max_bytes = 1ull << 30;
};

/// A DATA record found without ACK at recovery.
struct Pending {
  std::uint64_t seq;
  std::uint16_t source;
  std::uint32_t aux;
  std::string payload;
};

struct RecoveryReport {
  std::uint64_t segments = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes_scanned = 0;
  std::uint64_t torn_tail_bytes = 0;     ///< cut from the end of the last segment
  std::uint64_t corrupt_regions = 0;     ///< skipped regions inside segments
  std::vector<std::string> quarantined;  ///< copies of corrupt segments
  std::vector<std::string> notes;        ///< human-readable findings
  std::uint64_t acked = 0;
  /// Un-acknowledged DATA records that were inside damaged regions (counted
  /// from the sequence gap; messages that cannot be replayed).
  std::uint64_t lost_records = 0;
  double scan_seconds = 0;       ///< time spent reading and checking the segments
  std::vector<Pending> pending;  ///< to replay, in seq order
  /// OUTPUT records (append_output payloads), in log order.
  std::vector<std::string> outputs;
};

class Wal {
 public:
  /// Locks and recovers `opts.dir` (created if missing). Throws
  /// std::runtime_error if another process holds the lock or the dir is unusable.
  Wal(Options opts, RecoveryReport& report);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  /// Queues a DATA record; returns its sequence number. Blocks while the live
  /// log exceeds max_bytes (back-pressure to disk) unless the log is closing.
  std::uint64_t append(std::string_view payload, std::uint16_t source = 0, std::uint32_t aux = 0);
  /// Blocks until `seq` is durable (fsync Always: synced; otherwise: written).
  void wait_durable(std::uint64_t seq);
  /// append + wait_durable.
  std::uint64_t append_durable(std::string_view payload, std::uint16_t source = 0,
                               std::uint32_t aux = 0);
  /// Marks `seq` finished. Not waited on: a crash before the ACK is durable
  /// replays the record (at least once).
  void ack(std::uint64_t seq);
  /// Queues an OUTPUT record (what an output has written, see Pipeline);
  /// not waited on. The latest record per `key` is repeated at the start of
  /// every new segment, so retiring old segments never loses it.
  void append_output(const std::string& key, std::string payload);
  /// Writes everything queued, syncs, writes a clean checkpoint, stops the writer.
  void close();

  std::uint64_t live_bytes() const noexcept { return live_bytes_.load(); }
  std::uint64_t segment_count() const;
  std::uint64_t last_seq() const noexcept { return next_seq_.load() - 1; }
  const Options& options() const noexcept { return opts_; }

  /// Test hook: crash-like stop — the writer thread stops without syncing
  /// or checkpointing, as if the process died now.
  void abandon_for_test();
  /// Test hook: abandon_for_test(), then drop every byte written after the
  /// last fdatasync of each segment (zeros over it), as a power failure
  /// loses the page cache. Only what was synced survives.
  void simulate_power_loss_for_test();

 private:
  struct Segment {
    std::uint64_t first_seq;
    std::string path;
    int fd = -1;
    std::uint64_t size = 0;       ///< bytes used
    std::uint64_t synced = 0;     ///< bytes known on stable storage (fdatasync'd)
    std::uint64_t unacked = 0;    ///< DATA records not yet acknowledged
    bool closed = false;          ///< no more appends
    std::uint64_t accounted = 0;  ///< bytes counted in live_bytes_
  };
  struct Queued {
    std::uint64_t seq;
    RecordType type;
    std::uint16_t source;
    std::uint32_t aux;
    std::string payload;
  };

  void recover(RecoveryReport& report);
  void writer_loop();
  void write_batch(std::vector<Queued>& batch);
  Segment& open_segment(std::uint64_t first_seq);
  void retire_segments_locked();
  void write_checkpoint(bool clean);
  /// Zeroes [synced, size) of every segment (power-loss simulation).
  void discard_unsynced();

  Options opts_;
  int lock_fd_ = -1;
  std::atomic<std::uint64_t> next_seq_{1};
  std::atomic<std::uint64_t> live_bytes_{0};

  mutable std::mutex mu_;               ///< queue_, segments_, seq_segment_, acked_
  std::condition_variable queue_cv_;    ///< writer waits for work
  std::condition_variable durable_cv_;  ///< appenders wait for durability
  std::condition_variable space_cv_;    ///< appenders wait for space
  std::vector<Queued> queue_;
  std::vector<std::uint64_t> ack_queue_;
  std::map<std::string, std::string> sticky_;  ///< latest OUTPUT payload per key (writer thread)
  std::map<std::uint64_t, std::unique_ptr<Segment>> segments_;  ///< by first seq
  std::map<std::uint64_t, std::uint64_t> seq_segment_;  ///< unacked DATA seq -> segment first seq
  std::uint64_t durable_seq_ = 0;
  bool closing_ = false;
  bool abandoned_ = false;
  std::thread writer_;
};

}  // namespace intelflow::wal
