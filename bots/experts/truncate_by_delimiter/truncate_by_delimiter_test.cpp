// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Value run(testing::TestBot& bot, const char* key, const char* value) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add(key, Value::string(value));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0].get(key);
}
}  // namespace

TEST_CASE("truncate_by_delimiter: drops leading labels until short enough",
          "[experts][truncate_by_delimiter]") {
  testing::TestBot bot("experts.truncate_by_delimiter.expert",
                       {{"max_length", Value::integer(12)}});
  CHECK(run(bot, "source.fqdn", "a.bb.ccc.example.com") == Value::string("example.com"));
  CHECK(run(bot, "source.fqdn", "short.com") == Value::string("short.com"));
  // No delimiter left: stays too long.
  CHECK(run(bot, "source.fqdn", "a.verylongsinglelabel") == Value::string("verylongsinglelabel"));
}

TEST_CASE("truncate_by_delimiter: other delimiter and field; length in characters",
          "[experts][truncate_by_delimiter]") {
  testing::TestBot bot("experts.truncate_by_delimiter.expert",
                       {{"max_length", Value::integer(4)},
                        {"delimiter", Value::string("/")},
                        {"field", Value::string("extra.p")}});
  CHECK(run(bot, "extra.p", "x/y/\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f") ==
        Value::string("\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f"));
}
