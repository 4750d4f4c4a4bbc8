// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.wait.expert: delays events by a fixed time or until a Redis list is short enough.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

struct RedisFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

/// Three modes, chosen at init: `queue_name` set → before forwarding, poll
/// LLEN of that Redis list every `queue_polling_interval` seconds until it
/// holds at most `queue_size` items; else `sleep_time` set → sleep that
/// long; else forward at once. Serial (one Redis connection).
class WaitExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    queue_name_ = p.get_string("queue_name");
    const Value* sleep = p.find("sleep_time");
    if (!queue_name_.empty()) {
      host_ = p.get_string("queue_host", "localhost");
      port_ = static_cast<int>(p.get_int("queue_port", 6379));
      db_ = p.get_int("queue_db", 2);
      password_ = p.get_optional_string("queue_password");
      interval_ = p.get_float("queue_polling_interval", 0.05);
      size_ = p.get_int("queue_size", 0);
      if (interval_ < 0) throw ConfigError("queue_polling_interval", "must not be negative");
      connect();
      log().debug("Wait mode is queue.");
    } else if (sleep != nullptr && sleep->truthy()) {
      sleep_ = p.get_float("sleep_time", 0);
      if (sleep_ < 0) throw ConfigError("sleep_time", "must not be negative");
      log().debug("Wait mode is sleep.");
    } else {
      log().debug("Wait mode is dummy.");
    }
  }

  void process(Message& ev, api::Emitter& out) override {
    if (!queue_name_.empty()) {
      while (queue_length() > size_)
        std::this_thread::sleep_for(std::chrono::duration<double>(interval_));
    } else if (sleep_ > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(sleep_));
    }
    out.send(std::move(ev));
  }

 private:
  void connect() {
    const timeval tv{5, 0};
    redisContext* c = host_.rfind("/", 0) == 0 ? redisConnectUnixWithTimeout(host_.c_str(), tv)
                                               : redisConnectWithTimeout(host_.c_str(), port_, tv);
    if (c == nullptr) throw std::runtime_error("cannot allocate a Redis context");
    conn_.reset(c);
    if (c->err)
      throw std::runtime_error("cannot connect to Redis at " + host_ + ":" + std::to_string(port_) +
                               ": " + c->errstr);
    if (password_) command("AUTH %s", password_->c_str());
    command("SELECT %lld", static_cast<long long>(db_));
  }

  template <class... Args>
  ReplyPtr command(const char* fmt, Args... args) {
    auto* r = static_cast<redisReply*>(redisCommand(conn_.get(), fmt, args...));
    if (r == nullptr) {
      const std::string why = conn_->errstr;
      conn_.reset();
      throw std::runtime_error("Redis error: " + why);
    }
    ReplyPtr reply(r);
    if (r->type == REDIS_REPLY_ERROR)
      throw std::runtime_error("Redis error: " + std::string(r->str, r->len));
    return reply;
  }

  long long queue_length() {
    if (!conn_) connect();
    ReplyPtr r = command("LLEN %b", queue_name_.data(), queue_name_.size());
    return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
  }

  std::string queue_name_;
  std::string host_ = "localhost";
  int port_ = 6379;
  std::int64_t db_ = 2;
  std::optional<std::string> password_;
  double interval_ = 0.05;
  std::int64_t size_ = 0;
  double sleep_ = 0;
  std::unique_ptr<redisContext, RedisFree> conn_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.wait.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Delays events: until a Redis list holds at most queue_size items, or for "
                   "sleep_time seconds; without either it passes events through.",
    .params = {api::ParamSpec{
                   "queue_name", api::ParamType::String, "null", false,
                   "Redis list to watch (e.g. another IntelMQ bot's queue). Set: queue mode."},
               api::ParamSpec{"queue_host", api::ParamType::String, "\"localhost\"", false,
                              "Redis host (or a /path of a unix socket)."},
               api::ParamSpec{"queue_port", api::ParamType::Int, "6379", false, "Redis port."},
               api::ParamSpec{"queue_db", api::ParamType::Int, "2", false, "Redis database."},
               api::ParamSpec{"queue_password", api::ParamType::String, "null", false,
                              "Redis password."},
               api::ParamSpec{"queue_polling_interval", api::ParamType::Float, "0.05", false,
                              "Seconds between two LLEN polls."},
               api::ParamSpec{"queue_size", api::ParamType::Int, "0", false,
                              "Forward once the list holds at most this many items."},
               api::ParamSpec{"sleep_time", api::ParamType::Float, "null", false,
                              "Seconds to sleep before forwarding each event (used when queue_name "
                              "is not set)."}},
    .concurrent = false,
    .factory = [] { return std::make_unique<WaitExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
