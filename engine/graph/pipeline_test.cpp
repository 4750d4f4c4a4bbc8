// SPDX-License-Identifier: AGPL-3.0-or-later
// Engine behaviour on small graphs of test bots: batching, paths, errors,
// error_procedure, back-pressure. No sleeps: tests wait on drains and latches.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "engine/graph/dump.hpp"
#include "engine/graph/pipeline.hpp"

namespace {

using namespace intelflow;
using api::Value;
using harm::Message;

// ---------------------------------------------------------------- test bots

/// Sends `reports` reports of `lines` lines ("1".."lines", or "bad" every `bad_every`).
class CountingCollector final : public api::CollectorBot {
 public:
  void collect(api::Emitter& out) override {
    auto reports = params().get_int("reports", 1);
    auto lines = params().get_int("lines", 10);
    auto bad_every = params().get_int("bad_every", 0);
    for (std::int64_t r = 0; r < reports; ++r) {
      std::string raw;
      for (std::int64_t l = 1; l <= lines; ++l) {
        if (bad_every > 0 && l % bad_every == 0)
          raw += "bad\n";
        else
          raw += std::to_string(r * lines + l) + "\n";
      }
      Message rep = new_report();
      rep.add("raw", Value::string(raw));
      send_report(std::move(rep), out);
    }
  }
};

/// Each line is a number n → an event with source.port = n % 65536 and extra.n = n.
class NumberParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState&,
                  std::vector<Message>& events) override {
    std::size_t pos = 0;
    long long n = std::stoll(el.line, &pos);
    if (pos != el.line.size()) throw std::invalid_argument("not a number: " + el.line);
    Message ev = new_event(report);
    ev.add("extra.n", Value::integer(n));
    events.push_back(std::move(ev));
  }
};

/// Odd n → path "odd", even → _default; n divisible by `fail_every` throws.
class RoutingExpert final : public api::ExpertBot {
 public:
  void process(Message& ev, api::Emitter& out) override {
    auto n = ev.find("extra.n")->as_int();
    auto fail_every = params().get_int("fail_every", 0);
    if (fail_every > 0 && n % fail_every == 0)
      throw std::runtime_error("refusing " + std::to_string(n));
    if (params().get_bool("split", false) && n % 2 == 1)
      out.send(std::move(ev), "odd");
    else
      out.send(std::move(ev));
  }
};

/// Collects events per bot id; optionally blocks until the gate opens.
struct SinkStore {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::vector<std::int64_t>> got;
  std::map<std::string, std::vector<std::size_t>> batch_sizes;
  bool gate_open = true;
  std::size_t waiting = 0;
  void reset() {
    std::lock_guard lk(mu);
    got.clear();
    batch_sizes.clear();
    gate_open = true;
    waiting = 0;
  }
};
SinkStore& sink() {
  static SinkStore s;
  return s;
}

class SinkOutput final : public api::OutputBot {
 public:
  void process(const Message& ev) override {
    auto& s = sink();
    std::unique_lock lk(s.mu);
    if (!s.gate_open) {
      ++s.waiting;
      s.cv.notify_all();
      s.cv.wait(lk, [&] { return s.gate_open; });
    }
    s.got[ctx().bot_id].push_back(ev.find("extra.n")->as_int());
    ++pending_;
  }
  void flush() override {
    auto& s = sink();
    std::lock_guard lk(s.mu);
    s.batch_sizes[ctx().bot_id].push_back(pending_);
    pending_ = 0;
  }

 private:
  std::size_t pending_ = 0;
};

/// An output that blocks (like a remote database) until io_gate opens; it
/// declares blocking I/O, so the engine runs it on its own thread.
bool io_gate_open = true;
class BlockingOutput final : public api::OutputBot {
 public:
  bool uses_blocking_io() const override { return true; }
  void process(const Message& ev) override {
    auto& s = sink();
    std::unique_lock lk(s.mu);
    s.cv.wait(lk, [] { return io_gate_open; });
    s.got[ctx().bot_id].push_back(ev.find("extra.n")->as_int());
    s.cv.notify_all();
  }
};

const api::ParamSpec kCollectorParams[] = {
    {"reports", api::ParamType::Int, "1", false, "reports per round"},
    {"lines", api::ParamType::Int, "10", false, "lines per report"},
    {"bad_every", api::ParamType::Int, "0", false, "every n-th line is malformed"},
};
const api::ParamSpec kExpertParams[] = {
    {"fail_every", api::ParamType::Int, "0", false, "fail on multiples"},
    {"split", api::ParamType::Bool, "false", false, "route odd numbers to path odd"},
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.collector",
    .aliases = {},
    .group = api::BotGroup::Collector,
    .description = "test",
    .params = {std::begin(kCollectorParams), std::end(kCollectorParams)},
    .concurrent = false,
    .factory = [] { return std::make_unique<CountingCollector>(); },
});
INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "test",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<NumberParser>(); },
});
INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "test",
    .params = {std::begin(kExpertParams), std::end(kExpertParams)},
    .concurrent = true,
    .factory = [] { return std::make_unique<RoutingExpert>(); },
});
INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "test",
    .params = {},
    .concurrent = false,
    .factory = [] { return std::make_unique<SinkOutput>(); },
});

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.blocking_output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "test",
    .params = {},
    .concurrent = false,
    .factory = [] { return std::make_unique<BlockingOutput>(); },
});

// ---------------------------------------------------------------- graph building

struct GraphBuilder {
  config::GraphConfig g;
  std::string dir;

  explicit GraphBuilder(const std::string& name) {
    dir = (std::filesystem::temp_directory_path() / ("intelflow-engine-" + name)).string();
    std::filesystem::remove_all(dir);
    g.engine.state_dir = dir;
    g.engine.log_dir = dir + "/log";
    g.engine.wal_dir = dir + "/wal";
    g.engine.threads = 2;
  }

  GraphBuilder& bot(const std::string& id, const std::string& module,
                    std::vector<std::pair<std::string, Value>> params,
                    std::vector<std::pair<std::string, std::vector<std::string>>> dest) {
    config::BotConfig b;
    b.id = id;
    b.module = module;
    b.info = api::Registry::instance().find(module);
    REQUIRE(b.info != nullptr);
    for (const auto& spec : api::Registry::instance().all_params(*b.info))
      b.params.set(std::string(spec.key), api::parse_default(spec.default_json));
    b.params.set("error_max_retries", Value::integer(0));
    b.params.set("error_retry_delay", Value::integer(0));
    for (auto& [k, v] : params) b.params.set(k, std::move(v));
    b.source_queue = id + "-queue";
    b.destinations = std::move(dest);
    g.bots.push_back(std::move(b));
    return *this;
  }

  config::GraphConfig build() {
    for (std::size_t i = 0; i < g.bots.size(); ++i)
      for (const auto& [path, queues] : g.bots[i].destinations)
        for (const auto& q : queues)
          for (std::size_t j = 0; j < g.bots.size(); ++j)
            if (g.bots[j].source_queue == q) g.edges.push_back({i, path, q, j});
    return g;
  }
};

std::vector<std::int64_t> sorted(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::int64_t> range(std::int64_t from, std::int64_t to) {
  std::vector<std::int64_t> v;
  for (auto i = from; i <= to; ++i) v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("engine: a linear graph delivers every event once, in batches", "[engine]") {
  sink().reset();
  GraphBuilder b("linear");
  b.g.engine.batch_size = 16;
  b.bot("col", "test.engine.collector",
        {{"reports", Value::integer(3)}, {"lines", Value::integer(100)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.expert", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  p.wait_drained();
  CHECK(sorted(sink().got["out"]) == range(1, 300));
  // Batches on edges: the output saw batches of at most batch_size, and fewer
  // batches than events.
  const auto& sizes = sink().batch_sizes["out"];
  CHECK(sizes.size() < 300);
  for (auto s : sizes) CHECK(s <= 16);
  CHECK(p.in_flight() == 0);
  p.stop();
}

TEST_CASE("engine: named paths route to their own bots", "[engine]") {
  sink().reset();
  GraphBuilder b("paths");
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(20)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.expert", {{"split", Value::boolean(true)}},
           {{"_default", {"even-queue"}}, {"odd", {"odd-queue"}}})
      .bot("even", "test.engine.output", {}, {})
      .bot("odd", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  p.wait_drained();
  CHECK(sorted(sink().got["even"]) ==
        std::vector<std::int64_t>{2, 4, 6, 8, 10, 12, 14, 16, 18, 20});
  CHECK(sorted(sink().got["odd"]) == std::vector<std::int64_t>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19});
  p.stop();
}

TEST_CASE("engine: a failing message is dumped, sent to _on_error, and the rest goes on",
          "[engine]") {
  sink().reset();
  GraphBuilder b("onerror");
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(30)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.expert", {{"fail_every", Value::integer(10)}},
           {{"_default", {"out-queue"}}, {"_on_error", {"err-queue"}}})
      .bot("out", "test.engine.output", {}, {})
      .bot("err", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  p.wait_drained();
  auto expected = range(1, 30);
  std::erase_if(expected, [](auto n) { return n % 10 == 0; });
  CHECK(sorted(sink().got["out"]) == expected);
  CHECK(sorted(sink().got["err"]) == std::vector<std::int64_t>{10, 20, 30});
  auto dumps = graph::DumpFile::read(b.dir + "/log/exp.dump");
  CHECK(dumps.size() == 3);
  for (const auto& d : dumps) {
    CHECK(d.bot_id == "exp");
    CHECK(d.source_queue == "exp-queue");
    CHECK(d.traceback.find("refusing") != std::string::npos);
  }
  p.stop();
}

TEST_CASE("engine: a parser's malformed line is dumped and the report's other lines go on",
          "[engine]") {
  sink().reset();
  GraphBuilder b("badline");
  b.bot("col", "test.engine.collector",
        {{"lines", Value::integer(12)}, {"bad_every", Value::integer(4)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  p.wait_drained();
  CHECK(sorted(sink().got["out"]) == std::vector<std::int64_t>{1, 2, 3, 5, 6, 7, 9, 10, 11});
  auto dumps = graph::DumpFile::read(b.dir + "/log/par.dump");
  REQUIRE(dumps.size() == 3);
  // The dumped message is the report with raw = the failed line ("bad" = YmFk).
  for (const auto& d : dumps) CHECK(d.message.find("\"raw\": \"YmFk\"") != std::string::npos);
  p.stop();
}

TEST_CASE("engine: error_procedure stop halts the bot and keeps its input unacknowledged",
          "[engine]") {
  sink().reset();
  GraphBuilder b("stop");
  b.g.engine.batch_size = 1;
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(10)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.expert",
           {{"fail_every", Value::integer(5)}, {"error_procedure", Value::string("stop")}},
           {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  // Serial nodes: the first failure (5) must stop the bot before 10 is tried.
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}, .serial = true});
  p.start();
  p.wait_drained();
  CHECK(p.bot_stopped("exp"));
  // The failing message was dumped; the report is still in flight (not acked).
  CHECK(graph::DumpFile::read(b.dir + "/log/exp.dump").size() == 1);
  CHECK(p.in_flight() == 1);
  CHECK(sink().got["out"].size() < 10);
  p.stop();
}

TEST_CASE("engine: in-flight messages stay bounded while the output is blocked", "[engine]") {
  sink().reset();
  {
    std::lock_guard lk(sink().mu);
    sink().gate_open = false;
  }
  GraphBuilder b("backpressure");
  b.g.engine.max_in_flight = 4;
  b.bot("col", "test.engine.collector",
        {{"reports", Value::integer(200)}, {"lines", Value::integer(5)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  {
    // Wait until the output is stuck on its first event.
    std::unique_lock lk(sink().mu);
    sink().cv.wait(lk, [] { return sink().waiting > 0; });
  }
  // The collector cannot have more than the bound inside the graph.
  CHECK(p.in_flight() <= 4);
  {
    std::lock_guard lk(sink().mu);
    sink().gate_open = true;
  }
  sink().cv.notify_all();
  p.wait_drained();
  CHECK(sink().got["out"].size() == 1000);
  CHECK(p.max_in_flight_seen() <= 4);
  CHECK(p.max_in_flight_seen() >= 1);
  p.stop();
}

TEST_CASE("engine: messages on a path no local bot reads go to the sink", "[engine]") {
  sink().reset();
  GraphBuilder b("sink");
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(5)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"elsewhere"}}});
  std::mutex mu;
  std::vector<std::int64_t> got;
  graph::Pipeline p(b.build(), {.drain = true,
                                .sink = [&](const std::string& bot, const std::string& path,
                                            std::vector<Message>&& msgs) {
                                  CHECK(bot == "par");
                                  CHECK(path == "_default");
                                  std::lock_guard lk(mu);
                                  for (auto& m : msgs) got.push_back(m.find("extra.n")->as_int());
                                }});
  p.start();
  p.wait_drained();
  CHECK(sorted(got) == range(1, 5));
  p.stop();
}

TEST_CASE("engine: a dump entry's origin survives a rewrite, and a failure is not dumped twice",
          "[engine]") {
  auto path = (std::filesystem::temp_directory_path() / "intelflow-dump-origin.dump").string();
  std::filesystem::remove(path);
  graph::DumpFile a(path, "bot", "bot-queue");
  a.add("{\"raw\": \"eA==\", \"__type\": \"Report\"}", "boom", false, "abc");
  REQUIRE(a.flush());
  graph::DumpFile b(path, "bot", "bot-queue");  // e.g. after a restart
  b.add("{\"raw\": \"eA==\", \"__type\": \"Report\"}", "boom again", false, "abc");
  b.add("{\"raw\": \"eQ==\", \"__type\": \"Report\"}", "other", false, "def");
  REQUIRE(b.flush());
  auto entries = graph::DumpFile::read(path);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].origin == "abc");
  CHECK(entries[1].origin == "def");
}

TEST_CASE("engine: a bot blocked on I/O does not hold up the rest of the graph", "[engine]") {
  sink().reset();
  {
    std::lock_guard lk(sink().mu);
    io_gate_open = false;
  }
  GraphBuilder b("blocking-io");
  b.g.engine.threads = 1;  // one worker: if the blocked bot held it, nothing else would run
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(20)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.expert", {{"split", Value::boolean(true)}},
           {{"_default", {"slow-queue"}}, {"odd", {"fast-queue"}}})
      .bot("slow", "test.engine.blocking_output", {}, {})
      .bot("fast", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  {
    std::unique_lock lk(sink().mu);
    bool all_fast = sink().cv.wait_for(lk, std::chrono::seconds(30),
                                       [] { return sink().got["fast"].size() == 10; });
    CHECK(all_fast);
    CHECK(sink().got["slow"].empty());
    io_gate_open = true;
  }
  sink().cv.notify_all();
  p.wait_drained();
  CHECK(sorted(sink().got["slow"]) ==
        std::vector<std::int64_t>{2, 4, 6, 8, 10, 12, 14, 16, 18, 20});
  p.stop();
}

namespace {
/// Sends an empty copy of every event besides the event itself.
class EmptySender final : public api::ExpertBot {
 public:
  void process(Message& ev, api::Emitter& out) override {
    out.send(Message(harm::MessageKind::Event, ev.harmonization_ptr()));
    out.send(std::move(ev));
  }
};
INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "test.engine.empty_sender",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "test",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<EmptySender>(); },
});
}  // namespace

TEST_CASE("engine: an empty message is not sent on", "[engine]") {
  sink().reset();
  GraphBuilder b("empty");
  b.bot("col", "test.engine.collector", {{"lines", Value::integer(5)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"exp-queue"}}})
      .bot("exp", "test.engine.empty_sender", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  p.start();
  p.wait_drained();
  CHECK(sorted(sink().got["out"]) == range(1, 5));
  p.stop();
}

TEST_CASE("engine: a durable injection into a bot's input is replayed there after a stop",
          "[engine]") {
  sink().reset();
  auto graph = [](bool failing, const std::string& name) {
    GraphBuilder b(name);
    b.g.engine.batch_size = 1;
    std::vector<std::pair<std::string, Value>> exp_params;
    if (failing) {
      exp_params.emplace_back("fail_every", Value::integer(5));
      exp_params.emplace_back("error_procedure", Value::string("stop"));
    }
    b.bot("exp", "test.engine.expert", std::move(exp_params), {{"_default", {"out-queue"}}})
        .bot("out", "test.engine.output", {}, {});
    return b;
  };
  auto b1 = graph(true, "inject-durable");
  {
    graph::Pipeline p(b1.build(), {.drain = true, .sink = {}, .serial = true, .durable = true});
    p.start();
    // 5 fails and stops the bot (dumped); 6 then waits in its input, unacknowledged.
    std::vector<Message> msgs;
    for (int n : {5, 6}) {
      Message m(harm::MessageKind::Event, harm::Harmonization::default_instance());
      m.add("extra.n", Value::integer(n));
      msgs.push_back(std::move(m));
    }
    p.inject_durable("exp", std::move(msgs));
    p.wait_drained();
    CHECK(p.bot_stopped("exp"));
    CHECK(sink().got["out"].empty());
    CHECK_THROWS(p.inject_durable("nope", {}));
    p.stop();
  }
  // Same state dir, the bot fixed: the injected message is replayed into exp's input.
  auto b2 = graph(false, "inject-durable-2");
  b2.dir = b1.dir;
  b2.g.engine.state_dir = b1.dir;
  b2.g.engine.log_dir = b1.dir + "/log";
  b2.g.engine.wal_dir = b1.dir + "/wal";
  graph::Pipeline p2(b2.build(), {.drain = true, .sink = {}, .serial = true, .durable = true});
  p2.start();
  CHECK(p2.recovery().replayed == 1);
  p2.wait_drained();
  CHECK(sink().got["out"] == std::vector<std::int64_t>{6});
  CHECK(graph::DumpFile::read(b1.dir + "/log/exp.dump").size() == 1);
  p2.stop();
}

TEST_CASE("engine: measurements count output events and sample their latency", "[engine]") {
  sink().reset();
  GraphBuilder b("measure");
  b.g.engine.batch_size = 16;
  b.bot("col", "test.engine.collector",
        {{"reports", Value::integer(2)}, {"lines", Value::integer(50)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}});
  CHECK(p.measurements().events_out == 0);
  CHECK(p.measurements().latency_ms(0.99) == 0);
  p.start();
  p.wait_drained();
  auto m = p.measurements();
  CHECK(m.events_out == 100);
  CHECK(m.first_admit_unix_ns > 0);
  CHECK(m.last_output_unix_ns >= m.first_admit_unix_ns);
  std::uint64_t weighted = 0;
  for (const auto& [us, n] : m.latency_us) weighted += n;
  CHECK(weighted == 100);
  CHECK(m.latency_ms(0.5) <= m.latency_ms(0.99));
  p.stop();
}

TEST_CASE("engine: latency quantiles weight each batch by its size", "[engine]") {
  graph::Measurements m;
  m.latency_us = {{1000, 98}, {50000, 1}, {9000, 1}};
  CHECK(m.latency_ms(0.5) == Approx(1.0));
  CHECK(m.latency_ms(0.99) == Approx(9.0));
  CHECK(m.latency_ms(1.0) == Approx(50.0));
}

TEST_CASE("engine: the byte bound admits one report at a time when reports are large", "[engine]") {
  sink().reset();
  {
    std::lock_guard lk(sink().mu);
    sink().gate_open = false;
  }
  GraphBuilder b("backpressure-bytes");
  b.g.engine.max_in_flight = 100;
  b.g.engine.max_in_flight_bytes = 1;  // every report is larger: one at a time
  b.bot("col", "test.engine.collector",
        {{"reports", Value::integer(20)}, {"lines", Value::integer(5)}},
        {{"_default", {"par-queue"}}})
      .bot("par", "test.engine.parser", {}, {{"_default", {"out-queue"}}})
      .bot("out", "test.engine.output", {}, {});
  graph::Pipeline p(b.build(), {.drain = true, .sink = {}, .durable = true});
  p.start();
  {
    std::unique_lock lk(sink().mu);
    sink().cv.wait(lk, [] { return sink().waiting > 0; });
  }
  CHECK(p.in_flight() == 1);
  {
    std::lock_guard lk(sink().mu);
    sink().gate_open = true;
  }
  sink().cv.notify_all();
  p.wait_drained();
  CHECK(sink().got["out"].size() == 100);
  CHECK(p.max_in_flight_seen() == 1);
  p.stop();
}
