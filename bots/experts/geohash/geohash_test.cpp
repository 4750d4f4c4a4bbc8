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

TEST_CASE("geohash: known hashes of both sides", "[experts][geohash]") {
  testing::TestBot bot("experts.geohash.expert", {});
  auto r = run(bot, {{"source.geolocation.latitude", Value::floating(57.64911)},
                     {"source.geolocation.longitude", Value::floating(10.40744)},
                     {"destination.geolocation.latitude", Value::floating(-25.382708)},
                     {"destination.geolocation.longitude", Value::floating(-49.265506)}});
  CHECK(r.get("extra.source.geolocation.geohash") == Value::string("u4pruyd"));
  CHECK(r.get("extra.destination.geolocation.geohash") == Value::string("6gkzwgj"));
}

TEST_CASE("geohash: precision, midpoints, missing coordinates", "[experts][geohash]") {
  testing::TestBot bot("experts.geohash.expert", {{"precision", Value::integer(11)}});
  auto r = run(bot, {{"source.geolocation.latitude", Value::floating(0.0)},
                     {"source.geolocation.longitude", Value::floating(0.0)},
                     {"destination.geolocation.latitude", Value::floating(1.0)}});
  // 0/0 lies on every first midpoint and goes to the upper half.
  CHECK(r.get("extra.source.geolocation.geohash") == Value::string("s0000000000"));
  CHECK_FALSE(r.contains("extra.destination.geolocation.geohash"));
}

TEST_CASE("geohash: an existing hash is kept unless overwrite", "[experts][geohash]") {
  for (bool overwrite : {false, true}) {
    testing::TestBot bot("experts.geohash.expert", {{"overwrite", Value::boolean(overwrite)}});
    auto r = run(bot, {{"source.geolocation.latitude", Value::floating(57.64911)},
                       {"source.geolocation.longitude", Value::floating(10.40744)},
                       {"extra.source.geolocation.geohash", Value::string("old")}});
    CHECK(r.get("extra.source.geolocation.geohash") ==
          Value::string(overwrite ? "u4pruyd" : "old"));
  }
}

TEST_CASE("geohash: a precision outside 0..64 is refused at start", "[experts][geohash]") {
  for (std::int64_t bad : {-1, 65}) {
    try {
      testing::TestBot bot("experts.geohash.expert", {{"precision", Value::integer(bad)}});
      FAIL("precision " << bad << " was accepted");
    } catch (const ConfigError& e) {
      CHECK(e.param() == "precision");
    }
  }
}

TEST_CASE("geohash: integral coordinates are numbers too, one coordinate alone adds nothing",
          "[experts][geohash]") {
  testing::TestBot bot("experts.geohash.expert", {});
  auto r = run(bot, {{"source.geolocation.latitude", Value::integer(57)},
                     {"source.geolocation.longitude", Value::integer(10)},
                     {"destination.geolocation.longitude", Value::floating(-49.265506)}});
  CHECK(r.get("extra.source.geolocation.geohash") == Value::string("u4ph789"));
  CHECK_FALSE(r.contains("extra.destination.geolocation.geohash"));
}
