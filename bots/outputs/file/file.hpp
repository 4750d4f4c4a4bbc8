// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// outputs.file.output: appends one exported line per event to a file
/// (bots.md §2.4). Lines are buffered and written by flush(), which the engine
/// calls at the end of each batch before counting the batch delivered; with
/// `fsync` true flush() also fdatasync()s. offset() is the file size after the
/// last successful flush (the crash-safety layer records it and truncates back
/// to it on recovery). Serial: one thread at a time.

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "bots/common/export.hpp"
#include "bots/common/template.hpp"
#include "engine/api/bot.hpp"

namespace intelflow::bots {

/// The file output bot.
class FileOutput final : public api::OutputBot {
 public:
  FileOutput() = default;
  ~FileOutput() override;
  FileOutput(const FileOutput&) = delete;
  FileOutput& operator=(const FileOutput&) = delete;

  void init(api::BotContext& ctx) override;
  void process(const api::Message& event) override;
  /// Writes the buffered lines (and fdatasyncs with `fsync`). On a write error
  /// the file is truncated back to offset(), the buffer dropped, and the
  /// error thrown: the batch is not delivered and will be processed again.
  void flush() override;
  void shutdown() override;

  /// Bytes in the current file after the last successful flush (its size at
  /// open plus what this bot wrote since).
  std::uint64_t offset() const noexcept { return offset_; }
  /// The file currently written (differs per event with format_filename).
  const std::string& current_path() const noexcept { return path_; }
  /// Truncates the current file to `off` (crash recovery: drop lines written
  /// after the last acknowledged offset). Discards the buffer.
  void truncate_to(std::uint64_t off);

  /// Exactly-once hooks: only with a fixed file name (not format_filename).
  std::optional<std::uint64_t> position() const override {
    if (format_filename_) return std::nullopt;
    return offset_;
  }
  void truncate_to_position(std::uint64_t position) override;

 private:
  void open(const std::string& path);
  void close_file() noexcept;
  void write_buffer();
  void write_pending();
  void sync();
  std::string render_filename(const api::Message& ev);

  std::string file_param_;
  bool format_filename_ = false;
  bool fsync_ = false;
  ExportOptions export_;
  FormatTemplate name_tmpl_;
  std::string path_;
  int fd_ = -1;
  std::uint64_t offset_ = 0;
  std::string buf_;
  std::string name_buf_;
  std::exception_ptr pending_error_;
  bool dirty_ = false;  ///< written since the last fdatasync
};

}  // namespace intelflow::bots
