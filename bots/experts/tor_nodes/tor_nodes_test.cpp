// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
std::string db() {
  return std::string(INTELFLOW_SOURCE_DIR) + "/bots/experts/tor_nodes/testdata/tor_nodes.dat";
}
}  // namespace

TEST_CASE("tor_nodes: listed addresses are marked on both sides", "[experts][tor_nodes]") {
  testing::TestBot bot("experts.tor_nodes.expert", {{"database", Value::string(db())}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.ip", Value::string("198.51.100.23"));
  ev.add("destination.ip", Value::string("2001:db8::9"));
  bot.process(ev, out);
  const auto& r = out.sent["_default"].at(0);
  CHECK(r.get("source.tor_node") == Value::boolean(true));
  CHECK(r.get("destination.tor_node") == Value::boolean(true));
}

TEST_CASE("tor_nodes: unlisted addresses, comments and indented lines", "[experts][tor_nodes]") {
  testing::TestBot bot("experts.tor_nodes.expert", {{"database", Value::string(db())}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.ip", Value::string("192.0.2.200"));       // listed with surrounding blanks
  ev.add("destination.ip", Value::string("203.0.113.5"));  // only in a comment line
  bot.process(ev, out);
  const auto& r = out.sent["_default"].at(0);
  CHECK(r.get("source.tor_node") == Value::boolean(true));
  CHECK_FALSE(r.contains("destination.tor_node"));
}

TEST_CASE("tor_nodes: an existing false is kept unless overwrite", "[experts][tor_nodes]") {
  for (bool overwrite : {false, true}) {
    testing::TestBot bot("experts.tor_nodes.expert", {{"database", Value::string(db())},
                                                      {"overwrite", Value::boolean(overwrite)}});
    testing::CaptureEmitter out;
    auto ev = bot.event();
    ev.add("source.ip", Value::string("198.51.100.23"));
    ev.add("source.tor_node", Value::boolean(false));
    bot.process(ev, out);
    CHECK(out.sent["_default"].at(0).get("source.tor_node") == Value::boolean(overwrite));
  }
}

TEST_CASE("tor_nodes: a missing database refuses the start", "[experts][tor_nodes]") {
  CHECK_THROWS_AS(testing::TestBot("experts.tor_nodes.expert",
                                   {{"database", Value::string("/nonexistent/tor.dat")}}),
                  ConfigError);
}
