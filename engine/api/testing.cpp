// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/api/testing.hpp"

#include <algorithm>
#include <filesystem>

#include <spdlog/sinks/null_sink.h>

namespace intelflow::api::testing {

void CaptureEmitter::send(Message&& msg, std::string_view path, bool path_permissive) {
  if (!has_path(path)) {
    if (path_permissive) return;
    throw PipelineError("path '" + std::string(path) + "' is not configured");
  }
  sent[std::string(path)].push_back(std::move(msg));
}

void CaptureEmitter::dump(Message&& msg, std::string_view error) {
  dumped.emplace_back(std::move(msg), std::string(error));
}

bool CaptureEmitter::has_path(std::string_view path) const {
  return std::find(paths_.begin(), paths_.end(), path) != paths_.end();
}

TestBot::TestBot(std::string_view module, std::vector<std::pair<std::string, Value>> params,
                 std::string bot_id) {
  const BotInfo* info = Registry::instance().find(module);
  if (info == nullptr) throw std::runtime_error("no bot registered for " + std::string(module));
  ctx = std::make_unique<BotContext>();
  ctx->bot_id = std::move(bot_id);
  ctx->module = info->module;
  ctx->harmonization = harm::Harmonization::default_instance();
  ctx->log = std::make_shared<spdlog::logger>(ctx->bot_id,
                                              std::make_shared<spdlog::sinks::null_sink_mt>());
  for (const auto& spec : Registry::instance().all_params(*info))
    ctx->params.set(std::string(spec.key), parse_default(spec.default_json));
  for (auto& [k, v] : params) ctx->params.set(k, std::move(v));
  auto dir = std::filesystem::temp_directory_path() / ("intelflow-test-" + ctx->bot_id);
  std::filesystem::create_directories(dir);
  ctx->state_dir = dir.string();
  bot = info->factory();
  bot->init(*ctx);
}

TestBot::~TestBot() {
  if (bot) bot->shutdown();
}

void TestBot::process(Message& ev, Emitter& out) {
  if (auto* e = dynamic_cast<ExpertBot*>(bot.get())) {
    e->process(ev, out);
  } else if (auto* o = dynamic_cast<OutputBot*>(bot.get())) {
    o->process(ev);
    o->flush();
  } else if (auto* p = dynamic_cast<ParserBot*>(bot.get())) {
    p->process(ev, out);
  } else {
    throw std::logic_error("TestBot::process: not an expert, output or parser");
  }
}

}  // namespace intelflow::api::testing
