// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.tcp.output: sends events as JSON over a TCP connection (framed or
// with a separator).

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "bots/common/export.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;

/// Sends each event as JSON (sorted keys, `raw` kept) to `ip`:`port`, either
/// followed by `separator` or, without one, after a 4-byte big-endian length.
/// With `counterpart_is_intelmq` the peer (collectors.tcp.collector) confirms
/// every message with "Ok"; anything else is retried after a second. A broken
/// connection is reopened and the message sent again. One connection, serial.
class TcpOutput final : public api::OutputBot {
 public:
  /// Network writes block: run on the engine's I/O thread.
  bool uses_blocking_io() const override { return true; }
  ~TcpOutput() override { disconnect(); }

  void init(api::BotContext& ctx) override {
    OutputBot::init(ctx);
    const api::Params& p = params();
    host_ = p.get_string("ip");
    if (host_.empty()) throw ConfigError("ip", "the address of the peer is required");
    if (!p.has("port")) throw ConfigError("port", "the port of the peer is required");
    const std::int64_t port = p.get_int("port");
    if (port <= 0 || port > 65535) throw ConfigError("port", "must be 1..65535");
    port_ = static_cast<int>(port);
    to_intelmq_ = p.get_bool("counterpart_is_intelmq", true);
    // An empty separator is false in the reference: length framing then.
    if (auto sep = p.get_optional_string("separator"); sep && !sep->empty()) separator_ = *sep;
    hierarchical_ = ExportOptions::from_params(p).hierarchical;
    try {
      connect();
    } catch (const std::exception& e) {
      // The peer may start later: the first event connects again (and fails if
      // it cannot).
      log().warn("Could not connect to {}:{} yet: {}", host_, port_, e.what());
    }
  }

  void process(const api::Message& event) override {
    payload_.clear();
    event.to_json_to(payload_, hierarchical_, false);
    frame_.clear();
    if (separator_) {
      frame_ = payload_;
      frame_ += *separator_;
    } else {
      const auto n = static_cast<std::uint32_t>(payload_.size());
      const char len[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                           static_cast<char>(n >> 8), static_cast<char>(n)};
      frame_.assign(len, 4);
      frame_ += payload_;
    }
    int not_confirmed = 0;
    int reconnects = 0;
    while (true) {
      try {
        if (fd_ < 0) connect();
        send_all(frame_);
        if (!to_intelmq_) return;
        if (read_reply() == "Ok") return;
        if (++not_confirmed >= kMaxUnconfirmed)
          throw std::runtime_error("the peer did not confirm the message " +
                                   std::to_string(kMaxUnconfirmed) + " times");
        log().warn("Message not delivered, retrying.");
        std::this_thread::sleep_for(std::chrono::seconds(1));
      } catch (const std::system_error& e) {
        disconnect();
        if (++reconnects > 1) throw;
        log().warn("Reconnecting to {}:{} after: {}", host_, port_, e.what());
      }
    }
  }

  void shutdown() override { disconnect(); }

 private:
  static constexpr int kMaxUnconfirmed = 3;

  [[noreturn]] static void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  void connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string service = std::to_string(port_);
    const int rc = ::getaddrinfo(host_.c_str(), service.c_str(), &hints, &res);
    if (rc != 0)
      throw std::system_error(std::make_error_code(std::errc::host_unreachable),
                              "cannot resolve " + host_ + ": " + ::gai_strerror(rc));
    int err = ECONNREFUSED;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) {
        err = errno;
        continue;
      }
      timeval tv{15, 0};  // the reference's socket timeout
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      err = errno;
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) {
      errno = err;
      throw_errno("cannot connect to " + host_ + ":" + service);
    }
    log().info("Connected successfully to {}:{}.", host_, port_);
  }

  void disconnect() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void send_all(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("sending to " + host_);
      }
      off += static_cast<std::size_t>(n);
    }
  }

  /// Up to two bytes of confirmation ("" when the peer closed).
  std::string read_reply() {
    char buf[2];
    std::size_t got = 0;
    while (got < 2) {
      const ssize_t n = ::recv(fd_, buf + got, 2 - got, 0);
      if (n > 0) {
        got += static_cast<std::size_t>(n);
        continue;
      }
      if (n == 0) {  // closed by the peer: reconnect for the retry
        disconnect();
        break;
      }
      if (errno == EINTR) continue;
      throw_errno("waiting for the confirmation of " + host_);
    }
    return std::string(buf, got);
  }

  std::string host_;
  int port_ = 0;
  bool to_intelmq_ = true;
  std::optional<std::string> separator_;
  bool hierarchical_ = false;
  int fd_ = -1;
  std::string payload_;
  std::string frame_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.tcp.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Sends events as JSON over TCP, length-prefixed (for "
                   "collectors.tcp.collector) "
                   "or followed by a separator.",
    .params =
        {
            {"ip", api::ParamType::String, "null", true, "Host name or address of the peer."},
            {"port", api::ParamType::Int, "null", true, "TCP port of the peer."},
            {"counterpart_is_intelmq", api::ParamType::Bool, "true", false,
             "The peer is an IntelMQ/intelflow TCP collector: wait for its "
             "\"Ok\" after every "
             "message and resend (after 1 s) when it does not come."},
            {"separator", api::ParamType::String, "null", false,
             "Text written after each message instead of the 4-byte length "
             "prefix (e.g. "
             "\"\\n\" for line-based receivers)."},
        },
    .concurrent = false,
    .factory = [] { return std::make_unique<TcpOutput>(); },
});

}  // namespace
}  // namespace intelflow::bots
