// SPDX-License-Identifier: AGPL-3.0-or-later
// collectors.tcp.collector: receives length-prefixed messages over TCP
// (counterpart of outputs.tcp.output).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bots/common/listener.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Value;

/// How long one collection round listens before returning to the engine.
constexpr std::chrono::milliseconds kRoundWindow{500};
/// Frames above this size are refused (the connection is closed).
constexpr std::uint32_t kMaxFrame = 512u * 1024 * 1024;

/// Listens on `ip`:`port`; every frame (4-byte big-endian length + payload)
/// of every connection becomes one report with `raw` = payload, confirmed
/// with "Ok" once the report is durable. A clean end of the stream is
/// answered with "End", a truncated payload with "Incomplete message". The
/// listening socket and open connections live across rounds.
class TcpCollector final : public api::CollectorBot {
 public:
  void init(api::BotContext& ctx) override {
    CollectorBot::init(ctx);
    const api::Params& p = params();
    const std::string ip = p.get_string("ip");
    if (ip.empty()) throw ConfigError("ip", "the address to listen on is required");
    if (!p.has("port")) throw ConfigError("port", "the port to listen on is required");
    const std::int64_t port = p.get_int("port");
    if (port < 0 || port > 65535) throw ConfigError("port", "must be 0..65535");
    try {
      listener_.emplace(net::Listener::tcp(ip, static_cast<int>(port)));
    } catch (const std::exception& e) {
      throw ConfigError("port", e.what());
    }
    log().info("Listening on {}:{}.", ip, listener_->port());
  }

  void collect(api::Emitter& out) override {
    if (!listener_) return;
    const auto deadline = std::chrono::steady_clock::now() + kRoundWindow;
    listener_->run_until(deadline, [&](net::Conn& c) { handle(c, out); });
  }

  void shutdown() override {
    if (listener_) listener_->close();
  }

 private:
  void handle(net::Conn& c, api::Emitter& out) {
    std::size_t pos = 0;
    while (!c.closing) {
      if (c.in.size() - pos < 4) break;
      const auto* b = reinterpret_cast<const unsigned char*>(c.in.data() + pos);
      const std::uint32_t len = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
      if (len == 0) {  // the reference reads an empty payload as a truncated one
        incomplete(c);
        break;
      }
      if (len > kMaxFrame) {
        log().error(
            "Message of {} bytes from {} exceeds the limit, closing "
            "the connection.",
            len, c.peer);
        c.closing = true;
        break;
      }
      if (c.in.size() - pos - 4 < len) break;
      api::Message report = new_report();
      report.add("raw", Value::bytes(c.in.substr(pos + 4, len)));
      send_report(std::move(report), out);
      c.out += "Ok";
      pos += 4 + static_cast<std::size_t>(len);
    }
    c.in.erase(0, pos);
    if (c.eof && !c.closing) {
      if (c.in.size() >= 4) {
        incomplete(c);  // the peer closed in the middle of a payload
      } else {
        c.out += "End";  // at a frame boundary (or inside the length: like the
                         // reference)
        c.closing = true;
      }
    }
  }

  void incomplete(net::Conn& c) {
    log().warn("Incomplete message received from {}.", c.peer);
    c.out += "Incomplete message";
    c.in.clear();
    c.closing = true;
  }

  std::optional<net::Listener> listener_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "collectors.tcp.collector",
    .aliases = {},
    .group = api::BotGroup::Collector,
    .description = "Listens on a TCP port for length-prefixed messages (4-byte big-endian "
                   "length + payload, as sent by outputs.tcp.output); one report per "
                   "message.",
    .params =
        {
            {"ip", api::ParamType::String, "null", true,
             "Address (or host name) to listen on, e.g. `0.0.0.0` or "
             "`127.0.0.1`."},
            {"port", api::ParamType::Int, "null", true, "TCP port to listen on."},
        },
    .concurrent = false,
    .factory = [] { return std::make_unique<TcpCollector>(); },
});

}  // namespace
}  // namespace intelflow::bots
