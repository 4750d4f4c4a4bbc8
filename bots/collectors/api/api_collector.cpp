// SPDX-License-Identifier: AGPL-3.0-or-later
// collectors.api.collector_api: HTTP POST /intelmq/push (TCP port or unix socket) → one report per
// request.

#include <grp.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bots/common/listener.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Value;

/// How long one collection round serves before returning to the engine.
constexpr std::chrono::milliseconds kRoundWindow{500};
constexpr std::size_t kMaxHeader = 64 * 1024;
constexpr std::size_t kMaxBody = 100 * 1024 * 1024;  // tornado's default max_body_size
constexpr int kSentContinue = 1;                     // Conn::state: "100 Continue" was sent

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// The head of one HTTP/1.x request.
struct RequestHead {
  std::string_view method, target, version;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool expect_continue = false;
  bool keep_alive = true;
};

enum class Parse : std::uint8_t { Incomplete, Done, Bad };

/// Parses the request line and headers in `head` (without the final blank line).
Parse parse_head(std::string_view head, RequestHead& r) {
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return Parse::Bad;
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  r.version = line.substr(sp2 + 1);
  if (r.version != "HTTP/1.1" && r.version != "HTTP/1.0") return Parse::Bad;
  r.keep_alive = r.version == "HTTP/1.1";
  while (eol != std::string_view::npos) {
    const std::size_t start = eol + 2;
    eol = head.find("\r\n", start);
    line = head.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Parse::Bad;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::size_t n = 0;
      if (value.empty()) return Parse::Bad;
      for (char ch : value) {
        if (ch < '0' || ch > '9' || n > kMaxBody) return Parse::Bad;
        n = n * 10 + static_cast<std::size_t>(ch - '0');
      }
      r.content_length = n;
    } else if (iequals(name, "Transfer-Encoding")) {
      r.chunked = iequals(value, "chunked");
      if (!r.chunked) return Parse::Bad;
    } else if (iequals(name, "Expect")) {
      r.expect_continue = iequals(value, "100-continue");
    } else if (iequals(name, "Connection")) {
      if (iequals(value, "close")) r.keep_alive = false;
      if (iequals(value, "keep-alive")) r.keep_alive = true;
    }
  }
  return Parse::Done;
}

/// Decodes a chunked body starting at `data`; sets `used` to the bytes consumed.
Parse parse_chunked(std::string_view data, std::string& body, std::size_t& used) {
  body.clear();
  std::size_t p = 0;
  while (true) {
    const std::size_t eol = data.find("\r\n", p);
    if (eol == std::string_view::npos)
      return data.size() - p > 1024 ? Parse::Bad : Parse::Incomplete;
    std::string_view size_line = data.substr(p, eol - p);
    size_line = trim(size_line.substr(0, size_line.find(';')));
    if (size_line.empty()) return Parse::Bad;
    std::size_t n = 0;
    for (char ch : size_line) {
      const int d = std::isxdigit(static_cast<unsigned char>(ch))
                        ? (std::isdigit(static_cast<unsigned char>(ch))
                               ? ch - '0'
                               : std::tolower(static_cast<unsigned char>(ch)) - 'a' + 10)
                        : -1;
      if (d < 0 || n > kMaxBody) return Parse::Bad;
      n = n * 16 + static_cast<std::size_t>(d);
    }
    p = eol + 2;
    if (n == 0) {  // trailers until an empty line
      while (true) {
        const std::size_t t = data.find("\r\n", p);
        if (t == std::string_view::npos) return Parse::Incomplete;
        const bool empty = t == p;
        p = t + 2;
        if (empty) {
          used = p;
          return Parse::Done;
        }
      }
    }
    if (body.size() + n > kMaxBody) return Parse::Bad;
    if (data.size() < p + n + 2) return Parse::Incomplete;
    body.append(data.substr(p, n));
    if (data.substr(p + n, 2) != "\r\n") return Parse::Bad;
    p += n + 2;
  }
}

/// Serves `POST /intelmq/push` over HTTP/1.1 (keep-alive, chunked bodies,
/// `Expect: 100-continue`) on a TCP port or a unix socket; every request body
/// becomes one report (`raw` = body) and is answered 200 once the report is
/// durable. Other paths get 404, other methods 405. The listening socket and
/// open connections live across rounds; one round serves for 0.5 s.
class ApiCollector final : public api::CollectorBot {
 public:
  void init(api::BotContext& ctx) override {
    CollectorBot::init(ctx);
    const api::Params& p = params();
    try {
      if (p.get_bool("use_socket", false)) {
        const std::string path = p.get_string("socket_path", "/tmp/imq_api_default_socket");
        const std::string perms_text = p.get_string("socket_perms", "600");
        mode_t perms = 0;
        if (perms_text.empty())
          throw ConfigError("socket_perms", "expected an octal mode like 660");
        for (char ch : perms_text) {
          if (ch < '0' || ch > '7' || perms > 07777)
            throw ConfigError("socket_perms", "'" + perms_text + "' is no octal mode like 660");
          perms = static_cast<mode_t>(perms * 8 + static_cast<mode_t>(ch - '0'));
        }
        std::optional<gid_t> gid;
        if (const std::string group_name = p.get_string("socket_group", ""); !group_name.empty()) {
          const struct group* g = ::getgrnam(group_name.c_str());
          if (g == nullptr) throw ConfigError("socket_group", "unknown group '" + group_name + "'");
          gid = g->gr_gid;
        }
        listener_.emplace(net::Listener::unix_socket(path, perms, gid));
        log().info("Listening on unix socket {}.", path);
      } else {
        const std::int64_t port = p.get_int("port", 5000);
        if (port < 0 || port > 65535) throw ConfigError("port", "must be 0..65535");
        listener_.emplace(net::Listener::tcp("", static_cast<int>(port)));
        log().info("Listening on port {}.", listener_->port());
      }
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      throw ConfigError(p.get_bool("use_socket", false) ? "socket_path" : "port", e.what());
    }
    default_name_ = !p.has("name") || !p.find("name")->truthy();
    default_provider_ = !p.has("provider") || !p.find("provider")->truthy();
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
  static void respond(net::Conn& c, int code, std::string_view reason, bool keep_alive,
                      std::string_view extra = {}) {
    c.out += "HTTP/1.1 " + std::to_string(code) + " ";
    c.out += reason;
    c.out += "\r\nContent-Length: 0\r\n";
    c.out += extra;
    if (!keep_alive) {
      c.out += "Connection: close\r\n";
      c.closing = true;
    }
    c.out += "\r\n";
  }

  void handle(net::Conn& c, api::Emitter& out) {
    while (!c.closing) {
      const std::size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (c.in.size() > kMaxHeader) respond(c, 431, "Request Header Fields Too Large", false);
        break;
      }
      RequestHead r;
      if (parse_head(std::string_view(c.in).substr(0, head_end), r) != Parse::Done) {
        respond(c, 400, "Bad Request", false);
        break;
      }
      const std::size_t body_start = head_end + 4;
      const std::string_view rest = std::string_view(c.in).substr(body_start);
      std::string chunked_body;
      std::string_view body;
      std::size_t used = 0;
      if (r.chunked) {
        const Parse st = parse_chunked(rest, chunked_body, used);
        if (st == Parse::Bad) {
          respond(c, 400, "Bad Request", false);
          break;
        }
        if (st == Parse::Incomplete) {
          maybe_continue(c, r);
          break;
        }
        body = chunked_body;
      } else {
        const std::size_t n = r.content_length.value_or(0);
        if (n > kMaxBody) {
          respond(c, 413, "Payload Too Large", false);
          break;
        }
        if (rest.size() < n) {
          maybe_continue(c, r);
          break;
        }
        body = rest.substr(0, n);
        used = n;
      }

      const std::string_view path = r.target.substr(0, r.target.find('?'));
      if (path != "/intelmq/push") {
        respond(c, 404, "Not Found", r.keep_alive);
      } else if (r.method != "POST") {
        respond(c, 405, "Method Not Allowed", r.keep_alive, "Allow: POST\r\n");
      } else {
        api::Message report = new_report();
        report.add("raw", Value::bytes(std::string(body)));
        if (default_name_) report.add("feed.name", Value::string("API"));
        if (default_provider_) report.add("feed.provider", Value::string("APICollector"));
        send_report(std::move(report), out);  // returns once the report is durable
        respond(c, 200, "OK", r.keep_alive);
      }
      c.in.erase(0, body_start + used);
      c.state = 0;
    }
    if (c.eof) c.closing = true;
  }

  static void maybe_continue(net::Conn& c, const RequestHead& r) {
    if (r.expect_continue && c.state != kSentContinue) {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      c.state = kSentContinue;
    }
  }

  std::optional<net::Listener> listener_;
  bool default_name_ = true;
  bool default_provider_ = true;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "collectors.api.collector_api",
    .aliases = {},
    .group = api::BotGroup::Collector,
    .description = "Receives data by HTTP POST to /intelmq/push on a TCP port or a unix socket; "
                   "one report per request body.",
    .params =
        {
            {"port", api::ParamType::Int, "5000", false,
             "TCP port to listen on (all interfaces) when use_socket is false."},
            {"use_socket", api::ParamType::Bool, "false", false,
             "Listen on a unix socket (socket_path) instead of the TCP port."},
            {"socket_path", api::ParamType::String, "\"/tmp/imq_api_default_socket\"", false,
             "Path of the unix socket; an old socket file there is replaced."},
            {"socket_perms", api::ParamType::String, "\"600\"", false,
             "File mode of the unix socket as an octal string."},
            {"socket_group", api::ParamType::String, "\"\"", false,
             "Group owning the unix socket (name); empty = unchanged."},
        },
    .concurrent = false,
    .factory = [] { return std::make_unique<ApiCollector>(); },
});

}  // namespace
}  // namespace intelflow::bots
