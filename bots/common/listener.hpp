// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A listening socket (TCP or unix) and its accepted connections, driven in
/// rounds by one thread: run_until() accepts, reads and writes until a
/// deadline and hands newly arrived bytes to a callback. Used by the
/// collectors that listen (collectors.tcp.collector,
/// collectors.api.collector_api): the engine calls collect() once per round on
/// the collector's thread, so the listening socket and open connections survive
/// between rounds. Not thread-safe; one owner thread.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <list>
#include <optional>
#include <string>

namespace intelflow::bots::net {

/// One accepted connection. `in` holds bytes not yet consumed by the
/// handler (it erases what it used); `out` bytes still to be written.
struct Conn {
  int fd = -1;
  std::string peer;  ///< "host:port" or "unix"
  std::string in;
  std::string out;
  bool eof = false;      ///< the peer closed its side
  bool closing = false;  ///< close once `out` is written (set by the handler)
  int state = 0;         ///< free for the handler (e.g. a protocol state)
};

class Listener {
 public:
  using Handler = std::function<void(Conn&)>;

  /// Listens on TCP `host`:`port` (host "" = all IPv4 interfaces; names are
  /// resolved; port 0 = any free port). Throws std::system_error /
  /// runtime_error.
  static Listener tcp(const std::string& host, int port);
  /// Listens on a unix stream socket at `path` with file mode `perms`
  /// (an existing socket file is replaced; any other file is an error), group
  /// `gid` if given.
  static Listener unix_socket(const std::string& path, mode_t perms, std::optional<gid_t> gid);

  Listener(Listener&& o) noexcept;
  Listener& operator=(Listener&& o) noexcept;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();

  /// The bound TCP port (useful with port 0).
  int port() const noexcept { return port_; }
  /// Number of open connections.
  std::size_t connections() const noexcept { return conns_.size(); }

  /// Serves until `deadline`: accepts connections, reads what arrives and
  /// calls `on_data(conn)` after each read that added bytes, and once more
  /// with conn.eof set when the peer closed (the connection is closed after
  /// its pending output is written). Writes pending `out` bytes. Returns at
  /// the deadline (promptly: poll waits at most until then).
  void run_until(std::chrono::steady_clock::time_point deadline, const Handler& on_data);

  /// Closes every connection and the listening socket (unlinks a unix socket).
  void close();

 private:
  Listener() = default;
  void accept_all();
  bool read_some(Conn& c);
  bool write_some(Conn& c);

  int fd_ = -1;
  int port_ = 0;
  std::string unix_path_;
  std::list<Conn> conns_;
};

}  // namespace intelflow::bots::net
