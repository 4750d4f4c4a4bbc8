// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
intelflow::harm::AddOptions raw_options() {
  intelflow::harm::AddOptions o;
  o.sanitize = false;
  return o;
}
Message run(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, std::move(v), raw_options());
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}
}  // namespace

TEST_CASE("format_field: strip columns of the configured characters", "[experts][format_field]") {
  testing::TestBot bot(
      "experts.format_field.expert",
      {{"strip_columns", Value::list({Value::string("extra.a"), Value::string("extra.b")})},
       {"strip_chars", Value::string("-* ")}});
  auto r = run(bot, {{"extra.a", Value::string("*- x-y -*")}, {"extra.b", Value::string("-*-")}});
  CHECK(r.get("extra.a") == Value::string("x-y"));
  CHECK_FALSE(r.contains("extra.b"));  // stripped to "": adding "" with overwrite deletes
}

TEST_CASE("format_field: replace at most replace_count times", "[experts][format_field]") {
  testing::TestBot once("experts.format_field.expert",
                        {{"replace_column", Value::string("extra.u")},
                         {"old_value", Value::string("a")},
                         {"new_value", Value::string("b")}});
  CHECK(run(once, {{"extra.u", Value::string("aaa")}}).get("extra.u") == Value::string("baa"));
  testing::TestBot all("experts.format_field.expert", {{"replace_column", Value::string("extra.u")},
                                                       {"old_value", Value::string("a")},
                                                       {"new_value", Value::string("bb")},
                                                       {"replace_count", Value::integer(-1)}});
  CHECK(run(all, {{"extra.u", Value::string("aXa")}}).get("extra.u") == Value::string("bbXbb"));
}

TEST_CASE("format_field: split into a list, order strip, replace, split",
          "[experts][format_field]") {
  testing::TestBot bot("experts.format_field.expert", {{"strip_columns", Value::string("extra.l")},
                                                       {"replace_column", Value::string("extra.l")},
                                                       {"old_value", Value::string(";")},
                                                       {"new_value", Value::string(",")},
                                                       {"split_column", Value::string("extra.l")}});
  auto r = run(bot, {{"extra.l", Value::string("  a;b,c ")}});
  CHECK(r.get("extra.l") ==
        Value::list({Value::string("a"), Value::string("b"), Value::string("c")}));
}

TEST_CASE("format_field: a non-text value fails the event", "[experts][format_field]") {
  testing::TestBot bot("experts.format_field.expert",
                       {{"strip_columns", Value::string("source.port")}});
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.port", Value::integer(80));
  CHECK_THROWS(bot.process(ev, out));
}

TEST_CASE("format_field: an empty split_separator and an incomplete replacement refuse the start",
          "[experts][format_field]") {
  try {
    testing::TestBot bot(
        "experts.format_field.expert",
        {{"split_column", Value::string("extra.tags")}, {"split_separator", Value::string("")}});
    FAIL("an empty split_separator was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.param() == "split_separator");
  }
  try {
    testing::TestBot bot(
        "experts.format_field.expert",
        {{"replace_column", Value::string("source.fqdn")}, {"old_value", Value::string("x")}});
    FAIL("replace_column without new_value was accepted");
  } catch (const ConfigError& e) {
    CHECK(e.param() == "replace_column");
  }
}
