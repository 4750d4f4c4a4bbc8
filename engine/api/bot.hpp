// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// What a bot sees: the base classes mirroring IntelMQ's (CollectorBot,
/// ParserBot, ExpertBot, OutputBot), the Emitter it sends to and the
/// BotContext (parameters, logger, harmonization, state directory).
/// Bots never see TBB, the WAL or logger setup. A bot instance is used by one
/// thread at a time unless its BotInfo says `concurrent` (then process() must
/// be safe to call concurrently: no mutable members).

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/logger.h>

#include "engine/api/errors.hpp"
#include "engine/api/params.hpp"
#include "harmonization/message.hpp"

namespace intelflow::api {

using harm::Message;

enum class BotGroup : std::uint8_t { Collector, Parser, Expert, Output };
std::string_view group_name(BotGroup g) noexcept;  // "Collector", ...

/// Receives what a bot produces while it handles one input (or, for a
/// collector, one round). Implemented by the engine's node wrapper and by the
/// conformance harness.
class Emitter {
 public:
  virtual ~Emitter() = default;
  /// Sends a message on `path`. An unconfigured path throws PipelineError,
  /// unless `path_permissive` (then the message is silently dropped).
  virtual void send(Message&& msg, std::string_view path = "_default",
                    bool path_permissive = false) = 0;
  /// A parser's failed line: dump `msg` with `error` and send it to `_on_error`
  /// if configured. The bot goes on with the next line.
  virtual void dump(Message&& msg, std::string_view error) = 0;
  /// The current input was dropped on purpose by a rule (counted, not an error).
  virtual void drop(std::string_view reason) { (void)reason; }
  /// Whether `path` is configured for this bot.
  virtual bool has_path(std::string_view path) const = 0;

  /// Identity of the current input: the WAL sequence number of the ingress
  /// message it derives from and a deterministic id within it. A replayed
  /// message (after a crash) has the same identity as before the crash, so
  /// stateful bots can recognise their own earlier work. seq 0 = not durable.
  struct Origin {
    std::uint64_t seq = 0;
    std::uint64_t id = 0;
    bool replay = false;
  };
  virtual Origin origin() const { return {}; }

  /// Collectors: the stable identity of the next report sent (e.g. file,
  /// inode, mtime and chunk index). A report read again after a crash gets
  /// the same identity, so its messages get the same ids and failures already
  /// dumped are not dumped twice. Optional; default: the WAL sequence number.
  virtual void set_next_key(std::string_view key) { (void)key; }
};

/// Per-instance context handed to Bot::init. Owned by the engine; outlives the bot.
struct BotContext {
  std::string bot_id;
  std::string module;
  Params params;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<const harm::Harmonization> harmonization;
  std::string state_dir;  ///< a directory this bot may write state into (created)
  std::atomic<std::uint64_t> warnings{0};
};

/// Base of every bot.
class Bot {
 public:
  virtual ~Bot() = default;
  /// Reads parameters, opens files. Throws ConfigError (parameter + reason) or
  /// any std::exception if the bot cannot start.
  virtual void init(BotContext& ctx) { ctx_ = &ctx; }
  /// Releases resources; flushes buffered output.
  virtual void shutdown() {}
  /// True if process() blocks on network or disk I/O (SQL, SMTP, HTTP, DNS,
  /// a remote cache): the engine then runs the bot on its own I/O thread, so
  /// a TBB worker is never blocked. Asked once, after init().
  virtual bool uses_blocking_io() const { return false; }

  BotContext& ctx() const { return *ctx_; }
  const Params& params() const { return ctx_->params; }
  spdlog::logger& log() const { return *ctx_->log; }

 protected:
  BotContext* ctx_ = nullptr;
};

/// Collectors fetch data and send Reports. collect() runs one round on the
/// collector's own thread; Emitter::send blocks until the report is durable, so
/// a collector confirms upstream (delete the file, ...) after send returns.
class CollectorBot : public Bot {
 public:
  void init(BotContext& ctx) override;
  /// One collection round.
  virtual void collect(Emitter& out) = 0;

 protected:
  /// A new Report with time.observation = now.
  Message new_report() const;
  /// IntelMQ's CollectorBot.send_message: drops a report without raw (warning),
  /// stamps feed.name/code/documentation/provider/accuracy, then sends.
  void send_report(Message&& report, Emitter& out, std::string_view path = "_default") const;
};

/// Experts transform or filter Events.
class ExpertBot : public Bot {
 public:
  /// Handles one event: send it (possibly changed) zero or more times.
  virtual void process(Message& event, Emitter& out) = 0;
  /// Handles a batch. The default calls process() per event (the engine catches
  /// errors per event then). Override to batch remote calls (e.g. one pipelined
  /// Redis round trip per batch); an override must itself isolate per-event
  /// failures by calling `fail(i, error)` on the emitter's side — see
  /// BatchEmitter.
  virtual void process_batch(std::span<Message> events, class BatchEmitter& out);
};

/// Emitter for ExpertBot::process_batch: `select(i)` makes event i the current
/// input (sends, drops and failures are attributed to it).
class BatchEmitter : public Emitter {
 public:
  virtual void select(std::size_t index) = 0;
  /// Event `index` failed with `error`: dumped / retried per error policy.
  virtual void fail(std::size_t index, const std::exception& error) = 0;
};

/// Outputs deliver Events. process() returns once the event is written (or
/// buffered, if flush() is implemented); the engine calls flush() at the end
/// of each batch, and counts the batch delivered after that.
class OutputBot : public Bot {
 public:
  virtual void process(const Message& event) = 0;
  virtual void flush() {}

  /// Exactly-once support (optional): an output that can say how far it has
  /// written (after flush) and cut its target back to such a position lets
  /// the engine remove, after a crash, what was written for messages that are
  /// then replayed. nullopt = not supported (the output is at-least-once).
  virtual std::optional<std::uint64_t> position() const { return std::nullopt; }
  virtual void truncate_to_position(std::uint64_t position) { (void)position; }
};

}  // namespace intelflow::api
