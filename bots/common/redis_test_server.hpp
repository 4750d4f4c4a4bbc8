// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Test support (header only, used by [redis] unit tests): starts a private
/// `redis-server` on a unix socket in a fresh temporary directory (no TCP
/// port, no persistence) and stops it when destroyed. `available()` is false
/// when redis-server is not installed; tests then skip with a warning.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace intelflow::bots::testing {

/// A redis-server child process listening on `socket_path()`.
class RedisTestServer {
 public:
  RedisTestServer() {
    char tmpl[] = "/tmp/intelflow-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    sock_ = dir_ + "/redis.sock";
    std::fflush(nullptr);  // nothing buffered may be written twice
    pid_ = ::fork();
    if (pid_ == 0) {
      // Child: silence output at the descriptor level, run in the foreground.
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock_.c_str(),
             "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", dir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid_ < 0) return;
    // Wait until the socket accepts connections (the server needs a few ms).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: not installed / failed
        pid_ = -1;
        return;
      }
      if (can_connect()) {
        ready_ = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  ~RedisTestServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  bool available() const noexcept { return ready_; }
  const std::string& socket_path() const noexcept { return sock_; }

 private:
  bool can_connect() const {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    sock_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  std::string dir_;
  std::string sock_;
  pid_t pid_ = -1;
  bool ready_ = false;
};

}  // namespace intelflow::bots::testing
