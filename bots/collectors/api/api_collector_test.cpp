// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
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

void set_timeout(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

int connect_tcp(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  set_timeout(fd);
  return fd;
}

int connect_unix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  set_timeout(fd);
  return fd;
}

void send_text(int fd, const std::string& s) {
  ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
}

/// Reads until `needle` occurs `times` times, or EOF / timeout.
std::string read_until(int fd, const std::string& needle, int times = 1) {
  std::string s;
  char buf[1024];
  auto count = [&] {
    int n = 0;
    for (std::size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
  };
  while (count() < times) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    s.append(buf, static_cast<std::size_t>(n));
  }
  return s;
}

/// Runs `client` on a thread while the collector serves rounds.
void serve(TestBot& t, CaptureEmitter& out, const std::function<void()>& client) {
  std::atomic<bool> done{false};
  std::thread th([&] {
    client();
    done = true;
  });
  auto* c = dynamic_cast<CollectorBot*>(t.bot.get());
  REQUIRE(c != nullptr);
  for (int i = 0; i < 30 && !done.load(); ++i) c->collect(out);
  th.join();
}

std::string raw_text(const intelflow::harm::Message& m) {
  return intelflow::bots::base64_decode_text(m.get("raw").as_string());
}

std::string post(const std::string& body, const std::string& extra = "") {
  return "POST /intelmq/push HTTP/1.1\r\nHost: x\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

}  // namespace

TEST_CASE("api collector: POST /intelmq/push becomes a report, answered 200", "[collectors][api]") {
  const int port = free_port();
  TestBot t("collectors.api.collector_api", {{"port", Value::integer(port)}});
  CaptureEmitter out;
  std::string resp;
  serve(t, out, [&] {
    const int fd = connect_tcp(port);
    // Two requests on one keep-alive connection, the second sent in pieces.
    send_text(fd, post("{\"ip\": \"192.0.2.1\"}"));
    const std::string second = post("line 1\nline 2\n");
    send_text(fd, second.substr(0, 20));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    send_text(fd, second.substr(20));
    resp = read_until(fd, "HTTP/1.1 200 OK", 2);
    ::close(fd);
  });
  CHECK(resp.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  auto& reports = out.sent["_default"];
  REQUIRE(reports.size() == 2);
  CHECK(raw_text(reports[0]) == "{\"ip\": \"192.0.2.1\"}");
  CHECK(raw_text(reports[1]) == "line 1\nline 2\n");
  CHECK(reports[0].get("feed.name") == Value::string("API"));
  CHECK(reports[0].get("feed.provider") == Value::string("APICollector"));
  CHECK(reports[0].contains("time.observation"));
}

TEST_CASE("api collector: feed parameters override the defaults", "[collectors][api]") {
  const int port = free_port();
  TestBot t("collectors.api.collector_api", {{"port", Value::integer(port)},
                                             {"name", Value::string("My feed")},
                                             {"provider", Value::string("Me")}});
  CaptureEmitter out;
  serve(t, out, [&] {
    const int fd = connect_tcp(port);
    send_text(fd, post("x"));
    read_until(fd, "\r\n\r\n");
    ::close(fd);
  });
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(out.sent["_default"][0].get("feed.name") == Value::string("My feed"));
  CHECK(out.sent["_default"][0].get("feed.provider") == Value::string("Me"));
}

TEST_CASE("api collector: chunked bodies and Expect: 100-continue", "[collectors][api]") {
  const int port = free_port();
  TestBot t("collectors.api.collector_api", {{"port", Value::integer(port)}});
  CaptureEmitter out;
  std::string interim, resp;
  serve(t, out, [&] {
    const int fd = connect_tcp(port);
    send_text(fd,
              "POST /intelmq/push?x=1 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
              "Expect: 100-continue\r\nConnection: close\r\n\r\n");
    interim = read_until(fd, "\r\n\r\n");
    send_text(fd, "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n");
    resp = read_until(fd, "\r\n\r\n");
    ::close(fd);
  });
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  CHECK(resp.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
  CHECK(resp.find("Connection: close") != std::string::npos);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(raw_text(out.sent["_default"][0]) == "hello, world");
}

TEST_CASE("api collector: other paths 404, other methods 405, garbage 400", "[collectors][api]") {
  const int port = free_port();
  TestBot t("collectors.api.collector_api", {{"port", Value::integer(port)}});
  CaptureEmitter out;
  std::string r404, r405, r400;
  serve(t, out, [&] {
    const int fd = connect_tcp(port);
    send_text(fd, "POST /other HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
    r404 = read_until(fd, "\r\n\r\n");
    send_text(fd, "GET /intelmq/push HTTP/1.1\r\n\r\n");
    r405 = read_until(fd, "\r\n\r\n");
    ::close(fd);
    const int fd2 = connect_tcp(port);
    send_text(fd2, "NONSENSE\r\n\r\n");
    r400 = read_until(fd2, "\r\n\r\n");
    ::close(fd2);
  });
  CHECK(r404.rfind("HTTP/1.1 404 Not Found\r\n", 0) == 0);
  CHECK(r405.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0) == 0);
  CHECK(r405.find("Allow: POST") != std::string::npos);
  CHECK(r400.rfind("HTTP/1.1 400 Bad Request\r\n", 0) == 0);
  CHECK(out.sent["_default"].empty());
}

TEST_CASE("api collector: unix socket with permissions", "[collectors][api]") {
  char tmpl[] = "/tmp/intelflow-api-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/push.sock";
  {
    TestBot t("collectors.api.collector_api", {{"use_socket", Value::boolean(true)},
                                               {"socket_path", Value::string(path)},
                                               {"socket_perms", Value::string("660")}});
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0660);
    CaptureEmitter out;
    std::string resp;
    serve(t, out, [&] {
      const int fd = connect_unix(path);
      send_text(fd, post("via unix"));
      resp = read_until(fd, "\r\n\r\n");
      ::close(fd);
    });
    CHECK(resp.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    REQUIRE(out.sent["_default"].size() == 1);
    CHECK(raw_text(out.sent["_default"][0]) == "via unix");
    t.bot->shutdown();
    CHECK_FALSE(std::filesystem::exists(path));  // removed at shutdown
  }
  // A regular file in the way is not replaced.
  std::filesystem::create_directories(dir);
  { std::ofstream(path) << "x"; }
  CHECK_THROWS_AS(TestBot("collectors.api.collector_api", {{"use_socket", Value::boolean(true)},
                                                           {"socket_path", Value::string(path)}}),
                  ConfigError);
  CHECK_THROWS_AS(
      TestBot("collectors.api.collector_api", {{"use_socket", Value::boolean(true)},
                                               {"socket_path", Value::string(dir + "/b.sock")},
                                               {"socket_perms", Value::string("rw")}}),
      ConfigError);
  std::filesystem::remove_all(dir);
}
