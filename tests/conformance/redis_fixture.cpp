// SPDX-License-Identifier: AGPL-3.0-or-later
#include "tests/conformance/redis_fixture.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include <hiredis/hiredis.h>

#include "harmonization/pyfmt.hpp"

namespace intelflow::conformance {

using harm::Value;

namespace {

/// A localhost TCP port nobody listens on right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

std::string reply_text(const redisReply* r) {
  return r && r->str ? std::string(r->str, r->len) : std::string();
}

}  // namespace

RedisFixture::~RedisFixture() {
  if (ctx_) redisFree(ctx_);
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

bool RedisFixture::ensure_started() {
  if (ctx_) return true;
  if (!error_.empty()) return false;
  char tmpl[] = "/tmp/intelflow-conformance-redis-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    error_ = "cannot create a directory for redis-server";
    return false;
  }
  dir_ = tmpl;
  for (int attempt = 0; attempt < 3 && !ctx_; ++attempt) {
    port_ = free_port();
    if (port_ == 0) break;
    const std::string port = std::to_string(port_);
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) {
        ::dup2(devnull, 1);
        ::dup2(devnull, 2);
      }
      ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir_.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    if (pid_ < 0) break;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
          error_ = "redis-server is not installed (needed for cases with a Redis cache)";
          return false;
        }
        break;  // port taken meanwhile: try another
      }
      timeval tv{1, 0};
      redisContext* c = redisConnectWithTimeout(host().c_str(), port_, tv);
      if (c && !c->err) {
        ctx_ = c;
        break;
      }
      if (c) redisFree(c);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!ctx_ && pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  if (!ctx_) error_ = "redis-server could not be started";
  return ctx_ != nullptr;
}

redisContext* RedisFixture::connection() {
  if (!ensure_started()) throw std::runtime_error(error_);
  return ctx_;
}

void RedisFixture::select(int db) {
  Reply r(static_cast<redisReply*>(redisCommand(connection(), "SELECT %d", db)));
  if (!r || r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis SELECT " + std::to_string(db) + ": " + reply_text(r.get()));
}

void RedisFixture::flush_all() {
  Reply r(static_cast<redisReply*>(redisCommand(connection(), "FLUSHALL")));
  if (!r || r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis FLUSHALL: " + reply_text(r.get()));
}

void RedisFixture::preload(int db, const Value& cache) {
  select(db);
  auto run = [&](std::vector<std::string> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(connection(), static_cast<int>(argv.size()), argv.data(), lens.data())));
    if (!r || r->type == REDIS_REPLY_ERROR)
      throw std::runtime_error("redis " + args[0] + ": " + reply_text(r.get()));
  };
  run({"FLUSHDB"});
  if (!cache.is_dict()) return;
  auto text = [](const Value& v) {
    return v.is_string() ? v.as_string() : harm::py::json_dumps(v);
  };
  for (const auto& [key, e] : cache.as_dict()) {
    std::string type = "string";
    const Value* value = nullptr;
    std::int64_t ttl = -1;
    for (const auto& [f, v] : e.as_dict()) {
      if (f == "type" && v.is_string()) type = v.as_string();
      if (f == "value") value = &v;
      if (f == "ttl" && v.is_int()) ttl = v.as_int();
      if (f == "ttl" && v.is_float()) ttl = static_cast<std::int64_t>(v.as_float());
    }
    if (value == nullptr) throw std::runtime_error("cache_before key " + key + " has no value");
    if (type == "string") {
      run({"SET", key, text(*value)});
    } else if (type == "list" && value->is_list()) {
      std::vector<std::string> args{"RPUSH", key};
      for (const auto& x : value->as_list()) args.push_back(text(x));
      run(std::move(args));
    } else if (type == "set" && value->is_list()) {
      std::vector<std::string> args{"SADD", key};
      for (const auto& x : value->as_list()) args.push_back(text(x));
      run(std::move(args));
    } else if (type == "hash" && value->is_dict()) {
      std::vector<std::string> args{"HSET", key};
      for (const auto& [hk, hv] : value->as_dict()) {
        args.push_back(hk);
        args.push_back(text(hv));
      }
      run(std::move(args));
    } else {
      throw std::runtime_error("cache_before key " + key + ": type " + type +
                               " is not supported by the runner");
    }
    if (ttl > 0) run({"EXPIRE", key, std::to_string(ttl)});
  }
}

std::map<std::string, CacheEntry> RedisFixture::dump(int db) {
  select(db);
  redisContext* c = connection();
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    Reply r(static_cast<redisReply*>(redisCommand(c, "SCAN %s COUNT 1000", cursor.c_str())));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      throw std::runtime_error("redis SCAN failed: " + reply_text(r.get()));
    cursor = reply_text(r->element[0]);
    for (std::size_t i = 0; i < r->element[1]->elements; ++i)
      keys.push_back(reply_text(r->element[1]->element[i]));
  } while (cursor != "0");

  std::map<std::string, CacheEntry> out;
  for (const auto& key : keys) {
    CacheEntry e;
    auto cmd = [&](const char* fmt) {
      return Reply(static_cast<redisReply*>(redisCommand(c, fmt, key.data(), key.size())));
    };
    auto strings = [](const redisReply* r) {
      Value::List l;
      if (r && r->type == REDIS_REPLY_ARRAY)
        for (std::size_t i = 0; i < r->elements; ++i)
          l.push_back(Value::string(reply_text(r->element[i])));
      return l;
    };
    e.type = reply_text(cmd("TYPE %b").get());
    if (e.type == "string") {
      e.value = Value::string(reply_text(cmd("GET %b").get()));
    } else if (e.type == "list") {
      e.value = Value::list(strings(cmd("LRANGE %b 0 -1").get()));
    } else if (e.type == "set") {
      auto l = strings(cmd("SMEMBERS %b").get());
      std::sort(l.begin(), l.end(),
                [](const Value& a, const Value& b) { return a.as_string() < b.as_string(); });
      e.value = Value::list(std::move(l));
    } else if (e.type == "hash") {
      auto l = strings(cmd("HGETALL %b").get());
      Value::Dict d;
      for (std::size_t i = 0; i + 1 < l.size(); i += 2)
        d.emplace_back(l[i].as_string(), std::move(l[i + 1]));
      e.value = Value::dict(std::move(d));
    } else {
      e.value = Value::string("<" + e.type + ": not read by the runner>");
    }
    Reply ttl = cmd("TTL %b");
    e.ttl = ttl && ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -1;
    out.emplace(key, std::move(e));
  }
  return out;
}

}  // namespace intelflow::conformance
