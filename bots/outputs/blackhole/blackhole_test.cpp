// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/registry.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::BotGroup;
using intelflow::api::Registry;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Value;

TEST_CASE("blackhole output: accepts every event and emits nothing", "[outputs][blackhole]") {
  const auto* info = Registry::instance().find("intelmq.bots.outputs.blackhole.output");
  REQUIRE(info != nullptr);
  CHECK(info->group == BotGroup::Output);
  CHECK(info->concurrent);
  TestBot t("outputs.blackhole.output", {});
  CaptureEmitter out;
  for (int i = 0; i < 100; ++i) {
    auto ev = t.event();
    ev.add("source.port", Value::integer(i));
    CHECK_NOTHROW(t.process(ev, out));
    CHECK(ev.get("source.port") == Value::integer(i));  // untouched
  }
  auto empty = t.event();
  CHECK_NOTHROW(t.process(empty, out));
  CHECK(out.sent.empty());
  CHECK(out.dumped.empty());
}
