// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.files.output: one file per event, written in a temporary directory
// and renamed into the target directory (maildir style).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <system_error>

#include "bots/common/export.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;

/// Closes a file descriptor at scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

/// Writes every event, exported as the shared export options select, to its
/// own file: created exclusively in `tmp`, named
/// `<host>.<pid>.<time>.<dev>.<inode><suffix>` (unique on the filesystem while
/// the file exists), and renamed atomically into `dir`, so a reader of `dir`
/// never sees a partial file (unless `tmp` and `dir` are the same directory).
/// Keeps no per-event state: runs concurrently.
class FilesOutput final : public api::OutputBot {
 public:
  void init(api::BotContext& ctx) override {
    OutputBot::init(ctx);
    const api::Params& p = params();
    tmp_ = ensure_dir("tmp", p.get_string("tmp", "/opt/intelmq/var/lib/bots/files-output/tmp"));
    dir_ =
        ensure_dir("dir", p.get_string("dir", "/opt/intelmq/var/lib/bots/files-output/incoming"));
    suffix_ = p.get_string("suffix", ".json");
    if (suffix_.find('/') != std::string::npos)
      throw ConfigError("suffix", "must not contain '/' (got '" + suffix_ + "')");
    fsync_ = p.get_bool("fsync", false);
    export_ = ExportOptions::from_params(p);
    struct stat st_tmp {
    }, st_dir{};
    if (::stat(tmp_.c_str(), &st_tmp) != 0 || ::stat(dir_.c_str(), &st_dir) != 0)
      throw ConfigError("dir", std::string("cannot stat: ") + std::strerror(errno));
    if (st_tmp.st_dev != st_dir.st_dev)
      throw ConfigError("tmp", "'" + tmp_ + "' and dir '" + dir_ +
                                   "' must reside on the same filesystem (files are "
                                   "renamed from one into the other)");
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
    // A '/' would make the name a path (gethostname never returns one on Linux).
    for (char* c = host; *c; ++c)
      if (*c == '/') *c = '_';
    hostname_ = host;
    pid_ = static_cast<long>(::getpid());
    log().info("Writing one file per event into '{}' (via '{}').", dir_, tmp_);
  }

  void process(const api::Message& event) override {
    std::string data;
    export_text(event, export_, data);

    // A name unique within tmp (dev/inode 0 as placeholders), then the final
    // name with the new file's device and inode: unique within the filesystem.
    std::string tmp_name;
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
      tmp_name = unique_name(0, 0);
      fd = ::open((tmp_ + "/" + tmp_name).c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
      if (fd < 0 && (errno != EEXIST || attempt > 10000))
        throw_errno(errno, "cannot create a file in '" + tmp_ + "'");
    }
    Fd file(fd);
    const std::string tmp_path = tmp_ + "/" + tmp_name;
    try {
      struct stat st {};
      if (::fstat(fd, &st) != 0) throw_errno(errno, "cannot stat '" + tmp_path + "'");
      const char* p = data.data();
      std::size_t left = data.size();
      while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0) {
          if (errno == EINTR) continue;
          throw_errno(errno, "cannot write '" + tmp_path + "'");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
      }
      if (fsync_ && ::fdatasync(fd) != 0) throw_errno(errno, "fdatasync of '" + tmp_path + "'");
      const int fd_copy = file.fd;
      file.fd = -1;
      if (::close(fd_copy) != 0) throw_errno(errno, "cannot close '" + tmp_path + "'");
      const std::string final_path = dir_ + "/" +
                                     unique_name(static_cast<unsigned long long>(st.st_dev),
                                                 static_cast<unsigned long long>(st.st_ino));
      if (::rename(tmp_path.c_str(), final_path.c_str()) != 0)
        throw_errno(errno, "cannot rename '" + tmp_path + "' to '" + final_path + "'");
    } catch (...) {
      ::unlink(tmp_path.c_str());  // no half-written file stays behind
      throw;
    }
    if (fsync_) renamed_.store(true, std::memory_order_relaxed);
  }

  /// With fsync: the renames of this batch are made durable (fsync of `dir`)
  /// before the batch counts as delivered.
  void flush() override {
    if (!fsync_ || !renamed_.exchange(false)) return;
    Fd d(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.fd < 0 || ::fsync(d.fd) != 0) {
      renamed_.store(true);
      throw_errno(errno, "cannot fsync directory '" + dir_ + "'");
    }
  }

 private:
  /// Python's os.mkdir + isdir check: the parent must exist.
  static std::string ensure_dir(const char* key, std::string path) {
    if (path.empty()) throw ConfigError(key, "must not be empty");
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
      throw ConfigError(key, "cannot create directory '" + path + "': " + std::strerror(errno));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw ConfigError(key, "cannot access '" + path + "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw ConfigError(key, "'" + path + "' is not a directory");
    if (::access(path.c_str(), W_OK | X_OK) != 0)
      throw ConfigError(key, "directory '" + path + "' is not writable: " + std::strerror(errno));
    return path;
  }

  /// `<host>.<pid>.<seconds.micros>.<dev>.<inode><suffix>` (IntelMQ's format).
  std::string unique_name(unsigned long long dev, unsigned long long ino) const {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    char buf[128];
    std::snprintf(buf, sizeof buf, ".%ld.%lld.%06ld.%llu.%llu", pid_,
                  static_cast<long long>(ts.tv_sec), ts.tv_nsec / 1000, dev, ino);
    std::string name = hostname_;
    name += buf;
    name += suffix_;
    return name;
  }

  std::string tmp_, dir_, suffix_, hostname_;
  long pid_ = 0;
  bool fsync_ = false;
  ExportOptions export_;
  std::atomic<bool> renamed_{false};
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.files.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Writes every event to its own file (maildir style): created in `tmp`, "
                   "renamed atomically into `dir`.",
    .params =
        {
            {"dir", api::ParamType::String, "\"/opt/intelmq/var/lib/bots/files-output/incoming\"",
             false,
             "Directory the finished files are renamed into (created at start if its "
             "parent exists)."},
            {"tmp", api::ParamType::String, "\"/opt/intelmq/var/lib/bots/files-output/tmp\"", false,
             "Directory files are written in first; must be on the same filesystem as `dir` "
             "(created at start if its parent exists). May equal `dir`, but then readers can "
             "see partial files."},
            {"suffix", api::ParamType::String, "\".json\"", false,
             "Appended to every file name `<host>.<pid>.<time>.<device>.<inode>`."},
            {"fsync", api::ParamType::Bool, "false", false,
             "fdatasync() every file before it is renamed, and fsync() `dir` at the end of "
             "every batch before it counts as delivered (survives power loss; slower)."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<FilesOutput>(); },
});

}  // namespace
}  // namespace intelflow::bots
