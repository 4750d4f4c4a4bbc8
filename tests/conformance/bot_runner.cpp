// SPDX-License-Identifier: AGPL-3.0-or-later
// Runs one recorded bot case (conformance README "Running a case") through the
// real engine: a one-bot graph::Pipeline (drain + serial) whose every
// destination path goes to the sink, so each path's output is captured in
// order. Parameters are resolved as the graph loader does (declared defaults,
// harness defaults, the case's parameters), errors are seen through the node's
// counters and a capturing logger, dumps through the node's counter, the
// cache through a private redis-server, files on disk. A listening collector
// whose recorded input came over TCP is fed over a loopback socket instead
// (SocketFeed below).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "engine/api/registry.hpp"
#include "engine/config/graph_config.hpp"
#include "engine/graph/pipeline.hpp"
#include "harmonization/datetime.hpp"
#include "harmonization/pyfmt.hpp"
#include "tests/conformance/bot_compare.hpp"
#include "tests/conformance/compare.hpp"
#include "tests/conformance/redis_fixture.hpp"
#include "tests/conformance/suite.hpp"

namespace intelflow::conformance {

namespace {

namespace fs = std::filesystem;
using harm::Message;
using harm::Value;

constexpr const char* kBotId = "test-bot";

const Value* member(const Value& d, std::string_view key) {
  if (!d.is_dict()) return nullptr;
  for (const auto& [k, v] : d.as_dict())
    if (k == key) return &v;
  return nullptr;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

/// The text of a path as it appears inside a JSON string literal.
std::string json_escaped(const std::string& s) {
  std::string lit;
  harm::py::append_json_string(lit, s, false);
  return lit.substr(1, lit.size() - 2);
}

/// Records what the bot logs: the number of ERROR lines, the first of them,
/// and (for --verbose failure output) the last lines at INFO and above.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::size_t errors() {
    std::lock_guard lk(mutex_);
    return errors_;
  }
  std::vector<std::string> error_lines() {
    std::lock_guard lk(mutex_);
    return error_lines_;
  }
  std::vector<std::string> recent_lines() {
    std::lock_guard lk(mutex_);
    return recent_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::info) {
      if (recent_.size() >= kRecent) recent_.erase(recent_.begin());
      auto level = spdlog::level::to_string_view(msg.level);
      recent_.emplace_back(std::string(level.data(), level.size()) + ": " +
                           std::string(msg.payload.data(), msg.payload.size()));
    }
    if (msg.level < spdlog::level::err) return;
    ++errors_;
    if (error_lines_.size() < 3) error_lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  static constexpr std::size_t kRecent = 20;
  std::size_t errors_ = 0;
  std::vector<std::string> error_lines_;
  std::vector<std::string> recent_;
};

/// What the sink received, per path (as JSON values), for the current run.
struct Capture {
  std::mutex mu;
  std::map<std::string, std::vector<Value>> by_path;
  std::vector<std::string> problems;
};

/// A scratch directory removed at the end of the case.
struct Scratch {
  fs::path root;
  Scratch() {
    char tmpl[] = "/tmp/intelflow-case-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("cannot create a scratch directory");
    root = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

/// Pins the clock for the duration of a run.
struct ClockPin {
  explicit ClockPin(std::optional<std::int64_t> t) {
    if (t) harm::datetime::set_clock_override(t);
  }
  ~ClockPin() { harm::datetime::set_clock_override(std::nullopt); }
  ClockPin(const ClockPin&) = delete;
  ClockPin& operator=(const ClockPin&) = delete;
};

bool is_default_redis(const Value* host, const Value* port) {
  if (!host || !host->is_string()) return false;
  const auto& h = host->as_string();
  if (h != "localhost" && h != "127.0.0.1") return false;
  if (!port) return true;
  if (port->is_int()) return port->as_int() == 6379;
  if (port->is_string()) return port->as_string() == "6379";
  return false;
}

std::int64_t int_param(const api::Params& p, std::string_view key, std::int64_t dflt) {
  const Value* v = p.find(key);
  if (!v) return dflt;
  if (v->is_int()) return v->as_int();
  if (v->is_string()) {
    try {
      return std::stoll(v->as_string());
    } catch (const std::exception&) {
      return dflt;
    }
  }
  return dflt;
}

/// Writes `input_files` ({path: {type, content}}).
void create_input_files(const Value& files) {
  if (!files.is_dict()) return;
  auto write = [](const fs::path& p, const Value& content) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << (content.is_string() ? content.as_string() : harm::py::json_dumps(content));
    if (!out) throw std::runtime_error("cannot write input file " + p.string());
  };
  for (const auto& [path, spec] : files.as_dict()) {
    const Value* type = member(spec, "type");
    const Value* content = member(spec, "content");
    if (type && type->is_string() && type->as_string() == "dir") {
      fs::create_directories(path);
      if (content && content->is_dict())
        for (const auto& [name, c] : content->as_dict()) write(fs::path(path) / name, c);
    } else {
      write(path, content ? *content : Value::string(""));
    }
  }
}

/// Ends the runner with a clear message if a case hangs (a bot that never
/// returns cannot be cancelled; CTest would otherwise only report a timeout).
class Watchdog {
 public:
  Watchdog(std::string id, std::chrono::seconds limit) : id_(std::move(id)) {
    thread_ = std::thread([this, limit] {
      std::unique_lock lk(mu_);
      if (cv_.wait_for(lk, limit, [&] { return done_; })) return;
      std::fflush(stdout);
      std::fprintf(stderr,
                   "intelflow-conformance: bot case %s did not finish within %lld s "
                   "(hung bot?); stopping the run\n",
                   id_.c_str(), static_cast<long long>(limit.count()));
      std::_Exit(3);
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  std::string id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

std::chrono::seconds case_time_limit() {
  const char* env = std::getenv("INTELFLOW_CONFORMANCE_CASE_TIMEOUT");
  long long s = env && *env ? std::atoll(env) : 0;
  return std::chrono::seconds(s > 0 ? s : 120);
}

/// Standard base64 (the `raw` of recorded messages); nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    int v = val(in[i]);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  for (; i < in.size(); ++i)
    if (in[i] != '=') return std::nullopt;
  return out;
}

/// Parameters a reference test configured for a bot that does not read them:
/// IntelMQ's TCP collector test copied its configuration from the HTTP
/// collector's (`http_url`, `extract_files`). IntelMQ ignores unknown
/// parameters; intelflow's graph loader refuses them, so the runner leaves
/// these out instead of reporting them. Parameter names, not modules: any bot
/// that declares one of them still gets it.
constexpr std::string_view kReferenceTestLeftovers[] = {"http_url", "extract_files"};

/// Input that the reference test sent to a listening collector over a TCP
/// connection (the case's notes say so). The corpus records only the
/// resulting reports; IntelMQ's TCP collector turns every frame (4-byte
/// big-endian length + payload) into one report whose `raw` is the payload,
/// so the frames are the decoded `raw` values of the expected reports, in
/// order. The runner starts the real collector on a free loopback port,
/// sends the frames over one connection (the reference used one or more
/// clients; the reports do not depend on it), waiting for each "Ok", then
/// closes its side and stops the bot.
struct SocketFeed {
  std::vector<std::string> frames;
};

bool notes_mention(const Value& doc, std::string_view text) {
  const Value* notes = member(doc, "notes");
  if (!notes || !notes->is_list()) return false;
  for (const auto& n : notes->as_list())
    if (n.is_string() && n.as_string().find(text) != std::string::npos) return true;
  return false;
}

/// The feed of a case, or nullopt if its input is not a TCP stream; problems
/// (a report without raw, ...) go to `error`.
std::optional<SocketFeed> socket_feed(const Value& doc, bool collector, std::string& error) {
  if (!collector || !notes_mention(doc, "delivered over a local TCP connection"))
    return std::nullopt;
  SocketFeed feed;
  const Value* out = member(doc, "output");
  if (!out || !out->is_dict()) return feed;
  for (const auto& [path, msgs] : out->as_dict()) {
    if (!msgs.is_list()) continue;
    for (const auto& m : msgs.as_list()) {
      const Value* raw = member(m, "raw");
      std::optional<std::string> bytes;
      if (raw && raw->is_string()) bytes = base64_decode(raw->as_string());
      if (!bytes) {
        error = "socket input: an expected report on path " + path + " has no base64 raw";
        return feed;
      }
      feed.frames.push_back(std::move(*bytes));
    }
  }
  return feed;
}

/// A TCP port on 127.0.0.1 that was free a moment ago (0 if none was found).
int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = 0;
  socklen_t len = sizeof sa;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0)
    port = ntohs(sa.sin_port);
  ::close(fd);
  return port;
}

/// Sends the frames to 127.0.0.1:`port` as IntelMQ's TCP output does (length
/// + payload, then wait for the collector's 2-byte "Ok"), then half-closes
/// and reads until the collector closes. Returns problems (empty = fine).
std::vector<std::string> feed_socket(int port, const SocketFeed& feed) {
  using clock = std::chrono::steady_clock;
  int fd = -1;
  const auto connect_deadline = clock::now() + std::chrono::seconds(10);
  while (true) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {"socket input: cannot create a socket"};
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) break;
    ::close(fd);
    if (clock::now() > connect_deadline)
      return {"socket input: cannot connect to the collector on 127.0.0.1:" + std::to_string(port)};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  auto wait = [&](short events, clock::time_point deadline) {
    while (true) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(left));
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
    }
  };
  auto send_all = [&](std::string_view data) {
    const auto deadline = clock::now() + std::chrono::seconds(30);
    while (!data.empty()) {
      if (!wait(POLLOUT, deadline)) return false;
      ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return false;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  };
  /// Reads exactly n bytes (or until EOF when n is 0); false on timeout/error.
  auto recv_n = [&](std::size_t n, std::string& got) {
    const auto deadline = clock::now() + std::chrono::seconds(30);
    char buf[256];
    while (n == 0 || got.size() < n) {
      if (!wait(POLLIN, deadline)) return false;
      std::size_t want = n == 0 ? sizeof buf : std::min(sizeof buf, n - got.size());
      ssize_t r = ::recv(fd, buf, want, 0);
      if (r < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return false;
      }
      if (r == 0) return n == 0;
      got.append(buf, static_cast<std::size_t>(r));
    }
    return true;
  };

  std::string frame;
  for (std::size_t i = 0; i < feed.frames.size(); ++i) {
    // One write per frame, as the reference's sendall(pack('>I', len) + data):
    // a separate 4-byte write would wait for a delayed ACK (Nagle).
    const std::string& payload = feed.frames[i];
    const auto len = static_cast<std::uint32_t>(payload.size());
    frame.assign({static_cast<char>(len >> 24), static_cast<char>(len >> 16),
                  static_cast<char>(len >> 8), static_cast<char>(len)});
    frame += payload;
    if (!send_all(frame))
      return {"socket input: sending frame " + std::to_string(i + 1) + " failed"};
    std::string answer;
    if (!recv_n(2, answer) || answer != "Ok")
      return {"socket input: frame " + std::to_string(i + 1) + " of " +
              std::to_string(feed.frames.size()) + " was not answered with \"Ok\" (got \"" +
              answer + "\")"};
  }
  ::shutdown(fd, SHUT_WR);
  std::string rest;
  recv_n(0, rest);  // "End" from intelflow's collector; IntelMQ's just closes
  return {};
}

class EngineBotRegistry final : public BotRegistry {
 public:
  bool has(std::string_view module) const override {
    return api::Registry::instance().find(module) != nullptr;
  }

  std::vector<std::string> run_case(const Json& bot_case, const Options& opts) const override;

 private:
  /// Resolves the parameters of one run; problems go to `diffs`.
  api::Params resolve_params(
      const api::BotInfo& info, const Value* case_params,
      const std::vector<std::pair<std::string, std::vector<std::string>>>& dest,
      std::vector<std::string>& diffs,
      const std::vector<std::pair<std::string, Value>>& overrides = {}) const;

  mutable RedisFixture redis_;
};

api::Params EngineBotRegistry::resolve_params(
    const api::BotInfo& info, const Value* case_params,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& dest,
    std::vector<std::string>& diffs,
    const std::vector<std::pair<std::string, Value>>& overrides) const {
  const auto specs = api::Registry::instance().all_params(info);
  auto declared = [&](std::string_view key) -> const api::ParamSpec* {
    for (const auto& s : specs)
      if (s.key == key) return &s;
    return nullptr;
  };
  std::vector<std::pair<std::string, Value>> items;
  auto set = [&](const std::string& key, Value v) {
    for (auto& [k, old] : items)
      if (k == key) {
        old = std::move(v);
        return;
      }
    items.emplace_back(key, std::move(v));
  };
  // 1. declared defaults
  for (const auto& s : specs) set(std::string(s.key), api::parse_default(s.default_json));
  // 2. harness defaults (README), where the bot declares the parameter
  const std::pair<const char*, Value> harness[] = {
      {"logging_level", Value::string("DEBUG")},  {"rate_limit", Value::integer(0)},
      {"retry_delay", Value::integer(0)},         {"error_retry_delay", Value::integer(0)},
      {"error_max_retries", Value::integer(0)},   {"redis_cache_host", Value::string("localhost")},
      {"redis_cache_port", Value::integer(6379)}, {"redis_cache_db", Value::integer(4)},
      {"redis_cache_ttl", Value::integer(10)},    {"redis_cache_password", Value::null()},
  };
  for (const auto& [k, v] : harness)
    if (declared(k)) set(k, v);
  // 3. the case's parameters
  if (case_params && case_params->is_dict()) {
    for (const auto& [k, v] : case_params->as_dict()) {
      const api::ParamSpec* spec = declared(k);
      if (!spec) {
        const bool leftover =
            std::find(std::begin(kReferenceTestLeftovers), std::end(kReferenceTestLeftovers), k) !=
            std::end(kReferenceTestLeftovers);
        if (!api::is_ignored_intelmq_param(k) && !leftover)
          diffs.push_back("parameter \"" + k + "\" (" + short_render(v, 60) +
                          ") is not declared by " + info.module +
                          " (a graph file setting it would be refused)");
        continue;
      }
      if (!v.is_null() && k != "destination_queues") {
        if (auto why = api::check_param_type(spec->type, v))
          diffs.push_back("parameter \"" + k + "\" = " + short_render(v, 60) + ": " + *why +
                          " (declared by " + info.module + ")");
      }
      set(k, v);
    }
  }
  // 3b. the runner's own settings (a collector's listening port)
  for (const auto& [k, v] : overrides)
    if (declared(k)) set(k, v);
  // 4. the harness's Redis is the private server
  if (redis_.port() > 0) {
    const std::pair<const char*, const char*> pairs[] = {{"redis_cache_host", "redis_cache_port"},
                                                         {"redis_server_ip", "redis_server_port"}};
    for (const auto& [hk, pk] : pairs) {
      if (!declared(hk)) continue;
      const Value* host = nullptr;
      const Value* port = nullptr;
      for (const auto& [k, v] : items) {
        if (k == hk) host = &v;
        if (k == pk) port = &v;
      }
      if (is_default_redis(host, port)) {
        set(hk, Value::string(redis_.host()));
        set(pk, Value::integer(redis_.port()));
      }
    }
  }
  // 5. destination queues as the loader normalises them
  Value::Dict dq;
  for (const auto& [path, queues] : dest) {
    Value::List l;
    for (const auto& q : queues) l.push_back(Value::string(q));
    dq.emplace_back(path, Value::list(std::move(l)));
  }
  if (declared("destination_queues")) set("destination_queues", Value::dict(std::move(dq)));
  if (declared("source_queue")) set("source_queue", Value::string(std::string(kBotId) + "-queue"));
  return api::Params(std::move(items));
}

std::vector<std::string> EngineBotRegistry::run_case(const Json& bot_case,
                                                     const Options& opts) const {
  std::vector<std::string> diffs;
  const std::string module = bot_case.value("bot_module", "");
  const api::BotInfo* info = api::Registry::instance().find(module);
  if (!info) return {"runner: module " + module + " is not registered"};
  const bool collector = info->group == api::BotGroup::Collector;

  Watchdog watchdog(bot_case.value("id", module), case_time_limit());
  Scratch scratch;
  const fs::path workdir = scratch.root / "work";
  fs::create_directories(workdir);

  // Placeholders, then Python json.loads semantics for everything.
  std::string text = bot_case.dump();
  const std::string conformance_dir = fs::absolute(opts.dir).lexically_normal().generic_string();
  std::string conf = conformance_dir;
  while (conf.size() > 1 && conf.back() == '/') conf.pop_back();
  replace_all(text, "$CONFORMANCE_DIR", json_escaped(conf));
  replace_all(text, "$WORKDIR", json_escaped(workdir.string()));
  Value doc;
  if (!harm::py::json_loads(text, doc) || !doc.is_dict())
    return {"runner: case is not a JSON object"};

  std::vector<const Value*> runs{&doc};
  if (const Value* fu = member(doc, "followup_runs"); fu && fu->is_list())
    for (const auto& r : fu->as_list()) runs.push_back(&r);
  const bool several = runs.size() > 1;

  // Input sent over a socket (listening collectors).
  std::string feed_error;
  const std::optional<SocketFeed> feed = socket_feed(doc, collector, feed_error);
  if (!feed_error.empty()) return {"runner: " + feed_error};
  std::vector<std::pair<std::string, Value>> overrides;
  int feed_port = 0;
  if (feed) {
    if (several) return {"runner limitation: socket input with followup runs"};
    feed_port = free_loopback_port();
    if (feed_port == 0) return {"runner: no free TCP port on 127.0.0.1"};
    overrides = {{"ip", Value::string("127.0.0.1")}, {"port", Value::integer(feed_port)}};
  }

  // Side channels the runner cannot provide.
  for (const Value* r : runs) {
    for (const char* key : {"http", "smtp", "redis_queue_after"})
      if (const Value* v = member(*r, key); v && !v->is_null())
        return {std::string("runner limitation: the case needs '") + key +
                "' (not served/recorded by the runner yet)"};
    if (collector && !feed) {
      const Value* it = member(*r, "iterations");
      if (it && it->is_int() && it->as_int() > 1)
        return {"runner limitation: collector with iterations " + std::to_string(it->as_int()) +
                " (drain mode runs one round)"};
    }
  }

  std::vector<std::string> ignore_fields{"time.observation"};
  if (const Value* ig = member(doc, "ignore_fields"); ig && ig->is_list())
    for (const auto& f : ig->as_list())
      if (f.is_string()) ignore_fields.push_back(f.as_string());

  const bool declares_cache = [&] {
    for (const auto& s : api::Registry::instance().all_params(*info))
      if (s.key == "redis_cache_host" || s.key == "redis_server_ip") return true;
    return false;
  }();
  bool uses_cache = false;
  for (const Value* r : runs)
    if (member(*r, "cache_before") || member(*r, "cache_after")) uses_cache = true;
  if (uses_cache || declares_cache) {
    if (!redis_.ensure_started()) {
      if (uses_cache) return {"runner: " + redis_.error()};
    } else {
      redis_.flush_all();
    }
  }

  std::optional<std::int64_t> case_clock;
  if (const Value* c = member(doc, "clock"); c && c->is_string())
    case_clock = parse_clock(c->as_string());

  auto capture = std::make_shared<Capture>();
  auto harmonization = harm::Harmonization::default_instance();

  std::unique_ptr<graph::Pipeline> pipeline;
  std::optional<config::GraphConfig> graph_cfg;
  std::shared_ptr<CaptureSink> log_sink;
  std::uint64_t seen_errors = 0, seen_dumped = 0;
  std::size_t seen_log_errors = 0;

  auto stop_pipeline = [&] {
    if (pipeline) {
      pipeline->stop();
      pipeline.reset();
    }
    spdlog::drop(kBotId);
  };
  struct Guard {
    std::function<void()> fn;
    ~Guard() {
      try {
        fn();
      } catch (...) {
      }
    }
  } guard{stop_pipeline};

  for (std::size_t ri = 0; ri < runs.size(); ++ri) {
    const Value& run = *runs[ri];
    const std::string prefix = several ? "run#" + std::to_string(ri) + " " : "";
    const Value* nr = member(run, "new_instance");
    const bool fresh = ri == 0 || !nr || !nr->is_bool() || nr->as_bool();
    const Value* next_nr = ri + 1 < runs.size() ? member(*runs[ri + 1], "new_instance") : nullptr;
    const bool next_continues = next_nr && next_nr->is_bool() && !next_nr->as_bool();
    const Value* sb = member(run, "stop_bot");
    const bool stop_after = !(sb && sb->is_bool() && !sb->as_bool()) && !next_continues;

    std::optional<std::int64_t> clock = case_clock;
    if (const Value* c = member(run, "clock"); c && c->is_string())
      clock = parse_clock(c->as_string());
    ClockPin pin(clock);

    // Destination paths = keys of `output`.
    std::vector<std::pair<std::string, std::vector<std::string>>> dest;
    const Value* expected_out = member(run, "output");
    if (expected_out && expected_out->is_dict())
      for (const auto& [path, msgs] : expected_out->as_dict())
        dest.push_back({path, {std::string(kBotId) + "-" + path + "-output-queue"}});

    // External state before the run.
    int cache_db = 4;
    if (const Value* cb = member(run, "cache_before")) {
      api::Params p = resolve_params(*info, member(run, "parameters"), dest, diffs);
      cache_db = static_cast<int>(int_param(p, "redis_cache_db", 4));
      redis_.preload(cache_db, *cb);
    }
    if (const Value* inf = member(run, "input_files")) create_input_files(*inf);

    {
      std::lock_guard lk(capture->mu);
      capture->by_path.clear();
    }

    bool init_failed = false;
    std::string init_error;
    if (fresh) {
      stop_pipeline();
      std::vector<std::string> param_diffs;
      config::BotConfig b;
      b.id = kBotId;
      b.module = module;
      b.info = info;
      b.params = resolve_params(*info, member(run, "parameters"), dest, param_diffs, overrides);
      for (auto& d : param_diffs) diffs.push_back(prefix + d);
      b.source_queue = std::string(kBotId) + "-queue";
      b.destinations = dest;
      config::GraphConfig g;
      // One state directory for all runs: a fresh instance finds what the last left there.
      const fs::path eng = scratch.root / "engine";
      g.engine.state_dir = eng.string();
      g.engine.log_dir = (eng / "log").string();
      g.engine.wal_dir = (eng / "wal").string();
      g.engine.threads = 2;
      g.bots.push_back(std::move(b));
      graph_cfg = std::move(g);

      log_sink = std::make_shared<CaptureSink>();
      auto logger = std::make_shared<spdlog::logger>(kBotId, log_sink);
      spdlog::drop(kBotId);
      spdlog::register_logger(logger);
      seen_errors = seen_dumped = 0;
      seen_log_errors = 0;

      graph::PipelineOptions po;
      po.drain = !feed;  // socket input: the collector serves until the runner stops it
      po.serial = true;
      std::weak_ptr<Capture> weak = capture;
      po.sink = [weak](const std::string&, const std::string& path, std::vector<Message>&& msgs) {
        auto cap = weak.lock();
        if (!cap) return;
        std::lock_guard lk(cap->mu);
        auto& out = cap->by_path[path];
        for (const auto& m : msgs) {
          Value v;
          if (harm::py::json_loads(m.serialize(), v))
            out.push_back(std::move(v));
          else
            cap->problems.push_back("path " + path + ": output message is not valid JSON");
        }
      };
      try {
        pipeline = std::make_unique<graph::Pipeline>(*graph_cfg, po);
        pipeline->start();
      } catch (const std::exception& e) {
        pipeline.reset();
        init_failed = true;
        init_error = e.what();
      }
    } else if (collector) {
      diffs.push_back(prefix +
                      "runner limitation: a collector cannot run another round on the same "
                      "instance");
      continue;
    }

    // Input.
    std::uint64_t bad_input = 0;
    if (pipeline && !collector) {
      std::vector<Message> msgs;
      const Value* input = member(run, "input");
      std::size_t n = input && input->is_list() ? input->as_list().size() : 0;
      if (const Value* it = member(run, "iterations"); it && it->is_int() && it->as_int() >= 0)
        n = std::min(n, static_cast<std::size_t>(it->as_int()));
      for (std::size_t i = 0; i < n; ++i) {
        try {
          msgs.push_back(
              Message::unserialize(harm::py::json_dumps(input->as_list()[i]), harmonization));
        } catch (const std::exception& e) {
          // The bot could not have read it either: an error, the message dumped.
          ++bad_input;
          if (bad_input == 1) init_error = std::string("input message unreadable: ") + e.what();
        }
      }
      if (!msgs.empty()) pipeline->inject_batch(kBotId, std::move(msgs));
    }
    std::uint64_t errors = 0, dumped = bad_input;
    if (pipeline && feed) {
      for (auto& d : feed_socket(feed_port, *feed)) diffs.push_back(prefix + d);
      pipeline->stop();  // every "Ok"-ed report was sent; stop drains the graph
      for (const auto& c : pipeline->counts()) {
        if (c.bot_id != kBotId) continue;
        errors += c.errors - seen_errors;
        dumped += c.dumped - seen_dumped;
      }
      stop_pipeline();
    } else if (pipeline) {
      pipeline->wait_drained();
      for (const auto& [id, st] : pipeline->stats()) {
        if (id != kBotId) continue;
        errors += st->errors.load() - seen_errors;
        dumped += st->dumped.load() - seen_dumped;
        seen_errors = st->errors.load();
        seen_dumped = st->dumped.load();
      }
      if (stop_after) stop_pipeline();
    }
    const std::size_t log_errors = log_sink ? log_sink->errors() - seen_log_errors : 0;
    if (log_sink) seen_log_errors = log_sink->errors();

    // Messages per path.
    std::map<std::string, std::vector<Value>> got;
    {
      std::lock_guard lk(capture->mu);
      got = std::move(capture->by_path);
      capture->by_path.clear();
      for (auto& p : capture->problems) diffs.push_back(prefix + p);
      capture->problems.clear();
    }
    if (expected_out && expected_out->is_dict()) {
      for (const auto& [path, msgs] : expected_out->as_dict()) {
        static const std::vector<Value> kNone;
        auto it = got.find(path);
        compare_messages(prefix + "path " + path, msgs.is_list() ? msgs.as_list() : Value::List{},
                         it == got.end() ? kNone : it->second, ignore_fields, diffs);
      }
    }

    // Rejected messages: how many.
    const Value* exp_dumped = member(run, "dumped");
    const std::size_t want_dumped =
        exp_dumped && exp_dumped->is_list() ? exp_dumped->as_list().size() : 0;
    if (want_dumped != dumped)
      diffs.push_back(prefix + "dumped: expected " + std::to_string(want_dumped) +
                      " message(s), got " + std::to_string(dumped));

    // Errors: whether any occurred.
    const Value* ae = member(run, "allowed_errors");
    const bool want_errors = ae && ae->is_list() && !ae->as_list().empty();
    const bool got_errors = init_failed || errors > 0 || log_errors > 0 || dumped > 0;
    if (want_errors != got_errors) {
      if (want_errors) {
        diffs.push_back(prefix + "errors: expected some (reference: " +
                        short_render(ae->as_list().front(), 100) + "), got none");
      } else {
        std::string what = init_failed           ? "initialization failed: " + init_error
                           : !init_error.empty() ? init_error
                                                 : "";
        if (what.empty() && log_sink) {
          auto lines = log_sink->error_lines();
          if (!lines.empty()) what = lines.front();
        }
        if (what.empty()) what = std::to_string(errors + dumped) + " failed message(s)";
        diffs.push_back(prefix +
                        "errors: expected none, got: " + short_render(Value::string(what), 200));
      }
    } else if (init_failed && !want_errors) {
      diffs.push_back(prefix + "initialization failed: " + init_error);
    }

    // Side channels.
    if (const Value* ca = member(run, "cache_after")) {
      api::Params p = resolve_params(*info, member(run, "parameters"), dest, diffs);
      std::vector<std::string> cache_diffs;
      compare_cache(*ca, redis_.dump(static_cast<int>(int_param(p, "redis_cache_db", cache_db))),
                    cache_diffs);
      for (auto& d : cache_diffs) diffs.push_back(prefix + d);
    }
    if (const Value* of = member(run, "output_files"); of && of->is_dict()) {
      bool names_random = false;
      if (const Value* notes = member(doc, "notes"); notes && notes->is_list())
        for (const auto& n : notes->as_list())
          if (n.is_string() && n.as_string().find("file names are generated") != std::string::npos)
            names_random = true;
      for (const auto& [path, spec] : of->as_dict()) {
        std::vector<std::string> file_diffs;
        std::string shown = path;  // as the case writes it
        if (shown.starts_with(workdir.string()))
          shown = "$WORKDIR" + shown.substr(workdir.string().size());
        compare_file(shown, spec, read_file_state(path), names_random, file_diffs);
        for (auto& d : file_diffs) diffs.push_back(prefix + d);
      }
    }
  }
  // Parameter problems found twice (resolve for cache_before/after) are reported once.
  std::vector<std::string> unique;
  for (auto& d : diffs)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(std::move(d));
  if (opts.verbose && !unique.empty() && log_sink)
    for (const auto& line : log_sink->recent_lines()) std::cout << "    bot log: " << line << "\n";
  return unique;
}

}  // namespace

std::unique_ptr<BotRegistry> make_engine_bot_registry() {
  return std::make_unique<EngineBotRegistry>();
}

}  // namespace intelflow::conformance
