// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"
#include "harmonization/datetime.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;
namespace dt = intelflow::harm::datetime;

namespace {

const std::vector<std::string> kPaths = {"_default", "action_other", "filter_match",
                                         "filter_no_match"};

Message event(testing::TestBot& bot) {
  auto ev = bot.event();
  ev.add("classification.type", Value::string("scanner"));
  ev.add("time.source", Value::string("2005-01-01T00:00:00+00:00"));
  ev.add("source.port", Value::integer(80));
  ev.add("feed.name", Value::string("test-feed"));
  return ev;
}

std::map<std::string, std::size_t> route(testing::TestBot& bot) {
  testing::CaptureEmitter out(kPaths);
  auto ev = event(bot);
  bot.process(ev, out);
  std::map<std::string, std::size_t> n;
  for (const auto& p : kPaths) n[p] = out.sent[p].size();
  return n;
}

testing::TestBot value_bot(Value value, const char* action, Value regex = Value()) {
  return testing::TestBot("experts.filter.expert", {{"filter_key", Value::string("source.port")},
                                                    {"filter_value", std::move(value)},
                                                    {"filter_action", Value::string(action)},
                                                    {"filter_regex", std::move(regex)}});
}

struct ClockPin {
  explicit ClockPin(std::int64_t t) { dt::set_clock_override(t); }
  ~ClockPin() { dt::set_clock_override(std::nullopt); }
};

}  // namespace

TEST_CASE("filter: the four match/action routes", "[experts][filter]") {
  using M = std::map<std::string, std::size_t>;
  auto keep_match = value_bot(Value::integer(80), "keep");
  CHECK(route(keep_match) ==
        M{{"_default", 1}, {"action_other", 0}, {"filter_match", 1}, {"filter_no_match", 0}});
  auto keep_nomatch = value_bot(Value::integer(81), "keep");
  CHECK(route(keep_nomatch) ==
        M{{"_default", 0}, {"action_other", 1}, {"filter_match", 0}, {"filter_no_match", 1}});
  auto drop_match = value_bot(Value::integer(80), "drop");
  CHECK(route(drop_match) ==
        M{{"_default", 0}, {"action_other", 1}, {"filter_match", 1}, {"filter_no_match", 0}});
  auto drop_nomatch = value_bot(Value::integer(81), "drop");
  CHECK(route(drop_nomatch) ==
        M{{"_default", 1}, {"action_other", 0}, {"filter_match", 0}, {"filter_no_match", 1}});
}

TEST_CASE("filter: equality is typed, regex searches the string form", "[experts][filter]") {
  auto text = value_bot(Value::string("80"), "keep");
  CHECK(route(text)["_default"] == 0);
  auto rx = value_bot(Value::string("^8"), "keep", Value::string("yes"));
  CHECK(route(rx)["_default"] == 1);
  auto rx_no = value_bot(Value::string("^0"), "keep", Value::boolean(true));
  CHECK(route(rx_no)["_default"] == 0);
  // A falsy filter_regex means plain equality.
  auto rx_off = value_bot(Value::string("^8"), "keep", Value::boolean(false));
  CHECK(route(rx_off)["_default"] == 0);
}

TEST_CASE("filter: unconfigured optional paths are skipped silently", "[experts][filter]") {
  auto bot = value_bot(Value::integer(80), "drop");
  testing::CaptureEmitter out({"_default"});
  auto ev = event(bot);
  bot.process(ev, out);
  CHECK(out.sent["_default"].empty());
}

TEST_CASE("filter: an absent key does not match", "[experts][filter]") {
  testing::TestBot bot("experts.filter.expert", {{"filter_key", Value::string("source.asn")},
                                                 {"filter_value", Value::integer(1)},
                                                 {"filter_action", Value::string("keep")}});
  CHECK(route(bot)["filter_no_match"] == 1);
}

TEST_CASE("filter: an unknown action disables value filtering", "[experts][filter]") {
  testing::TestBot bot("experts.filter.expert", {{"filter_key", Value::string("source.port")},
                                                 {"filter_value", Value::integer(80)},
                                                 {"filter_action", Value::string("bounce")},
                                                 {"not_after", Value::string("")}});
  auto n = route(bot);
  CHECK(n["_default"] == 1);
  CHECK(n["filter_match"] == 0);
}

TEST_CASE("filter: absolute not_before / not_after", "[experts][filter]") {
  testing::TestBot before("experts.filter.expert",
                          {{"not_before", Value::string("2014-01-01T00:00:00+00:00")}});
  CHECK(route(before)["_default"] == 0);
  testing::TestBot before_ok("experts.filter.expert",
                             {{"not_before", Value::string("2004-12-31T23:59:59+00:00")}});
  CHECK(route(before_ok)["_default"] == 1);
  testing::TestBot after("experts.filter.expert",
                         {{"not_after", Value::string("2004-06-01 12:00:00 +01:00")}});
  CHECK(route(after)["_default"] == 0);
  testing::TestBot after_ok("experts.filter.expert", {{"not_after", Value::string("2005-01-01")}});
  CHECK(route(after_ok)["_default"] == 1);  // equal is not later
}

TEST_CASE("filter: relative times count back from now", "[experts][filter]") {
  ClockPin pin(1104537600 + 10 * 86400);  // 2005-01-11T00:00:00Z
  testing::TestBot nb_drop("experts.filter.expert", {{"not_before", Value::string("9 days")}});
  CHECK(route(nb_drop)["_default"] == 0);
  testing::TestBot nb_keep("experts.filter.expert", {{"not_before", Value::string("11 days")}});
  CHECK(route(nb_keep)["_default"] == 1);
  testing::TestBot na_keep("experts.filter.expert", {{"not_after", Value::string("1 week")}});
  CHECK(route(na_keep)["_default"] == 1);
  testing::TestBot na_drop("experts.filter.expert", {{"not_after", Value::string("2 weeks")}});
  CHECK(route(na_drop)["_default"] == 0);
  testing::TestBot minutes("experts.filter.expert", {{"not_before", Value::string("30 minutes")}});
  CHECK(route(minutes)["_default"] == 0);
}

TEST_CASE("filter: events without time.source pass the time filter", "[experts][filter]") {
  testing::TestBot bot("experts.filter.expert", {{"not_before", Value::string("1 hour")}});
  testing::CaptureEmitter out(kPaths);
  auto ev = bot.event();
  ev.add("feed.name", Value::string("x"));
  bot.process(ev, out);
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("filter: configuration errors refuse the start", "[experts][filter]") {
  CHECK_THROWS_AS(testing::TestBot("experts.filter.expert", {}), ConfigError);
  CHECK_THROWS_AS(
      testing::TestBot("experts.filter.expert", {{"not_before", Value::string("many days")}}),
      ConfigError);
  CHECK_THROWS_AS(
      testing::TestBot("experts.filter.expert", {{"not_after", Value::string("not a date")}}),
      ConfigError);
  CHECK_THROWS_AS(value_bot(Value::string("(unclosed"), "keep", Value::boolean(true)), ConfigError);
}
