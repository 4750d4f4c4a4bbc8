// SPDX-License-Identifier: AGPL-3.0-or-later
#include "bots/common/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <vector>

namespace intelflow::bots::net {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
  const int fl = ::fcntl(fd, F_GETFL, 0);
  if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) throw_errno("fcntl");
}

std::string peer_name(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(a->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(a->sin6_port));
  }
  return "unix";
}

}  // namespace

Listener Listener::tcp(const std::string& host, int port) {
  if (port < 0 || port > 65535) throw std::runtime_error("invalid port " + std::to_string(port));
  addrinfo hints{};
  hints.ai_family = AF_INET;  // IPv4 first, as the reference's AF_INET sockets ("localhost")
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  const char* node = host.empty() ? "0.0.0.0" : host.c_str();
  int rc = ::getaddrinfo(node, service.c_str(), &hints, &res);
  if (rc != 0) {  // e.g. an IPv6 literal
    hints.ai_family = AF_UNSPEC;
    rc = ::getaddrinfo(node, service.c_str(), &hints, &res);
  }
  if (rc != 0) throw std::runtime_error("cannot resolve '" + host + "': " + ::gai_strerror(rc));
  Listener l;
  int err = 0;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      l.fd_ = fd;
      break;
    }
    err = errno;
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (l.fd_ < 0) {
    errno = err;
    throw_errno("cannot listen on " + host + ":" + std::to_string(port));
  }
  set_nonblocking(l.fd_);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(l.fd_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET)
      l.port_ = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
      l.port_ = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  }
  return l;
}

Listener Listener::unix_socket(const std::string& path, mode_t perms, std::optional<gid_t> gid) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    throw std::runtime_error("invalid unix socket path '" + path + "'");
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error("'" + path + "' exists and is no socket");
    if (::unlink(path.c_str()) != 0) throw_errno("cannot remove old socket '" + path + "'");
  }
  Listener l;
  l.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.fd_ < 0) throw_errno("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(l.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw_errno("cannot bind '" + path + "'");
  l.unix_path_ = path;
  if (::chmod(path.c_str(), perms) != 0) throw_errno("cannot chmod '" + path + "'");
  if (gid && ::chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0)
    throw_errno("cannot chown '" + path + "'");
  if (::listen(l.fd_, 128) != 0) throw_errno("listen");
  set_nonblocking(l.fd_);
  return l;
}

Listener::Listener(Listener&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      port_(o.port_),
      unix_path_(std::move(o.unix_path_)),
      conns_(std::move(o.conns_)) {
  o.unix_path_.clear();
  o.conns_.clear();
}

Listener& Listener::operator=(Listener&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    port_ = o.port_;
    unix_path_ = std::move(o.unix_path_);
    o.unix_path_.clear();
    conns_ = std::move(o.conns_);
    o.conns_.clear();
  }
  return *this;
}

Listener::~Listener() {
  close();
}

void Listener::close() {
  for (Conn& c : conns_)
    if (c.fd >= 0) ::close(c.fd);
  conns_.clear();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
  }
  unix_path_.clear();
}

void Listener::accept_all() {
  while (true) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd =
        ::accept4(fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a transient error: retried at the next poll
    Conn c;
    c.fd = fd;
    c.peer = peer_name(ss);
    conns_.push_back(std::move(c));
  }
}

bool Listener::read_some(Conn& c) {
  bool got = false;
  char buf[65536];
  while (true) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      got = true;
      if (static_cast<std::size_t>(n) < sizeof buf) return got;
      continue;
    }
    if (n == 0) {
      c.eof = true;
      return got;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.eof = true;  // reset: treat as closed
    return got;
  }
}

bool Listener::write_some(Conn& c) {
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    c.out.clear();  // the peer is gone
    c.closing = true;
    return false;
  }
  return true;
}

void Listener::run_until(std::chrono::steady_clock::time_point deadline, const Handler& on_data) {
  std::vector<pollfd> fds;
  std::vector<Conn*> owners;
  while (fd_ >= 0) {
    // Flush and retire connections.
    for (auto it = conns_.begin(); it != conns_.end();) {
      write_some(*it);
      if ((it->closing || it->eof) && it->out.empty()) {
        ::close(it->fd);
        it = conns_.erase(it);
      } else {
        ++it;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();

    fds.clear();
    owners.clear();
    fds.push_back({fd_, POLLIN, 0});
    owners.push_back(nullptr);
    for (Conn& c : conns_) {
      short ev = 0;
      if (!c.eof && !c.closing) ev |= POLLIN;
      if (!c.out.empty()) ev |= POLLOUT;
      fds.push_back({c.fd, ev, 0});
      owners.push_back(&c);
    }
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long long>(1, left)));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("poll");
    }
    if (n == 0) continue;
    if (fds[0].revents & POLLIN) accept_all();
    for (std::size_t i = 1; i < fds.size(); ++i) {
      Conn& c = *owners[i];
      if (fds[i].revents & POLLOUT) write_some(c);
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        const bool got = read_some(c);
        if (got || c.eof) on_data(c);
      }
    }
  }
}

}  // namespace intelflow::bots::net
