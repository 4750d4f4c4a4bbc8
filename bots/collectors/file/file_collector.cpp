// SPDX-License-Identifier: AGPL-3.0-or-later
// collectors.file.collector_file: reads matching files of a directory into reports.

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "bots/common/chunker.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

namespace fs = std::filesystem;
using api::ConfigError;
using api::Value;

/// Python's os.path.abspath: absolute, lexically normalised, no trailing slash.
std::string abspath(const std::string& p) {
  std::string s = fs::absolute(fs::path(p)).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

/// An open file descriptor, closed on scope exit (which also releases flock).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// Collects every regular file in `path` whose name matches `*<postfix>`
/// (non-recursive, in sorted name order). One round = one pass over the
/// directory. Files locked by another process (flock) are skipped this round.
class FileCollector final : public api::CollectorBot {
 public:
  void init(api::BotContext& ctx) override {
    CollectorBot::init(ctx);
    const api::Params& p = ctx.params;
    path_ = p.get_string("path", "/tmp/");
    std::error_code ec;
    if (!fs::is_directory(path_, ec))
      throw ConfigError("path", "got '" + path_ + "', expected a directory");
    postfix_ = p.get_string("postfix", ".csv");
    delete_file_ = p.get_bool("delete_file", false);
    if (postfix_.empty()) {
      log().warn("No file extension was set. The collector will read all files in {}.", path_);
      if (delete_file_)
        throw ConfigError("postfix",
                          "empty postfix with delete_file would delete all files in " + path_);
    }
    if (const Value* cs = p.find("chunk_size"); cs != nullptr && !cs->is_null()) {
      std::int64_t n = 0;
      if (cs->is_int())
        n = cs->as_int();
      else if (cs->is_float())
        n = static_cast<std::int64_t>(cs->as_float());
      else if (cs->is_string())
        n = p.get_int("chunk_size");
      else
        throw ConfigError("chunk_size", "must be a number of bytes");
      if (n <= 0) throw ConfigError("chunk_size", "must be a positive number of bytes");
      chunk_size_ = static_cast<std::size_t>(n);
    }
    replicate_header_ = p.get_bool("chunk_replicate_header", true);
    pattern_ = "*" + postfix_;
  }

  void collect(api::Emitter& out) override {
    log().debug("Started looking for files.");
    std::error_code ec;
    if (!fs::is_directory(path_, ec)) return;
    const std::string dir = abspath(path_);

    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());

    for (const std::string& name : names) {
      const std::string filename = dir == "/" ? "/" + name : dir + "/" + name;
      std::error_code fec;
      if (!fs::is_regular_file(filename, fec)) continue;
      if (::fnmatch(pattern_.c_str(), name.c_str(), FNM_NOESCAPE) != 0) continue;
      log().info("Processing file '{}'.", filename);

      Fd fd;
      fd.fd = ::open(filename.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd.fd < 0) {
        log().error("Could not open file '{}': {}", filename, std::strerror(errno));
        continue;
      }
      if (::flock(fd.fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
          log().info("File '{}' is locked by another process, skipping it this round.", filename);
          continue;
        }
        log().warn("Could not lock file '{}': {}", filename, std::strerror(errno));
      }

      harm::Message tmpl = new_report();
      tmpl.add("feed.url", Value::string("file://localhost" + filename));
      tmpl.add("extra.file_name", Value::string(name));

      chunker::ReadFn read = [&](char* buf, std::size_t max) -> std::size_t {
        while (true) {
          const ssize_t got = ::read(fd.fd, buf, max);
          if (got >= 0) return static_cast<std::size_t>(got);
          if (errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "reading " + filename);
        }
      };
      struct stat st {};
      ::fstat(fd.fd, &st);
      std::size_t chunk_index = 0;
      chunker::generate(read, chunk_size_, replicate_header_, [&](std::string_view payload) {
        // A stable identity per chunk: re-reading this file after a crash
        // yields the same keys (see Emitter::set_next_key).
        out.set_next_key(fmt::format("file:{}:{}:{}:{}:{}", st.st_dev, st.st_ino,
                                     static_cast<long long>(st.st_mtim.tv_sec),
                                     static_cast<long long>(st.st_size), chunk_index++));
        harm::Message report = tmpl.copy();
        report.add("raw", Value::bytes(std::string(payload)), {.overwrite = true});
        send_report(std::move(report), out);
      });

      if (delete_file_) {
        if (::unlink(filename.c_str()) == 0) {
          log().debug("Deleted file: '{}'.", filename);
        } else if (errno == EACCES || errno == EPERM) {
          log().error("Could not delete file '{}'.", filename);
          log().info("Maybe I don't have sufficient rights on that file?");
          throw ConfigError("delete_file", "could not delete '" + filename +
                                               "'; stopping to prevent reading it again");
        } else {
          log().error("Could not delete file '{}': {}", filename, std::strerror(errno));
        }
      }
    }
  }

 private:
  std::string path_;
  std::string postfix_;
  std::string pattern_;
  bool delete_file_ = false;
  std::optional<std::size_t> chunk_size_;
  bool replicate_header_ = true;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "collectors.file.collector_file",
    .aliases = {},
    .group = api::BotGroup::Collector,
    .description = "Reads files ending in a postfix from a local directory, one report per "
                   "file (or per chunk).",
    .params =
        {
            {"path", api::ParamType::String, "\"/tmp/\"", false,
             "Directory to scan (not recursive); must exist."},
            {"postfix", api::ParamType::String, "\".csv\"", false,
             "File name suffix (glob `*<postfix>`); empty = all files."},
            {"delete_file", api::ParamType::Bool, "false", false,
             "Delete each file after all its reports were sent."},
            {"chunk_size", api::ParamType::Int, "null", false,
             "Split files into reports of at most this many bytes, at line ends."},
            {"chunk_replicate_header", api::ParamType::Bool, "true", false,
             "When splitting, repeat the first line at the start of every chunk."},
            {"rate_limit", api::ParamType::Float, "300", false, "Seconds between two rounds."},
        },
    .concurrent = false,
    .factory = [] { return std::make_unique<FileCollector>(); },
});

}  // namespace
}  // namespace intelflow::bots
