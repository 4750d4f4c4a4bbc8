// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.file.output: one exported JSON line per event, appended to a file.

#include "bots/outputs/file/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "engine/api/registry.hpp"
#include "harmonization/errors.hpp"

namespace intelflow::bots {

using api::ConfigError;
using api::Message;
using api::Value;
using harm::ErrorKind;
using harm::HarmonizationError;

namespace {
constexpr std::size_t kBufferLimit = 1 << 20;  // write early beyond 1 MiB per batch

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}
}  // namespace

FileOutput::~FileOutput() {
  close_file();
}

void FileOutput::init(api::BotContext& ctx) {
  OutputBot::init(ctx);
  const auto& p = params();
  file_param_ = p.get_string("file", "/opt/intelmq/var/lib/bots/file-output/events.txt");
  format_filename_ = p.get_bool("format_filename", false);
  fsync_ = p.get_bool("fsync", false);
  export_ = ExportOptions::from_params(p);
  if (file_param_.empty()) throw ConfigError("file", "must not be empty");
  buf_.reserve(kBufferLimit + 4096);
  if (format_filename_) {
    try {
      name_tmpl_ = FormatTemplate::parse(file_param_);
    } catch (const FormatError& e) {
      throw ConfigError("file", std::string("bad filename template: ") + e.what());
    }
    for (const auto& piece : name_tmpl_.pieces()) {
      if (!piece.is_field) continue;
      if (piece.root != "event" || piece.steps.empty() || piece.steps[0].is_attr ||
          piece.steps[0].is_int)
        throw ConfigError("file", "filename template fields must look like {event[field]}, got '{" +
                                      piece.root + "...}'");
    }
    log().debug("Filename template {}; files are opened per event.", file_param_);
  } else {
    open(file_param_);
    log().info("File '{}' is open.", path_);
  }
}

void FileOutput::close_file() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void FileOutput::open(const std::string& path) {
  sync();  // lines written to the previous file are durable before we leave it
  close_file();
  std::filesystem::path fp(path);
  if (fp.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(fp.parent_path(), ec);
    if (ec) throw std::system_error(ec, "cannot create the directory of '" + path + "'");
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
  if (fd < 0) throw_errno("cannot open '" + path + "'");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "cannot stat '" + path + "'");
  }
  fd_ = fd;
  dirty_ = false;
  path_ = path;
  offset_ = static_cast<std::uint64_t>(st.st_size);
}

std::string FileOutput::render_filename(const Message& ev) {
  name_buf_.clear();
  for (const auto& piece : name_tmpl_.pieces()) {
    if (!piece.is_field) {
      name_buf_ += piece.literal;
      continue;
    }
    const std::string& key = piece.steps[0].key;
    const Value* v = ev.find(key);
    FormatArg arg;  // absent → None (bots.md §2.4)
    Value tmp;
    if (v != nullptr && (key == "time.source" || key == "time.observation") && v->is_string()) {
      DateTimeArg dt;
      if (!parse_intelmq_datetime(v->as_string(), dt))
        throw HarmonizationError(
            ErrorKind::ValueError,
            "time data '" + v->as_string() + "' does not match format '%Y-%m-%dT%H:%M:%S+00:00'");
      arg = FormatArg::of_datetime(dt);
    } else if (v != nullptr) {
      arg = FormatArg::of_value(*v);
    }
    if (piece.steps.size() > 1) {
      if (arg.kind != FormatArg::Kind::Value)
        throw HarmonizationError(ErrorKind::ValueError, "object is not subscriptable");
      tmp = *v;
      for (std::size_t k = 1; k < piece.steps.size(); ++k) tmp = subscript(tmp, piece.steps[k]);
      arg = FormatArg::of_value(tmp);
    }
    try {
      format_arg(name_buf_, arg, piece.conversion, piece.spec);
    } catch (const FormatError& e) {
      throw HarmonizationError(ErrorKind::ValueError, e.what());
    }
  }
  return name_buf_;
}

void FileOutput::process(const Message& event) {
  if (format_filename_) {
    std::string name = render_filename(event);
    if (fd_ < 0 || name != path_) {
      write_pending();  // pending lines belong to the previous file
      open(name);
    }
  }
  std::size_t mark = buf_.size();
  try {
    export_text(event, export_, buf_);
  } catch (...) {
    buf_.resize(mark);  // nothing of a failed event stays in the buffer
    throw;
  }
  buf_ += '\n';
  if (buf_.size() >= kBufferLimit) write_pending();
}

void FileOutput::write_pending() {
  // A failure here loses lines of events already accepted in this batch: keep
  // the error for flush(), so the whole batch is not counted as delivered.
  try {
    write_buffer();
  } catch (...) {
    if (!pending_error_) pending_error_ = std::current_exception();
  }
}

void FileOutput::write_buffer() {
  if (buf_.empty()) return;
  if (fd_ < 0) {
    buf_.clear();
    throw std::runtime_error("file output: no file is open");
  }
  // The file was removed or replaced (log rotation): continue in a new file.
  struct stat by_path {
  }, by_fd{};
  if (::stat(path_.c_str(), &by_path) != 0 || ::fstat(fd_, &by_fd) != 0 ||
      by_path.st_ino != by_fd.st_ino || by_path.st_dev != by_fd.st_dev) {
    log().warn("File '{}' disappeared or was replaced; reopening it.", path_);
    open(path_);
  }
  const char* p = buf_.data();
  std::size_t left = buf_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      if (::ftruncate(fd_, static_cast<off_t>(offset_)) != 0) {
        // best effort: the partial line stays; recovery truncates by the recorded offset
      }
      buf_.clear();
      throw std::system_error(err, std::generic_category(), "cannot write to '" + path_ + "'");
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  offset_ += buf_.size();
  buf_.clear();
  dirty_ = true;
}

void FileOutput::sync() {
  if (!fsync_ || !dirty_ || fd_ < 0) return;
  if (::fdatasync(fd_) != 0) throw_errno("fdatasync of '" + path_ + "' failed");
  dirty_ = false;
}

void FileOutput::flush() {
  if (pending_error_) {
    auto e = pending_error_;
    pending_error_ = nullptr;
    buf_.clear();
    std::rethrow_exception(e);
  }
  write_buffer();
  sync();
}

void FileOutput::truncate_to(std::uint64_t off) {
  buf_.clear();
  if (fd_ < 0) return;
  if (::ftruncate(fd_, static_cast<off_t>(off)) != 0)
    throw_errno("cannot truncate '" + path_ + "'");
  offset_ = off;
}

void FileOutput::truncate_to_position(std::uint64_t position) {
  if (format_filename_ || fd_ < 0) return;
  if (position < offset_) {
    log().warn(
        "Crash recovery: removing {} byte(s) written after the last recorded position "
        "of '{}'; their events are replayed.",
        offset_ - position, path_);
    truncate_to(position);
  }
}

void FileOutput::shutdown() {
  try {
    flush();
  } catch (const std::exception& e) {
    log().error("Could not write the last lines to '{}': {}", path_, e.what());
  }
  close_file();
}

namespace {
INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.file.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Appends one JSON line per event to a file (parent directories are created).",
    .params =
        {
            api::ParamSpec{"file", api::ParamType::String,
                           "\"/opt/intelmq/var/lib/bots/file-output/events.txt\"", false,
                           "Output file; with format_filename a template such as "
                           "`/data/{event[feed.name]}-{event[time.source]:%Y-%m-%d}.txt`."},
            api::ParamSpec{"format_filename", api::ParamType::Bool, "false", false,
                           "Treat `file` as a str.format template per event: `{event[field]}`; "
                           "time.source and time.observation are datetimes (strftime specs); "
                           "missing fields render as None."},
            api::ParamSpec{"encoding_errors_mode", api::ParamType::String, "\"strict\"", false,
                           "Accepted for IntelMQ compatibility; messages are always valid UTF-8."},
            api::ParamSpec{"fsync", api::ParamType::Bool, "false", false,
                           "fdatasync() the file at the end of every batch before it counts as "
                           "delivered (survives power loss; slower). false: written to the OS "
                           "at the end of every batch (survives a crash of intelflow)."},
        },
    .concurrent = false,
    .factory = [] { return std::make_unique<FileOutput>(); },
});
}  // namespace

}  // namespace intelflow::bots
