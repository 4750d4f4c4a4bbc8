// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
std::string psl() {
  return std::string(INTELFLOW_SOURCE_DIR) + "/bots/experts/domain_suffix/testdata/suffixes.dat";
}
Value suffix_of(testing::TestBot& bot, const char* fqdn) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.fqdn", Value::string(fqdn));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0].get("source.domain_suffix");
}
}  // namespace

TEST_CASE("domain_suffix: plain, wildcard and exception rules", "[experts][domain_suffix]") {
  testing::TestBot bot("experts.domain_suffix.expert",
                       {{"suffix_file", Value::string(psl())}, {"field", Value::string("fqdn")}});
  CHECK(suffix_of(bot, "www.example.co.uk") == Value::string("co.uk"));
  CHECK(suffix_of(bot, "a.b.city.kawasaki.jp") ==
        Value::string("kawasaki.jp"));  // !city.kawasaki.jp
  CHECK(suffix_of(bot, "a.b.other.kawasaki.jp") == Value::string("other.kawasaki.jp"));  // *.
  CHECK(suffix_of(bot, "example.com") == Value::string("com"));
  CHECK(suffix_of(bot, "com") == Value::string("com"));
}

TEST_CASE("domain_suffix: unknown TLDs, private section and IDN rules",
          "[experts][domain_suffix]") {
  testing::TestBot bot("experts.domain_suffix.expert",
                       {{"suffix_file", Value::string(psl())}, {"field", Value::string("fqdn")}});
  CHECK(suffix_of(bot, "foo.example.unknowntld") == Value::string("unknowntld"));
  // blogspot.com is in the private section: ignored.
  CHECK(suffix_of(bot, "me.blogspot.com") == Value::string("com"));
  CHECK(suffix_of(bot, "xn--85x722f.xn--fiqs8s") == Value::string("xn--fiqs8s"));
}

TEST_CASE("domain_suffix: reverse_dns field, bad field refuses the start",
          "[experts][domain_suffix]") {
  testing::TestBot bot("experts.domain_suffix.expert", {{"suffix_file", Value::string(psl())},
                                                        {"field", Value::string("reverse_dns")}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("destination.reverse_dns", Value::string("host.example.co.uk"));
  ev.add("source.fqdn", Value::string("ignored.example.com"));
  bot.process(ev, out);
  const auto& r = out.sent["_default"].at(0);
  CHECK(r.get("destination.domain_suffix") == Value::string("co.uk"));
  CHECK_FALSE(r.contains("source.domain_suffix"));
  CHECK_THROWS_AS(
      testing::TestBot("experts.domain_suffix.expert",
                       {{"suffix_file", Value::string(psl())}, {"field", Value::string("url")}}),
      ConfigError);
  CHECK_THROWS_AS(testing::TestBot("experts.domain_suffix.expert",
                                   {{"suffix_file", Value::string("/nonexistent")},
                                    {"field", Value::string("fqdn")}}),
                  ConfigError);
}

TEST_CASE("domain_suffix: an existing domain_suffix fails the event", "[experts][domain_suffix]") {
  testing::TestBot bot("experts.domain_suffix.expert",
                       {{"suffix_file", Value::string(psl())}, {"field", Value::string("fqdn")}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.fqdn", Value::string("example.com"));
  ev.add("source.domain_suffix", Value::string("com"));
  CHECK_THROWS(bot.process(ev, out));
}
