// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/wal/wal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

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

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

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
    if (!cp.empty()) {
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
  std::map<std::uint64_t, Pending> data;  // seq -> record
  std::map<std::uint64_t, std::uint64_t> data_segment;
  std::vector<std::uint64_t> acks;
  std::uint64_t max_seq = 0;
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    const auto& [first, path] = files[fi];
    const bool last = fi + 1 == files.size();
    std::string buf = read_file(path);
    ++report.segments;
    report.bytes_scanned += buf.size();
    const auto* p = reinterpret_cast<const unsigned char*>(buf.data());
    std::size_t off = 0, end_of_valid = 0;
    bool corrupt_here = false;
    while (off + kHeader <= buf.size()) {
      std::uint32_t len = get32(p + off);
      std::uint32_t crc = get32(p + off + 4);
      if (len == 0 && crc == 0 && get64(p + off + 8) == 0) break;  // preallocated zeros: end
      bool ok = len <= kMaxPayload && off + kHeader + len <= buf.size() &&
                crc32c(p + off + 8, kHeader - 8 + len) == crc;
      if (!ok) {
        if (last) break;  // torn tail of the segment being written
        // Corruption inside an older segment: skip to the next valid record.
        corrupt_here = true;
        ++report.corrupt_regions;
        std::size_t probe = off + 8;
        while (probe + kHeader <= buf.size()) {
          std::uint32_t l2 = get32(p + probe);
          if (l2 <= kMaxPayload && probe + kHeader + l2 <= buf.size() &&
              (l2 != 0 || get32(p + probe + 4) != 0) &&
              crc32c(p + probe + 8, kHeader - 8 + l2) == get32(p + probe + 4))
            break;
          probe += 8;
        }
        report.notes.push_back(fmt::format("{}: corrupt bytes {}..{} skipped", path, off, probe));
        off = probe;
        continue;
      }
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
      } else if (type == RecordType::Output) {
        report.outputs.emplace_back(reinterpret_cast<const char*>(p + off + kHeader), len);
      } else if (type == RecordType::Ack) {
        for (std::uint32_t k = 0; k + 8 <= len; k += 8)
          acks.push_back(get64(p + off + kHeader + k));
      }
      off += kHeader + padded(len);
      end_of_valid = off;
    }
    if (last && end_of_valid < buf.size()) {
      // Everything after the last valid record is either preallocated zeros or
      // a torn write: count the non-zero part and zero it on disk.
      std::size_t nonzero_end = buf.size();
      while (nonzero_end > end_of_valid && buf[nonzero_end - 1] == '\0') --nonzero_end;
      if (nonzero_end > end_of_valid) {
        report.torn_tail_bytes += nonzero_end - end_of_valid;
        report.notes.push_back(
            fmt::format("{}: torn tail of {} bytes truncated", path, nonzero_end - end_of_valid));
        if (::truncate(path.c_str(), static_cast<off_t>(end_of_valid)) != 0)
          throw std::runtime_error(
              fmt::format("cannot truncate {}: {}", path, std::strerror(errno)));
      }
    }
    if (corrupt_here) {
      fs::create_directories(opts_.dir + "/quarantine");
      std::string q = opts_.dir + "/quarantine/" + fs::path(path).filename().string();
      std::error_code ec;
      fs::copy_file(path, q, fs::copy_options::overwrite_existing, ec);
      report.quarantined.push_back(q);
    }
    auto seg = std::make_unique<Segment>();
    seg->first_seq = first;
    seg->path = path;
    seg->size = end_of_valid;
    seg->closed = true;
    seg->accounted = static_cast<std::uint64_t>(buf.size());
    live_bytes_ += seg->accounted;
    segments_[first] = std::move(seg);
  }
  for (auto s : acks) {
    if (data.erase(s) > 0) ++report.acked;
    data_segment.erase(s);
  }
  for (auto& [seq, rec] : data) {
    report.pending.push_back(std::move(rec));
    auto segfirst = data_segment[seq];
    segments_[segfirst]->unacked++;
    seq_segment_[seq] = segfirst;
  }
  next_seq_ = max_seq + 1;
  // Old segments with nothing left to replay can go now.
  std::lock_guard lk(mu_);
  retire_segments_locked();
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
      int fd = it != segments_.rend() ? it->second->fd : -1;
      lk.unlock();
      if (sync_now && fd >= 0) {
        INTELFLOW_FAULT_POINT("wal.before_fsync");
        ::fdatasync(fd);
        last_sync = std::chrono::steady_clock::now();
      }
      lk.lock();
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
        if (opts_.fsync != Fsync::Never) ::fdatasync(seg->fd);
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
      ::fdatasync(s->fd);
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

}  // namespace intelflow::wal
