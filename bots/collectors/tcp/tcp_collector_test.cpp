// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "bots/common/export.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::CollectorBot;
using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Value;

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

std::string frame(const std::string& payload) {
  const auto n = static_cast<std::uint32_t>(payload.size());
  std::string f{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                static_cast<char>(n)};
  return f + payload;
}

/// Everything the peer sends until it closes.
std::string read_all(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) s.append(buf, static_cast<std::size_t>(n));
  return s;
}

/// Runs collection rounds until `done` (at most ~10 s).
void rounds_until(TestBot& t, CaptureEmitter& out, const std::atomic<bool>& done) {
  auto* c = dynamic_cast<CollectorBot*>(t.bot.get());
  REQUIRE(c != nullptr);
  for (int i = 0; i < 20 && !done.load(); ++i) c->collect(out);
  c->collect(out);  // flush the last answers
}

std::string raw_text(const intelflow::harm::Message& m) {
  return intelflow::bots::base64_decode_text(m.get("raw").as_string());
}

}  // namespace

TEST_CASE("tcp collector: one report per frame, Ok per frame, End at a clean close",
          "[collectors][tcp]") {
  const int port = free_port();
  TestBot t("collectors.tcp.collector", {{"ip", Value::string("127.0.0.1")},
                                         {"port", Value::integer(port)},
                                         {"name", Value::string("Example feed")}});
  std::atomic<bool> done{false};
  std::string answers;
  std::thread client([&] {
    const int fd = connect_to(port);
    const std::string data = frame("some random input") + frame("another line");
    // Send in small pieces: frames may arrive split.
    for (std::size_t i = 0; i < data.size(); i += 5) {
      ::send(fd, data.data() + i, std::min<std::size_t>(5, data.size() - i), 0);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::shutdown(fd, SHUT_WR);
    answers = read_all(fd);
    ::close(fd);
    done = true;
  });
  CaptureEmitter out;
  rounds_until(t, out, done);
  client.join();
  CHECK(answers == "OkOkEnd");
  auto& reports = out.sent["_default"];
  REQUIRE(reports.size() == 2);
  CHECK(raw_text(reports[0]) == "some random input");
  CHECK(raw_text(reports[1]) == "another line");
  CHECK(reports[0].get("feed.name") == Value::string("Example feed"));
  CHECK(reports[0].contains("time.observation"));
}

TEST_CASE("tcp collector: a truncated payload is answered with Incomplete message",
          "[collectors][tcp]") {
  const int port = free_port();
  TestBot t("collectors.tcp.collector",
            {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}});
  std::atomic<bool> done{false};
  std::string answers;
  std::thread client([&] {
    const int fd = connect_to(port);
    const std::string data = frame("complete") + frame("truncated").substr(0, 8);
    ::send(fd, data.data(), data.size(), 0);
    ::shutdown(fd, SHUT_WR);
    answers = read_all(fd);
    ::close(fd);
    done = true;
  });
  CaptureEmitter out;
  rounds_until(t, out, done);
  client.join();
  CHECK(answers == "OkIncomplete message");
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(raw_text(out.sent["_default"][0]) == "complete");
}

TEST_CASE("tcp collector: several clients at once, connections kept across rounds",
          "[collectors][tcp]") {
  const int port = free_port();
  TestBot t("collectors.tcp.collector",
            {{"ip", Value::string("localhost")}, {"port", Value::integer(port)}});
  auto* c = dynamic_cast<CollectorBot*>(t.bot.get());
  CaptureEmitter out;
  const int a = connect_to(port);
  const int b = connect_to(port);
  ::send(a, frame("a1").data(), 6, 0);
  ::send(b, frame("b1").data(), 6, 0);
  c->collect(out);
  CHECK(out.sent["_default"].size() == 2);
  // The same connections go on in the next round.
  ::send(a, frame("a2").data(), 6, 0);
  c->collect(out);
  REQUIRE(out.sent["_default"].size() == 3);
  CHECK(raw_text(out.sent["_default"][2]) == "a2");
  ::close(a);
  ::close(b);
}

TEST_CASE("tcp collector: the TCP output is its counterpart", "[collectors][tcp]") {
  const int port = free_port();
  TestBot collector("collectors.tcp.collector",
                    {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}});
  TestBot output("outputs.tcp.output",
                 {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}});
  std::atomic<bool> done{false};
  std::string sent_json;
  std::thread producer([&] {
    CaptureEmitter unused;
    for (int i = 0; i < 3; ++i) {
      auto ev = output.event();
      ev.add("source.port", Value::integer(i));
      ev.add("raw", Value::string("line"));
      if (i == 0) sent_json = ev.to_json();
      output.process(ev, unused);  // returns once the collector answered Ok
    }
    done = true;
  });
  CaptureEmitter out;
  rounds_until(collector, out, done);
  producer.join();
  REQUIRE(out.sent["_default"].size() == 3);
  CHECK(raw_text(out.sent["_default"][0]) == sent_json);
}

TEST_CASE("tcp collector: ip and port are required, a busy port refuses the start",
          "[collectors][tcp]") {
  CHECK_THROWS_AS(TestBot("collectors.tcp.collector", {{"ip", Value::string("127.0.0.1")}}),
                  ConfigError);
  const int port = free_port();
  TestBot first("collectors.tcp.collector",
                {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}});
  CHECK_THROWS_AS(TestBot("collectors.tcp.collector",
                          {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(port)}}),
                  ConfigError);
}
