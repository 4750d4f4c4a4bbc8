// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Message run(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, std::move(v));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}
}  // namespace

TEST_CASE("url: host, explicit port, path, account and protocols", "[experts][url]") {
  testing::TestBot bot("experts.url.expert", {});
  auto r =
      run(bot, {{"source.url", Value::string("https://admin:pw@WWW.Example.com:8443/a/b;p?q=1")}});
  CHECK(r.get("source.fqdn") == Value::string("www.example.com"));
  CHECK(r.get("source.port") == Value::integer(8443));
  CHECK(r.get("source.urlpath") == Value::string("/a/b"));  // ;params split off like urlparse
  CHECK(r.get("source.account") == Value::string("admin"));
  CHECK(r.get("protocol.application") == Value::string("http"));
  CHECK_FALSE(r.contains("protocol.transport"));
}

TEST_CASE("url: IP hosts, default ports, transport from the first side only", "[experts][url]") {
  testing::TestBot bot("experts.url.expert", {});
  auto r = run(bot, {{"source.url", Value::string("tftp://192.0.2.7/boot")},
                     {"destination.url", Value::string("http://[2001:db8::1]/")}});
  CHECK(r.get("source.ip") == Value::string("192.0.2.7"));
  CHECK(r.get("source.port") == Value::integer(69));
  CHECK(r.get("destination.ip") == Value::string("2001:db8::1"));
  CHECK(r.get("destination.port") == Value::integer(80));
  CHECK(r.get("protocol.application") == Value::string("tftp"));
  CHECK(r.get("protocol.transport") == Value::string("udp"));
}

TEST_CASE("url: existing fields are kept unless overwrite, skip_fields", "[experts][url]") {
  testing::TestBot keep("experts.url.expert", {});
  auto r = run(keep, {{"source.url", Value::string("ssh://h.example.net:2222/")},
                      {"source.port", Value::integer(22)}});
  CHECK(r.get("source.port") == Value::integer(22));
  testing::TestBot over("experts.url.expert",
                        {{"overwrite", Value::boolean(true)},
                         {"skip_fields", Value::string("source.urlpath,protocol.application")}});
  auto r2 = run(over, {{"source.url", Value::string("ssh://h.example.net:2222/x")},
                       {"source.port", Value::integer(22)}});
  CHECK(r2.get("source.port") == Value::integer(2222));
  CHECK_FALSE(r2.contains("source.urlpath"));
  CHECK_FALSE(r2.contains("protocol.application"));
  CHECK(r2.get("protocol.transport") == Value::string("tcp"));
}

TEST_CASE("url: unknown schemes and a bad port", "[experts][url]") {
  testing::TestBot bot("experts.url.expert", {});
  auto r = run(bot, {{"source.url", Value::string("gopher://evil.example.org/")}});
  CHECK(r.get("protocol.application") == Value::string("gopher"));
  CHECK_FALSE(r.contains("source.port"));
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.url", Value::string("http://example.org:99999/"));
  CHECK_THROWS(bot.process(ev, out));
}
