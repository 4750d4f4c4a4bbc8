// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Value;

namespace {

/// A plain TCP listener on 127.0.0.1 (free port) for the output to talk to.
struct Peer {
  Peer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Peer() { ::close(fd); }
  int accept_one() const {
    const int c = ::accept(fd, nullptr, nullptr);
    timeval tv{5, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return c;
  }
  static std::string read_n(int c, std::size_t n) {
    std::string s;
    char buf[4096];
    while (s.size() < n) {
      const ssize_t got = ::recv(c, buf, std::min(sizeof buf, n - s.size()), 0);
      if (got <= 0) break;
      s.append(buf, static_cast<std::size_t>(got));
    }
    return s;
  }
  /// One length-prefixed frame ("" at EOF).
  static std::string read_frame(int c) {
    const std::string len = read_n(c, 4);
    if (len.size() < 4) return {};
    const auto* b = reinterpret_cast<const unsigned char*>(len.data());
    const std::size_t n = (std::size_t{b[0]} << 24) | (std::size_t{b[1]} << 16) |
                          (std::size_t{b[2]} << 8) | std::size_t{b[3]};
    return read_n(c, n);
  }
  int fd = -1;
  int port = 0;
};

std::vector<std::pair<std::string, Value>> params(
    const Peer& p, std::vector<std::pair<std::string, Value>> more = {}) {
  more.emplace_back("ip", Value::string("127.0.0.1"));
  more.emplace_back("port", Value::integer(p.port));
  return more;
}

}  // namespace

TEST_CASE("tcp output: length-prefixed JSON (raw kept), confirmed with Ok", "[outputs][tcp]") {
  Peer peer;
  std::vector<std::string> frames;
  std::thread server([&] {
    const int c = peer.accept_one();
    for (int i = 0; i < 2; ++i) {
      frames.push_back(Peer::read_frame(c));
      ::send(c, "Ok", 2, 0);
    }
    ::close(c);
  });
  TestBot t("outputs.tcp.output", params(peer));
  CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.ip", Value::string("192.0.2.1"));
  ev.add("raw", Value::string("hello"));
  ev.add("comment", Value::string("\xc3\xa9"));
  t.process(ev, out);
  auto ev2 = t.event();
  ev2.add("source.port", Value::integer(22));
  t.process(ev2, out);
  server.join();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == ev.to_json());
  CHECK(frames[0].find("\"raw\": ") != std::string::npos);
  CHECK(frames[0].find("\xc3\xa9") != std::string::npos);  // UTF-8 kept
  CHECK(frames[1] == "{\"source.port\": 22}");
}

TEST_CASE("tcp output: separator instead of framing, no confirmation for other peers",
          "[outputs][tcp]") {
  Peer peer;
  const std::string expected = "{\"source\": {\"port\": 1}}\n{\"source\": {\"port\": 1}}\n";
  std::string got;
  std::thread server([&] {
    const int c = peer.accept_one();
    got = Peer::read_n(c, expected.size() + 1);  // waits for EOF: nothing more is sent
    ::close(c);
  });
  TestBot t("outputs.tcp.output", params(peer, {{"counterpart_is_intelmq", Value::boolean(false)},
                                                {"separator", Value::string("\n")},
                                                {"hierarchical_output", Value::boolean(true)}}));
  CaptureEmitter out;
  for (int i = 0; i < 2; ++i) {
    auto ev = t.event();
    ev.add("source.port", Value::integer(1));
    t.process(ev, out);
  }
  t.bot->shutdown();  // closes the connection
  server.join();
  CHECK(got == expected);
}

TEST_CASE("tcp output: a message that is not confirmed is sent again", "[outputs][tcp]") {
  Peer peer;
  std::vector<std::string> frames;
  std::thread server([&] {
    const int c = peer.accept_one();
    frames.push_back(Peer::read_frame(c));
    ::send(c, "No", 2, 0);
    frames.push_back(Peer::read_frame(c));
    ::send(c, "Ok", 2, 0);
    ::close(c);
  });
  TestBot t("outputs.tcp.output", params(peer));
  CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.port", Value::integer(7));
  t.process(ev, out);
  server.join();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0] == frames[1]);
}

TEST_CASE("tcp output: a closed connection is reopened and the message resent", "[outputs][tcp]") {
  Peer peer;
  std::vector<std::string> frames;
  std::thread server([&] {
    int c = peer.accept_one();
    frames.push_back(Peer::read_frame(c));
    ::close(c);  // no confirmation: the peer went away
    c = peer.accept_one();
    frames.push_back(Peer::read_frame(c));
    ::send(c, "Ok", 2, 0);
    ::close(c);
  });
  TestBot t("outputs.tcp.output", params(peer));
  CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.port", Value::integer(9));
  t.process(ev, out);
  server.join();
  REQUIRE(frames.size() == 2);
  CHECK(frames[1] == "{\"source.port\": 9}");
}

TEST_CASE("tcp output: no peer fails the event, not the start", "[outputs][tcp]") {
  int port = 0;
  {
    Peer p;  // find a free port, then close it
    port = p.port;
  }
  TestBot t("outputs.tcp.output",
            {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}});
  CaptureEmitter out;
  auto ev = t.event();
  CHECK_THROWS(t.process(ev, out));
  CHECK_THROWS_AS(TestBot("outputs.tcp.output", {{"ip", Value::string("127.0.0.1")}}), ConfigError);
}
