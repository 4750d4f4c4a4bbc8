// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/api/registry.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "engine/api/parser.hpp"

namespace intelflow::api {

Registry& Registry::instance() {
  static Registry r;
  return r;
}

void Registry::add(BotInfo info) {
  if (find(info.module) != nullptr) throw std::logic_error("bot registered twice: " + info.module);
  bots_.push_back(std::move(info));
}

const BotInfo* Registry::find(std::string_view module) const noexcept {
  constexpr std::string_view kPrefix = "intelmq.bots.";
  std::string_view m = module;
  if (m.starts_with(kPrefix)) m.remove_prefix(kPrefix.size());
  for (const auto& b : bots_) {
    if (b.module == m || b.module == module) return &b;
    for (const auto& a : b.aliases)
      if (a == module || a == m) return &b;
  }
  return nullptr;
}

std::vector<const BotInfo*> Registry::all() const {
  std::vector<const BotInfo*> v;
  for (const auto& b : bots_) v.push_back(&b);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->module < b->module; });
  return v;
}

namespace {
const std::array kCommon = {
    ParamSpec{"destination_queues", ParamType::Any, "{}", false,
              "Where messages go: {path: [queue, ...]} (IntelMQ format); `_default` and "
              "`_on_error` are special paths."},
    ParamSpec{"source_queue", ParamType::String, "null", false,
              "Input queue name (default `<bot id>-queue`)."},
    ParamSpec{"error_procedure", ParamType::String, "\"pass\"", false,
              "`pass`: dump a failed message and go on; `stop`: dump it and stop the bot."},
    ParamSpec{"error_max_retries", ParamType::Int, "3", false,
              "Retries of a failed message before it is dumped."},
    ParamSpec{"error_retry_delay", ParamType::Float, "15", false, "Seconds between retries."},
    ParamSpec{"error_dump_message", ParamType::Bool, "true", false,
              "Write failed messages to `<bot id>.dump`."},
    ParamSpec{"error_log_message", ParamType::Bool, "false", false, "Log the failed message."},
    ParamSpec{"error_log_exception", ParamType::Bool, "true", false, "Log the error's details."},
    ParamSpec{"rate_limit", ParamType::Float, "0", false,
              "Seconds to wait between two runs (collectors: between rounds)."},
    ParamSpec{"load_balance", ParamType::Bool, "false", false,
              "Send each message to only one queue of a path, round robin."},
    ParamSpec{"logging_level", ParamType::String, "\"INFO\"", false,
              "DEBUG, INFO, WARNING, ERROR or CRITICAL."},
};
const std::array kCollector = {
    ParamSpec{"name", ParamType::String, "null", false, "Feed name, stamped as `feed.name`."},
    ParamSpec{"provider", ParamType::String, "null", false,
              "Feed provider, stamped as `feed.provider`."},
    ParamSpec{"code", ParamType::String, "null", false, "Feed code, stamped as `feed.code`."},
    ParamSpec{"documentation", ParamType::String, "null", false,
              "Feed documentation URL, stamped as `feed.documentation`."},
    ParamSpec{"accuracy", ParamType::Float, "100", false,
              "Feed accuracy (0-100), stamped as `feed.accuracy`."},
};
const std::array kOutput = {
    ParamSpec{"hierarchical_output", ParamType::Bool, "false", false,
              "Nest dotted keys into objects."},
    ParamSpec{"message_hierarchical", ParamType::Bool, "null", false,
              "Alias of hierarchical_output."},
    ParamSpec{"message_hierarchical_output", ParamType::Bool, "null", false,
              "Alias of hierarchical_output."},
    ParamSpec{"message_with_type", ParamType::Bool, "false", false,
              "Add `__type` to exported messages."},
    ParamSpec{"with_type", ParamType::Bool, "null", false, "Alias of message_with_type."},
    ParamSpec{"message_jsondict_as_string", ParamType::Bool, "false", false,
              "Export `extra` as one JSON string."},
    ParamSpec{"keep_raw_field", ParamType::Bool, "false", false,
              "Keep `raw` in exported messages."},
    ParamSpec{"single_key", ParamType::String, "null", false, "Export only this field."},
};
constexpr std::array<std::string_view, 40> kIgnored = {
    "logging_handler",
    "logging_path",
    "logging_syslog",
    "logging_max_size",
    "logging_max_copies",
    "log_processed_messages_count",
    "log_processed_messages_seconds",
    "source_pipeline_broker",
    "source_pipeline_host",
    "source_pipeline_port",
    "source_pipeline_db",
    "source_pipeline_password",
    "source_pipeline_socket_timeout",
    "source_pipeline_username",
    "source_pipeline_amqp_virtual_host",
    "source_pipeline_ssl",
    "source_pipeline_amqp_exchange",
    "destination_pipeline_broker",
    "destination_pipeline_host",
    "destination_pipeline_port",
    "destination_pipeline_db",
    "destination_pipeline_password",
    "destination_pipeline_socket_timeout",
    "destination_pipeline_username",
    "destination_pipeline_amqp_virtual_host",
    "destination_pipeline_ssl",
    "destination_pipeline_amqp_exchange",
    "statistics_host",
    "statistics_port",
    "statistics_database",
    "statistics_password",
    "process_manager",
    "instances_threads",
    "intelmqctl_check_orphaned_queues_ignore",
    "intelmqctl_rabbitmq_monitoring_url",
    "http_user_agent",
    "http_verify_cert",
    "http_timeout_sec",
    "http_timeout_max_tries",
    "ssl_ca_certificate",
};
}  // namespace

std::span<const ParamSpec> common_params() {
  return kCommon;
}
std::span<const ParamSpec> collector_params() {
  return kCollector;
}
std::span<const ParamSpec> output_params() {
  return kOutput;
}

bool is_ignored_intelmq_param(std::string_view key) noexcept {
  if (key == "http_proxy" || key == "https_proxy") return true;
  return std::find(kIgnored.begin(), kIgnored.end(), key) != kIgnored.end();
}

std::vector<ParamSpec> Registry::all_params(const BotInfo& info) const {
  std::vector<ParamSpec> out(kCommon.begin(), kCommon.end());
  auto splice = [&](std::span<const ParamSpec> extra) {
    for (const auto& p : extra) {
      auto it =
          std::find_if(out.begin(), out.end(), [&](const ParamSpec& q) { return q.key == p.key; });
      if (it != out.end())
        *it = p;
      else
        out.push_back(p);
    }
  };
  if (info.group == BotGroup::Collector) splice(kCollector);
  if (info.group == BotGroup::Parser) splice(kParserParams);
  if (info.group == BotGroup::Output) splice(kOutput);
  splice(info.params);
  return out;
}

}  // namespace intelflow::api
