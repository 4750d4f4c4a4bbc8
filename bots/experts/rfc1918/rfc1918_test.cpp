// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {

struct Result {
  bool dropped;
  Message msg;
};

Result run(testing::TestBot& bot, const std::string& key, Value v) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add(key, std::move(v));
  bot.process(ev, out);
  if (out.sent["_default"].empty()) return {true, bot.event()};
  return {false, out.sent["_default"][0]};
}

testing::TestBot all_drop() {
  return testing::TestBot("experts.rfc1918.expert",
                          {{"fields", Value::string("source.ip,source.fqdn,source.url,source.asn")},
                           {"policy", Value::string("drop,drop,drop,drop")}});
}

}  // namespace

TEST_CASE("rfc1918: reserved IPv4 and IPv6 networks", "[experts][rfc1918]") {
  auto bot = all_drop();
  for (const char* ip :
       {"10.1.2.3", "100.64.0.1", "127.0.0.1", "169.254.1.1", "172.31.255.255", "192.0.0.8",
        "192.0.2.9", "192.88.99.1", "192.168.0.1", "198.19.0.1", "198.51.100.1", "203.0.113.1",
        "224.0.0.1", "239.255.255.255", "240.0.0.1", "255.255.255.255", "fe80::1", "2001:db8::1"})
    CHECK(run(bot, "source.ip", Value::string(ip)).dropped);
  for (const char* ip : {"9.255.255.255", "100.128.0.0", "172.32.0.0", "192.0.1.1", "198.20.0.0",
                         "93.184.216.34", "fe80:0:0:1::1", "2001:db9::1", "::1"})
    CHECK_FALSE(run(bot, "source.ip", Value::string(ip)).dropped);
}

TEST_CASE("rfc1918: documentation domains and reserved TLDs", "[experts][rfc1918]") {
  auto bot = all_drop();
  for (const char* d : {"example.com", "www.example.net", "a.b.example.org", "host.test",
                        "x.example", "foo.invalid", "my.localhost"})
    CHECK(run(bot, "source.fqdn", Value::string(d)).dropped);
  for (const char* d : {"fooexample.com", "example.de", "testing.com", "localhost.com"})
    CHECK_FALSE(run(bot, "source.fqdn", Value::string(d)).dropped);
}

TEST_CASE("rfc1918: URL hosts are checked as IP or domain, port included", "[experts][rfc1918]") {
  auto bot = all_drop();
  CHECK(run(bot, "source.url", Value::string("http://10.0.0.1/x")).dropped);
  CHECK(run(bot, "source.url", Value::string("https://sub.example.com/foo")).dropped);
  CHECK_FALSE(run(bot, "source.url", Value::string("http://93.184.216.34/")).dropped);
  // The netloc includes the port, so it is neither an IP nor a reserved name.
  CHECK_FALSE(run(bot, "source.url", Value::string("http://10.0.0.1:8080/")).dropped);
  CHECK_FALSE(run(bot, "source.url", Value::string("http://example.com:80/")).dropped);
}

TEST_CASE("rfc1918: private-use AS numbers", "[experts][rfc1918]") {
  auto bot = all_drop();
  for (int asn : {64496, 64511, 65536, 65551})
    CHECK(run(bot, "source.asn", Value::integer(asn)).dropped);
  for (int asn : {64495, 64512, 65535, 65552})
    CHECK_FALSE(run(bot, "source.asn", Value::integer(asn)).dropped);
}

TEST_CASE("rfc1918: del removes the field, checking stops at the first match",
          "[experts][rfc1918]") {
  testing::TestBot bot("experts.rfc1918.expert",
                       {{"fields", Value::string("destination.ip,source.ip")},
                        {"policy", Value::string("del,drop")}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("destination.ip", Value::string("192.168.1.1"));
  ev.add("source.ip", Value::string("10.0.0.1"));  // would drop, but checking stopped
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK_FALSE(out.sent["_default"][0].contains("destination.ip"));
  CHECK(out.sent["_default"][0].contains("source.ip"));
}

TEST_CASE("rfc1918: fields and policy are lower-cased, lengths must agree", "[experts][rfc1918]") {
  testing::TestBot bot("experts.rfc1918.expert", {{"fields", Value::string(" Source.IP ")},
                                                  {"policy", Value::string("DROP")}});
  CHECK(run(bot, "source.ip", Value::string("10.0.0.1")).dropped);
  CHECK_THROWS_AS(testing::TestBot("experts.rfc1918.expert",
                                   {{"fields", Value::string("source.ip,destination.ip")},
                                    {"policy", Value::string("drop")}}),
                  ConfigError);
}
