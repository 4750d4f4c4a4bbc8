// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/chunker.hpp"

#include <algorithm>
#include <cstring>

namespace intelflow::bots::chunker {

std::vector<std::string_view> split_chunks(std::string_view data, std::size_t chunk_size) {
  std::vector<std::string_view> chunks;
  while (data.size() > chunk_size) {
    // last newline in [0, chunk_size), else the first one at or after chunk_size
    std::size_t nl = chunk_size == 0 ? std::string_view::npos : data.rfind('\n', chunk_size - 1);
    if (nl == std::string_view::npos) nl = data.find('\n', chunk_size);
    if (nl == std::string_view::npos) {  // no newline at all: leftover for the next read
      chunks.push_back(data);
      data = {};
    } else {
      chunks.push_back(data.substr(0, nl + 1));
      data.remove_prefix(nl + 1);
    }
  }
  if (!data.empty()) chunks.push_back(data);
  return chunks;
}

namespace {

/// Buffered reading on top of a ReadFn: exact-size reads and readline().
class Source {
 public:
  explicit Source(const ReadFn& read) : read_(read) {}

  /// Up to n bytes; fewer only at the end of the input.
  void read(std::size_t n, std::string& out) {
    out.clear();
    const std::size_t from_pending = std::min(n, pending_.size() - off_);
    out.append(pending_, off_, from_pending);
    off_ += from_pending;
    while (out.size() < n && !eof_) {
      const std::size_t have = out.size();
      out.resize(n);
      const std::size_t got = read_(out.data() + have, n - have);
      out.resize(have + got);
      if (got == 0) eof_ = true;
    }
  }
  void read_all(std::string& out) {
    out.assign(pending_, off_);
    off_ = pending_.size();
    char buf[65536];
    while (!eof_) {
      const std::size_t got = read_(buf, sizeof buf);
      if (got == 0) eof_ = true;
      out.append(buf, got);
    }
  }
  /// Up to and including the first '\n' (or everything until the end).
  void readline(std::string& out) {
    out.clear();
    while (true) {
      const std::string_view rest = std::string_view(pending_).substr(off_);
      const std::size_t nl = rest.find('\n');
      if (nl != std::string_view::npos) {
        out.append(rest.substr(0, nl + 1));
        off_ += nl + 1;
        return;
      }
      out.append(rest);
      pending_.clear();
      off_ = 0;
      if (eof_) return;
      pending_.resize(65536);
      const std::size_t got = read_(pending_.data(), pending_.size());
      pending_.resize(got);
      if (got == 0) eof_ = true;
    }
  }

 private:
  const ReadFn& read_;
  std::string pending_;
  std::size_t off_ = 0;
  bool eof_ = false;
};

}  // namespace

void generate(const ReadFn& read, std::optional<std::size_t> chunk_size, bool copy_header_line,
              const EmitFn& emit) {
  Source src(read);
  if (!chunk_size) {
    std::string data;
    src.read_all(data);
    if (!data.empty()) emit(data);
    return;
  }
  std::string header;
  if (copy_header_line) src.readline(header);
  std::string leftover, fresh, data, payload;
  while (true) {
    src.read(*chunk_size, fresh);
    data.assign(leftover);
    data.append(fresh);
    std::vector<std::string_view> chunks = split_chunks(data, *chunk_size);
    leftover.clear();
    if (!chunks.empty()) {
      leftover.assign(chunks.back());
      chunks.pop_back();
    }
    for (std::string_view c : chunks) {
      payload.assign(header);
      payload.append(c);
      emit(payload);
    }
    if (fresh.empty()) {
      if (!leftover.empty()) {
        payload.assign(header);
        payload.append(leftover);
        emit(payload);
      }
      break;
    }
  }
}

void generate(std::string_view data, std::optional<std::size_t> chunk_size, bool copy_header_line,
              const EmitFn& emit) {
  std::size_t off = 0;
  ReadFn read = [&](char* buf, std::size_t max) {
    const std::size_t n = std::min(max, data.size() - off);
    if (n != 0) std::memcpy(buf, data.data() + off, n);
    off += n;
    return n;
  };
  generate(read, chunk_size, copy_header_line, emit);
}

}  // namespace intelflow::bots::chunker
