// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Test support: run one bot by hand without the engine. `TestBot` resolves
/// parameters from the registry's declared defaults plus overrides, calls
/// init(), and a CaptureEmitter records what the bot sent, dumped and dropped.
/// Used by bot unit tests only (the conformance runner uses the real node wrapper).

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/api/bot.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"

namespace intelflow::api::testing {

class CaptureEmitter : public Emitter {
 public:
  explicit CaptureEmitter(std::vector<std::string> paths = {"_default"})
      : paths_(std::move(paths)) {}
  void send(Message&& msg, std::string_view path, bool path_permissive) override;
  void dump(Message&& msg, std::string_view error) override;
  void drop(std::string_view reason) override { dropped.emplace_back(reason); }
  bool has_path(std::string_view path) const override;

  std::map<std::string, std::vector<Message>, std::less<>> sent;
  std::vector<std::pair<Message, std::string>> dumped;
  std::vector<std::string> dropped;

 private:
  std::vector<std::string> paths_;
};

/// A bot instance with its context. Throws what init() throws.
struct TestBot {
  TestBot(std::string_view module, std::vector<std::pair<std::string, Value>> params,
          std::string bot_id = "test-bot");
  ~TestBot();
  std::unique_ptr<BotContext> ctx;
  std::unique_ptr<Bot> bot;

  /// Helpers by group.
  void process(Message& ev, Emitter& out);  ///< experts, outputs (output: out unused), parsers
  Message event() const { return Message(harm::MessageKind::Event, ctx->harmonization); }
  Message report() const { return Message(harm::MessageKind::Report, ctx->harmonization); }
};

}  // namespace intelflow::api::testing
