// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

#include "engine/api/testing.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Value;

namespace {

/// A UDP socket bound to 127.0.0.1 on a free port.
struct UdpReceiver {
  UdpReceiver() {
    fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~UdpReceiver() { ::close(fd); }
  std::string receive() const {
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    REQUIRE(n >= 0);
    return std::string(buf, static_cast<std::size_t>(n));
  }
  int fd = -1;
  int port = 0;
};

std::vector<std::pair<std::string, Value>> params(
    const UdpReceiver& r, const char* format,
    std::vector<std::pair<std::string, Value>> more = {}) {
  more.emplace_back("format", Value::string(format));
  bool has_host = false;
  for (const auto& kv : more) has_host = has_host || kv.first == "udp_host";
  if (!has_host) more.emplace_back("udp_host", Value::string("127.0.0.1"));
  more.emplace_back("udp_port", Value::integer(r.port));
  return more;
}

}  // namespace

TEST_CASE("udp output: json is header + sorted event JSON without raw + newline",
          "[outputs][udp]") {
  UdpReceiver r;
  TestBot t("outputs.udp.output", params(r, "JSON", {{"header", Value::string("<182>")}}));
  CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.ip", Value::string("192.0.2.1"));
  ev.add("comment", Value::string("tab\there, bell\x07, \xc3\xa9t\xc3\xa9"));
  ev.add("feed.name", Value::string("x"));
  ev.add("raw", Value::string("hello"));
  t.process(ev, out);
  CHECK(r.receive() ==
        "<182>{\"comment\": \"tab\\there, bell\\u0007, "
        "\xc3\xa9t\xc3\xa9\", \"feed.name\": \"x\", "
        "\"source.ip\": \"192.0.2.1\"}\n");
}

TEST_CASE("udp output: delimited fields in event order, control characters removed",
          "[outputs][udp]") {
  UdpReceiver r;
  TestBot t("outputs.udp.output",
            params(r, "delimited", {{"field_delimiter", Value::string(";")}}));
  CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.port", Value::integer(80));
  ev.add("comment", Value::string("a\tb\nc\xe2\x80\x8b"
                                  "d"));  // tab, newline, zero-width space
  ev.add("extra.flag", Value::boolean(true));
  ev.add("raw", Value::string("hello"));
  t.process(ev, out);
  CHECK(r.receive() == ";source.port:80;comment:abcd;extra.flag:True\n");
}

TEST_CASE("udp output: keep_raw_field keeps raw, without it raw must exist", "[outputs][udp]") {
  UdpReceiver r;
  {
    TestBot t("outputs.udp.output",
              params(r, "delimited", {{"keep_raw_field", Value::boolean(true)}}));
    CaptureEmitter out;
    auto ev = t.event();
    ev.add("raw", Value::string("hello"));
    t.process(ev, out);
    CHECK(r.receive() == "|raw:" + ev.get("raw").as_string() + "\n");
    auto no_raw = t.event();
    no_raw.add("comment", Value::string("x"));
    t.process(no_raw, out);
    CHECK(r.receive() == "|comment:x\n");
  }
  TestBot t("outputs.udp.output", params(r, "json"));
  CaptureEmitter out;
  auto no_raw = t.event();
  no_raw.add("comment", Value::string("x"));
  CHECK_THROWS(t.process(no_raw, out));
}

TEST_CASE("udp output: bad parameters refuse the start", "[outputs][udp]") {
  UdpReceiver r;
  CHECK_THROWS_AS(TestBot("outputs.udp.output", params(r, "xml")), ConfigError);
  CHECK_THROWS_AS(TestBot("outputs.udp.output",
                          params(r, "json", {{"udp_host", Value::string("no-such-host.invalid")}})),
                  ConfigError);
}
