// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/wal/wal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "engine/wal/crc32c.hpp"
#include "engine/wal/fault.hpp"

namespace intelflow::wal {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kHeader = 24;
constexpr std::uint32_t kMaxPayload = 512u << 20;

std::size_t padded(std::size_t n) {
  return (n + 7) & ~std::size_t{7};
}

void put32(unsigned char* p, std::uint32_t v) {
  std::memcpy(p, &v, 4);
}
void put64(unsigned char* p, std::uint64_t v) {
  std::memcpy(p, &v, 8);
}
std::uint32_t get32(const unsigned char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
std::uint64_t get64(const unsigned char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

/// Appends one framed record to `out`.
void frame(std::string& out, std::uint64_t seq, RecordType type, std::uint16_t source,
           std::uint32_t aux, std::string_view payload) {
  std::size_t start = out.size();
  out.resize(start + kHeader + padded(payload.size()), '\0');
  auto* h = reinterpret_cast<unsigned char*>(out.data() + start);
  put32(h, static_cast<std::uint32_t>(payload.size()));
  put64(h + 8, seq);
  h[16] = static_cast<unsigned char>(type);
  h[17] = 0;
  std::uint16_t s = source;
  std::memcpy(h + 18, &s, 2);
  put32(h + 20, aux);
  std::memcpy(h + kHeader, payload.data(), payload.size());
  std::uint32_t crc = crc32c(h + 8, kHeader - 8 + payload.size());
  put32(h + 4, crc);
}

std::string segment_name(std::uint64_t first_seq) {
  return fmt::format("{:020d}.wal", first_seq);
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

/// The whole file (empty if it cannot be read), with plain read(2) calls.
std::string read_file(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (true) {
    if (got == out.size()) out.resize(std::max<std::size_t>(4096, out.size() * 2));
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  ::close(fd);
  return out;
}

/// True if a well-formed record (known type, matching CRC, inside the buffer)
/// starts at `off`. Cheap checks first: probing a damaged region calls this
/// at every 8-byte boundary.
bool record_at(const unsigned char* p, std::size_t size, std::size_t off) {
  if (off + kHeader > size) return false;
  std::uint32_t len = get32(p + off);
  unsigned char type = p[off + 16];
  if (len > kMaxPayload || len > size - off - kHeader) return false;
  if (type < static_cast<unsigned char>(RecordType::Data) ||
      type > static_cast<unsigned char>(RecordType::Output) || p[off + 17] != 0)
    return false;
  return crc32c(p + off + 8, kHeader - 8 + len) == get32(p + off + 4);
}

/// First offset in [from, to) holding a non-zero byte, or `to`.
std::size_t next_nonzero(const unsigned char* p, std::size_t from, std::size_t to) {
  while (from < to && (from & 7) != 0 && p[from] == 0) ++from;
  while (from + 8 <= to && get64(p + from) == 0) from += 8;
  while (from < to && p[from] == 0) ++from;
  return from;
}

/// One past the last non-zero byte in [from, to), or `from`.
std::size_t end_of_nonzero(const unsigned char* p, std::size_t from, std::size_t to) {
  while (to - from >= 8 && get64(p + to - 8) == 0) to -= 8;
  while (to > from && p[to - 1] == 0) --to;
  return to;
}

/// A segment file mapped read-only (the page cache, no copy).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ,
                       MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (m != MAP_FAILED) {
        data_ = static_cast<const unsigned char*>(m);
        size_ = static_cast<std::size_t>(st.st_size);
        ::madvise(m, size_, MADV_SEQUENTIAL);
      }
    }
    ::close(fd);
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const unsigned char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace

Wal::Wal(Options opts, RecoveryReport& report) : opts_(std::move(opts)) {
  fs::create_directories(opts_.dir);
  std::string lock_path = opts_.dir + "/LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0)
    throw std::runtime_error(fmt::format("cannot open {}: {}", lock_path, std::strerror(errno)));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error(fmt::format(
        "the write-ahead log {} is in use by another intelflow process (lock held on {})",
        opts_.dir, lock_path));
  }
  recover(report);
  writer_ = std::thread([this] { writer_loop(); });
}

Wal::~Wal() {
  try {
    close();
  } catch (...) {
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

// ---------------------------------------------------------------------------------
// Recovery

void Wal::recover(RecoveryReport& report) {
  std::vector<std::pair<std::uint64_t, std::string>> files;
  for (const auto& e : fs::directory_iterator(opts_.dir)) {
    auto name = e.path().filename().string();
    if (name.size() == 24 && name.ends_with(".wal") &&
        std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; })) {
      std::uint64_t first = 0;
      auto [ptr, ec] = std::from_chars(name.data(), name.data() + 20, first);
      if (ec == std::errc())
        files.emplace_back(first, e.path().string());
      else
        report.notes.push_back("ignored unexpected file " + name);
    }
  }
  std::sort(files.begin(), files.end());
  // The checkpoint only records the clean-shutdown flag and the low watermark;
  // every segment present is scanned whatever it says, so a bad checkpoint
  // costs nothing but a note.
  {
    std::string cp = read_file(opts_.dir + "/checkpoint");
    std::error_code ec;
    if (cp.empty() && fs::exists(opts_.dir + "/checkpoint", ec)) {
      report.notes.push_back("checkpoint file is empty (ignored; every segment is scanned)");
    } else if (!cp.empty()) {
      unsigned long long lw = 0, crc = 0;
      int clean = 0;
      if (std::sscanf(cp.c_str(), "low=%llu clean=%d crc=%llu", &lw, &clean, &crc) != 3 ||
          crc != crc32c(cp.data(), cp.find(" crc="))) {
        report.notes.push_back("checkpoint unreadable (ignored; every segment is scanned)");
      } else if (!clean) {
        report.notes.push_back("previous run did not shut down cleanly");
      }
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::map<std::uint64_t, Pending> data;  // seq -> record
  std::map<std::uint64_t, std::uint64_t> data_segment;
  std::vector<std::uint64_t> acks;
  std::uint64_t max_seq = 0;
  /// A damaged region: the DATA seqs just before and after it bound what it held.
  struct Damage {
    std::string where;
    std::uint64_t before = 0, after = 0;  // 0: unknown
  };
  std::vector<Damage> damage;
  std::uint64_t last_data_seq = 0;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const auto& [first, path] = files[fi];
    const bool last = fi + 1 == files.size();
    const std::string name = fs::path(path).filename().string();
    MappedFile buf(path);
    ++report.segments;
    report.bytes_scanned += buf.size();
    const unsigned char* p = buf.data();
    std::size_t off = 0, end_of_valid = 0;
    bool corrupt_here = false;
    // Records start at multiples of 8. Where no record starts, this is the end
    // of the data (zeros to the end of the file), a torn tail (no valid record
    // after it), or damage (valid records follow): skip it and keep reading.
    while (off + kHeader <= buf.size()) {
      if (!record_at(p, buf.size(), off)) {
        std::size_t probe = off + 8;
        while (probe + kHeader <= buf.size()) {
          if (get64(p + probe) == 0 && get64(p + probe + 8) == 0 && get64(p + probe + 16) == 0) {
            // A header is never all zeros: jump over zeros (the preallocated
            // rest of the segment) to the first aligned offset that could
            // start a record covering the next non-zero byte.
            std::size_t z = next_nonzero(p, probe, buf.size());
            std::size_t cand = z >= kHeader - 1 ? (z - (kHeader - 1) + 7) & ~std::size_t{7} : 0;
            probe = std::max(probe + 8, cand);
            continue;
          }
          if (record_at(p, buf.size(), probe)) break;
          probe += 8;
        }
        if (probe + kHeader > buf.size()) break;
        corrupt_here = true;
        ++report.corrupt_regions;
        damage.push_back(
            Damage{fmt::format("{} bytes {}..{}", name, off, probe), last_data_seq, 0});
        report.notes.push_back(
            fmt::format("{}: {} damaged byte(s) at offset {}..{} ({}) skipped, reading on "
                        "from the next intact record",
                        name, probe - off, off, probe,
                        next_nonzero(p, off, probe) == probe ? "zeros" : "bad checksum"));
        off = probe;
        continue;
      }
      std::uint32_t len = get32(p + off);
      std::uint64_t seq = get64(p + off + 8);
      auto type = static_cast<RecordType>(p[off + 16]);
      std::uint16_t source;
      std::memcpy(&source, p + off + 18, 2);
      std::uint32_t aux = get32(p + off + 20);
      ++report.records;
      max_seq = std::max(max_seq, seq);
      if (type == RecordType::Data) {
        data[seq] = Pending{seq, source, aux,
                            std::string(reinterpret_cast<const char*>(p + off + kHeader), len)};
        data_segment[seq] = first;
        for (auto it = damage.rbegin(); it != damage.rend() && it->after == 0; ++it)
          it->after = seq;
        last_data_seq = seq;
      } else if (type == RecordType::Output) {
        report.outputs.emplace_back(reinterpret_cast<const char*>(p + off + kHeader), len);
      } else if (type == RecordType::Ack) {
        for (std::uint32_t k = 0; k + 8 <= len; k += 8)
          acks.push_back(get64(p + off + kHeader + k));
      }
      off += kHeader + padded(len);
      end_of_valid = off;
    }
    if (end_of_valid < buf.size() && next_nonzero(p, end_of_valid, buf.size()) < buf.size()) {
      const std::size_t nonzero_end = end_of_nonzero(p, end_of_valid, buf.size());
      if (last) {
        // The segment being written when the process stopped: a write that
        // never completed (and was never reported durable). Cut it off.
        report.torn_tail_bytes += nonzero_end - end_of_valid;
        report.notes.push_back(fmt::format(
            "{}: torn tail of {} byte(s) after offset {} truncated (a write the crash "
            "interrupted, or damage to the end of the log: whatever it held is not replayed)",
            name, nonzero_end - end_of_valid, end_of_valid));
        if (::truncate(path.c_str(), static_cast<off_t>(end_of_valid)) != 0)
          throw std::runtime_error(
              fmt::format("cannot truncate {}: {}", path, std::strerror(errno)));
      } else {
        // An older segment was complete and synced before the next one was
        // opened: garbage at its end is damage (e.g. a truncated file).
        corrupt_here = true;
        ++report.corrupt_regions;
        damage.push_back(Damage{fmt::format("{} bytes {}..{}", name, end_of_valid, nonzero_end),
                                last_data_seq, 0});
        report.notes.push_back(
            fmt::format("{}: {} damaged byte(s) at offset {}..{} (bad checksum, up to the end "
                        "of the segment) skipped",
                        name, nonzero_end - end_of_valid, end_of_valid, nonzero_end));
      }
    }
    if (corrupt_here) {
      fs::create_directories(opts_.dir + "/quarantine");
      std::string q = opts_.dir + "/quarantine/" + name;
      std::error_code ec;
      fs::copy_file(path, q, fs::copy_options::overwrite_existing, ec);
      report.quarantined.push_back(q);
      report.notes.push_back(fmt::format("{}: a copy of the damaged segment was kept as {}", name,
                                         ec ? "(copy failed: " + ec.message() + ")" : q));
    }
    // What recovery read back is made durable before anything is replayed
    // (after a crash, it may still sit in the page cache only).
    int sfd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (sfd >= 0) {
      ::fdatasync(sfd);
      ::close(sfd);
    }
    auto seg = std::make_unique<Segment>();
    seg->first_seq = first;
    seg->path = path;
    seg->size = end_of_valid;
    seg->synced = end_of_valid;
    seg->closed = true;
    seg->accounted = static_cast<std::uint64_t>(buf.size());
    live_bytes_ += seg->accounted;
    segments_[first] = std::move(seg);
  }
  std::unordered_set<std::uint64_t> acked_set(acks.begin(), acks.end());
  for (auto s : acks) {
    if (data.erase(s) > 0) ++report.acked;
    data_segment.erase(s);
  }
  // What the damaged regions held: DATA seqs are allocated in log order, so
  // the seqs missing between the intact neighbours were in the region.
  for (const auto& d : damage) {
    if (d.before == 0 || d.after == 0) {
      report.notes.push_back(
          fmt::format("{}: the records it held cannot be counted (no intact record on both sides); "
                      "un-acknowledged messages in it are lost",
                      d.where));
      continue;
    }
    std::uint64_t missing = d.after - d.before - 1, lost = 0;
    for (std::uint64_t s = d.before + 1; s < d.after; ++s)
      if (!acked_set.count(s)) ++lost;
    report.lost_records += lost;
    if (missing == 0)
      report.notes.push_back(fmt::format(
          "{}: held no message record (acknowledgements or output positions only)", d.where));
    else if (lost == 0)
      report.notes.push_back(fmt::format(
          "{}: held {} message record(s) (seq {}..{}), all already acknowledged: nothing lost",
          d.where, missing, d.before + 1, d.after - 1));
    else
      report.notes.push_back(fmt::format(
          "{}: held {} message record(s) (seq {}..{}); {} of them un-acknowledged and LOST "
          "(they cannot be replayed)",
          d.where, missing, d.before + 1, d.after - 1, lost));
  }
  report.scan_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report.quarantined.empty() || report.torn_tail_bytes > 0 || !data.empty())
    report.notes.push_back(fmt::format(
        "scanned {} segment(s), {:.1f} MB, {} record(s) in {:.0f} ms: {} to replay, {} region(s) "
        "damaged, {} segment(s) quarantined",
        report.segments, static_cast<double>(report.bytes_scanned) / 1e6, report.records,
        report.scan_seconds * 1e3, data.size(), report.corrupt_regions, report.quarantined.size()));
  for (auto& [seq, rec] : data) {
    report.pending.push_back(std::move(rec));
    auto segfirst = data_segment[seq];
    segments_[segfirst]->unacked++;
    seq_segment_[seq] = segfirst;
  }
  next_seq_ = max_seq + 1;
  // The latest output position per key is carried into the first segment this
  // run writes (as after every roll): the segments holding it may be retired
  // below or later in this run, and a crash must still find it.
  for (const auto& pl : report.outputs) {
    std::string key = pl.substr(0, pl.find('\n'));
    sticky_[key] = key + '\0' + pl;
  }
  // Old segments with nothing left to replay are retired by the first round
  // of the writer, after it wrote the carried positions into a new segment.
  std::lock_guard lk(mu_);
  write_checkpoint(false);
}

// ---------------------------------------------------------------------------------
// Appending

std::uint64_t Wal::append(std::string_view payload, std::uint16_t source, std::uint32_t aux) {
  if (payload.size() > kMaxPayload) throw std::runtime_error("WAL record too large");
  std::unique_lock lk(mu_);
  space_cv_.wait(lk, [&] { return live_bytes_.load() < opts_.max_bytes || closing_; });
  if (closing_) throw std::runtime_error("the write-ahead log is closed");
  std::uint64_t seq = next_seq_.fetch_add(1);
  queue_.push_back(Queued{seq, RecordType::Data, source, aux, std::string(payload)});
  queue_cv_.notify_one();
  return seq;
}

void Wal::wait_durable(std::uint64_t seq) {
  std::unique_lock lk(mu_);
  durable_cv_.wait(lk, [&] { return durable_seq_ >= seq || abandoned_; });
  if (abandoned_ && durable_seq_ < seq) throw std::runtime_error("the write-ahead log stopped");
}

std::uint64_t Wal::append_durable(std::string_view payload, std::uint16_t source,
                                  std::uint32_t aux) {
  auto seq = append(payload, source, aux);
  wait_durable(seq);
  return seq;
}

void Wal::append_output(const std::string& key, std::string payload) {
  std::lock_guard lk(mu_);
  if (closing_ && !writer_.joinable()) return;
  // The key rides in the source field's place: keep it in the payload instead.
  queue_.push_back(Queued{0, RecordType::Output, 0, 0, key + '\0' + payload});
  queue_cv_.notify_one();
}

void Wal::ack(std::uint64_t seq) {
  std::lock_guard lk(mu_);
  if (closing_ && !writer_.joinable()) return;
  ack_queue_.push_back(seq);
  queue_cv_.notify_one();
}

std::uint64_t Wal::segment_count() const {
  std::lock_guard lk(mu_);
  return segments_.size();
}

Wal::Segment& Wal::open_segment(std::uint64_t first_seq) {
  auto seg = std::make_unique<Segment>();
  seg->first_seq = first_seq;
  seg->path = opts_.dir + "/" + segment_name(first_seq);
  seg->fd = ::open(seg->path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
  if (seg->fd < 0)
    throw std::runtime_error(fmt::format("cannot create {}: {}", seg->path, std::strerror(errno)));
  if (::posix_fallocate(seg->fd, 0, static_cast<off_t>(opts_.segment_bytes)) != 0) {
    // Not fatal (e.g. tmpfs without fallocate): the file grows as written.
  }
  ::fdatasync(seg->fd);
  fsync_dir(opts_.dir);
  seg->accounted = opts_.segment_bytes;
  live_bytes_ += seg->accounted;
  auto& ref = *seg;
  segments_[first_seq] = std::move(seg);
  return ref;
}

void Wal::writer_loop() {
  std::vector<Queued> batch;
  std::vector<std::uint64_t> acks;
  auto last_sync = std::chrono::steady_clock::now();
  while (true) {
    {
      std::unique_lock lk(mu_);
      queue_cv_.wait(
          lk, [&] { return !queue_.empty() || !ack_queue_.empty() || closing_ || abandoned_; });
      if (abandoned_) return;
      if (queue_.empty() && ack_queue_.empty() && closing_) return;
      // Take everything queued, up to ~1 MiB of payload (group commit).
      std::size_t bytes = 0, take = 0;
      while (take < queue_.size() && (take == 0 || bytes < (1u << 20)))
        bytes += queue_[take++].payload.size();
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
      acks.swap(ack_queue_);
    }
    if (!acks.empty()) {
      std::string payload(acks.size() * 8, '\0');
      for (std::size_t i = 0; i < acks.size(); ++i)
        put64(reinterpret_cast<unsigned char*>(payload.data()) + i * 8, acks[i]);
      batch.push_back(Queued{0, RecordType::Ack, 0, 0, std::move(payload)});
    }
    write_batch(batch);
    if (INTELFLOW_FAULT_DUE("wal.power_loss")) {
      // Power failure now: what was written since the last sync is lost.
      std::lock_guard lk(mu_);
      discard_unsynced();
      fault_kill();
    }
    bool sync_now =
        opts_.fsync == Fsync::Always ||
        (opts_.fsync == Fsync::Interval && std::chrono::steady_clock::now() - last_sync >=
                                               std::chrono::milliseconds(opts_.interval_ms));
    std::uint64_t max_data = 0;
    for (const auto& q : batch)
      if (q.type == RecordType::Data) max_data = std::max(max_data, q.seq);
    {
      std::unique_lock lk(mu_);
      auto it = segments_.rbegin();
      Segment* cur = it != segments_.rend() ? it->second.get() : nullptr;
      int fd = cur != nullptr ? cur->fd : -1;
      // Only this thread changes a segment's size: read it without the lock.
      std::uint64_t size = cur != nullptr ? cur->size : 0;
      lk.unlock();
      bool synced = false;
      if (sync_now && fd >= 0) {
        INTELFLOW_FAULT_POINT("wal.before_fsync");
        synced = ::fdatasync(fd) == 0;
        if (!synced) {
          // After a failed fdatasync the kernel may have dropped the dirty
          // pages: nothing written can be called durable any more. Stop
          // (recovery re-reads what actually reached the disk).
          std::fprintf(stderr, "intelflow: fdatasync of %s failed: %s; stopping\n",
                       cur->path.c_str(), std::strerror(errno));
          std::abort();
        }
        last_sync = std::chrono::steady_clock::now();
      }
      lk.lock();
      if (synced) cur->synced = size;
      if (max_data > durable_seq_) durable_seq_ = max_data;
      for (auto s : acks) {
        auto f = seq_segment_.find(s);
        if (f == seq_segment_.end()) continue;
        auto seg = segments_.find(f->second);
        if (seg != segments_.end() && seg->second->unacked > 0) seg->second->unacked--;
        seq_segment_.erase(f);
      }
      retire_segments_locked();
    }
    durable_cv_.notify_all();
    space_cv_.notify_all();
    batch.clear();
    acks.clear();
  }
}

void Wal::write_batch(std::vector<Queued>& batch) {
  if (batch.empty()) return;
  std::string buf;
  std::unique_lock lk(mu_);
  Segment* seg = segments_.empty() ? nullptr : segments_.rbegin()->second.get();
  lk.unlock();
  auto flush = [&](Segment& s) {
    std::size_t off = 0;
    while (off < buf.size()) {
      ssize_t n =
          ::pwrite(s.fd, buf.data() + off, buf.size() - off, static_cast<off_t>(s.size + off));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(
            fmt::format("WAL write to {} failed: {}", s.path, std::strerror(errno)));
      }
      off += static_cast<std::size_t>(n);
    }
    s.size += buf.size();
    buf.clear();
  };
  for (auto& q : batch) {
    std::size_t need = kHeader + padded(q.payload.size());
    std::uint64_t seq = q.type == RecordType::Data ? q.seq : next_seq_.load();
    if (seg == nullptr || seg->closed || seg->fd < 0 ||
        (seg->size + buf.size() + need > opts_.segment_bytes && seg->size + buf.size() > 0)) {
      if (seg != nullptr && !seg->closed && seg->fd >= 0) {
        flush(*seg);
        INTELFLOW_FAULT_POINT("wal.segment_roll");
        if (opts_.fsync != Fsync::Never && ::fdatasync(seg->fd) == 0) seg->synced = seg->size;
        lk.lock();
        seg->closed = true;
        ::close(seg->fd);
        seg->fd = -1;
        lk.unlock();
      }
      lk.lock();
      seg = &open_segment(seq);
      lk.unlock();
      for (const auto& [key, payload] : sticky_) {
        std::string_view pl(payload);
        frame(buf, 0, RecordType::Output, 0, 0, pl.substr(pl.find('\0') + 1));
      }
    }
    if (q.type == RecordType::Output) {
      auto nul = q.payload.find('\0');
      sticky_[q.payload.substr(0, nul)] = q.payload;
      q.payload.erase(0, nul + 1);
    }
    frame(buf, q.type == RecordType::Data ? q.seq : 0, q.type, q.source, q.aux, q.payload);
    if (q.type == RecordType::Data) {
      lk.lock();
      seg->unacked++;
      seq_segment_[q.seq] = seg->first_seq;
      lk.unlock();
    }
  }
  flush(*seg);
  INTELFLOW_FAULT_POINT("wal.after_write");
}

void Wal::retire_segments_locked() {
  // Only the oldest segments go, and only when all their DATA records are
  // acknowledged: an ACK is always in the same or a later segment than its
  // DATA, so deleting from the front never orphans an ACK.
  while (segments_.size() > 1) {
    auto it = segments_.begin();
    Segment& s = *it->second;
    if (s.unacked != 0 || !(s.closed || s.fd < 0)) break;
    ::unlink(s.path.c_str());
    live_bytes_ -= std::min<std::uint64_t>(live_bytes_.load(), s.accounted);
    segments_.erase(it);
  }
}

void Wal::write_checkpoint(bool clean) {
  std::uint64_t low = segments_.empty() ? next_seq_.load() : segments_.begin()->first;
  std::string body = fmt::format("low={} clean={}", low, clean ? 1 : 0);
  std::string text = fmt::format("{} crc={}\n", body, crc32c(body.data(), body.size()));
  std::string tmp = opts_.dir + "/checkpoint.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return;
  if (::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())) ::fdatasync(fd);
  ::close(fd);
  ::rename(tmp.c_str(), (opts_.dir + "/checkpoint").c_str());
  fsync_dir(opts_.dir);
}

void Wal::close() {
  {
    std::lock_guard lk(mu_);
    if (closing_ && !writer_.joinable()) return;
    closing_ = true;
  }
  queue_cv_.notify_all();
  space_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lk(mu_);
  if (abandoned_) return;
  for (auto& [first, s] : segments_) {
    if (s->fd >= 0) {
      if (::fdatasync(s->fd) == 0) s->synced = s->size;
      ::close(s->fd);
      s->fd = -1;
    }
    s->closed = true;
  }
  write_checkpoint(true);
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);  // releases the flock: the directory may be reopened
    lock_fd_ = -1;
  }
}

void Wal::abandon_for_test() {
  {
    std::lock_guard lk(mu_);
    abandoned_ = true;
    closing_ = true;
  }
  queue_cv_.notify_all();
  durable_cv_.notify_all();
  space_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  std::lock_guard lk(mu_);
  for (auto& [first, s] : segments_)
    if (s->fd >= 0) {
      ::close(s->fd);
      s->fd = -1;
    }
}

void Wal::simulate_power_loss_for_test() {
  abandon_for_test();
  std::lock_guard lk(mu_);
  discard_unsynced();
}

void Wal::discard_unsynced() {
  const char* tail = std::getenv("INTELFLOW_POWER_LOSS_TAIL");
  const bool garbage = tail != nullptr && std::string_view(tail) == "garbage";
  for (auto& [first, s] : segments_) {
    if (s->size <= s->synced) continue;
    int fd = ::open(s->path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) continue;
    std::string zeros(std::min<std::uint64_t>(s->size - s->synced, 1u << 20), '\0');
    for (std::uint64_t off = s->synced; off < s->size; off += zeros.size()) {
      auto n = std::min<std::uint64_t>(zeros.size(), s->size - off);
      (void)!::pwrite(fd, zeros.data(), n, static_cast<off_t>(off));
    }
    if (garbage) {
      // Half a record header: a length, a checksum that cannot match, junk.
      static constexpr char kTorn[] = "\x40\x00\x00\x00\xde\xad\xbe\xeftorn-record";
      auto n = std::min<std::uint64_t>(sizeof kTorn - 1, s->size - s->synced);
      (void)!::pwrite(fd, kTorn, n, static_cast<off_t>(s->synced));
    }
    // The simulated loss itself must reach the disk before the process dies.
    ::fdatasync(fd);
    ::close(fd);
  }
}

}  // namespace intelflow::wal
