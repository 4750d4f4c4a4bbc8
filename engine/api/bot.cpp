// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/api/bot.hpp"

#include <cstdlib>

#include "harmonization/datetime.hpp"

namespace intelflow::api {

std::string_view group_name(BotGroup g) noexcept {
  switch (g) {
    case BotGroup::Collector:
      return "Collector";
    case BotGroup::Parser:
      return "Parser";
    case BotGroup::Expert:
      return "Expert";
    case BotGroup::Output:
      return "Output";
  }
  return "?";
}

void ExpertBot::process_batch(std::span<Message> events, BatchEmitter& out) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    out.select(i);
    try {
      process(events[i], out);
    } catch (const std::exception& e) {
      out.fail(i, e);
    }
  }
}

void CollectorBot::init(BotContext& ctx) {
  Bot::init(ctx);
}

Message CollectorBot::new_report() const {
  Message m = Message::new_report(ctx().harmonization);
  // Benchmarks only (docs/performance.md): `intelflow bench` sets this so the
  // engine and the baseline write byte-identical events. Unset in normal runs.
  static const char* const fixed = std::getenv("INTELFLOW_BENCH_TIME_OBSERVATION");
  if (fixed != nullptr && *fixed != '\0')
    m.add("time.observation", harm::Value::string(fixed), {.sanitize = false, .overwrite = true});
  return m;
}

void CollectorBot::send_report(Message&& report, Emitter& out, std::string_view path) const {
  if (!report.contains("raw")) {
    log().warn("Ignoring report without raw field. Possible bug or misconfiguration of this bot.");
    return;
  }
  const Params& p = params();
  static constexpr std::pair<std::string_view, std::string_view> kStamp[] = {
      {"name", "feed.name"},
      {"code", "feed.code"},
      {"documentation", "feed.documentation"},
      {"provider", "feed.provider"}};
  for (const auto& [param, field] : kStamp) {
    const Value* v = p.find(param);
    if (v != nullptr && v->truthy()) report.add(field, *v);
  }
  const Value* acc = p.find("accuracy");
  if (acc == nullptr || acc->is_null()) {
    report.add("feed.accuracy", Value::floating(100.0));
  } else if (acc->truthy()) {
    report.add("feed.accuracy",
               acc->is_int() ? Value::floating(static_cast<double>(acc->as_int())) : *acc);
  }
  out.send(std::move(report), path);
}

}  // namespace intelflow::api
