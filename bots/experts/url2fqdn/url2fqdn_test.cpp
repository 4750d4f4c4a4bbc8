// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/conformance_case.hpp"
#include "engine/api/testing.hpp"

using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {

Message run_url2fqdn(TestBot& t, Message ev) {
  CaptureEmitter out;
  t.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return std::move(out.sent["_default"][0]);
}

Message with_url(TestBot& t, const char* url) {
  auto ev = t.event();
  ev.add("source.url", Value::string(url));
  return ev;
}

}  // namespace

TEST_CASE("url2fqdn: host of source and destination URL becomes the fqdn", "[experts][url2fqdn]") {
  TestBot t("experts.url2fqdn.expert", {});
  auto ev = t.event();
  ev.add("source.url", Value::string("https://user:pw@Example.COM:8080/p"));
  ev.add("destination.url", Value::string("http://example.org/download?file.exe"));
  Message r = run_url2fqdn(t, std::move(ev));
  CHECK(r.get("source.fqdn") == Value::string("example.com"));
  CHECK(r.get("destination.fqdn") == Value::string("example.org"));
}

TEST_CASE("url2fqdn: an IP host goes to the ip field", "[experts][url2fqdn]") {
  TestBot t("experts.url2fqdn.expert", {});
  Message r = run_url2fqdn(t, with_url(t, "http://192.0.2.1/x"));
  CHECK_FALSE(r.contains("source.fqdn"));
  CHECK(r.get("source.ip") == Value::string("192.0.2.1"));
  Message r6 = run_url2fqdn(t, with_url(t, "http://[2001:db8::1]:80/"));
  CHECK(r6.get("source.ip") == Value::string("2001:db8::1"));
}

TEST_CASE("url2fqdn: an existing fqdn is kept unless overwrite", "[experts][url2fqdn]") {
  TestBot keep("experts.url2fqdn.expert", {});
  auto ev = with_url(keep, "http://example.com/");
  ev.add("source.fqdn", Value::string("example.net"));
  CHECK(run_url2fqdn(keep, std::move(ev)).get("source.fqdn") == Value::string("example.net"));

  TestBot over("experts.url2fqdn.expert", {{"overwrite", Value::boolean(true)}});
  auto ev2 = with_url(over, "http://example.com/");
  ev2.add("source.fqdn", Value::string("example.net"));
  CHECK(run_url2fqdn(over, std::move(ev2)).get("source.fqdn") == Value::string("example.com"));
}

TEST_CASE("url2fqdn: without overwrite an existing ip is not replaced", "[experts][url2fqdn]") {
  TestBot t("experts.url2fqdn.expert", {});
  auto ev = with_url(t, "http://192.0.2.1/x");
  ev.add("source.ip", Value::string("198.51.100.1"));
  CHECK(run_url2fqdn(t, std::move(ev)).get("source.ip") == Value::string("198.51.100.1"));
}

TEST_CASE("url2fqdn: a URL without a host changes nothing", "[experts][url2fqdn]") {
  TestBot t("experts.url2fqdn.expert", {});
  auto ev = t.event();
  ev.add("source.ip", Value::string("192.0.2.9"));
  Message r = run_url2fqdn(t, std::move(ev));
  CHECK(r.size() == 1);
}

TEST_CASE("url2fqdn: recorded IntelMQ cases", "[experts][url2fqdn][conformance]") {
  for (const char* id :
       {"experts/url2fqdn/test_expert__test", "experts/url2fqdn/test_expert__test_overwrite"}) {
    auto c = intelflow::bots::testing::ConformanceCase::load(id, "/tmp");
    if (!c) {
      WARN(std::string("case not found: ") + id);
      continue;
    }
    INFO(id);
    TestBot t("experts.url2fqdn.expert", c->parameters());
    auto inputs = c->input();
    auto expected = c->output("_default");
    REQUIRE(inputs.size() == expected.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
      CHECK(intelflow::bots::testing::ConformanceCase::same(run_url2fqdn(t, std::move(inputs[i])),
                                                            expected[i]));
  }
}
