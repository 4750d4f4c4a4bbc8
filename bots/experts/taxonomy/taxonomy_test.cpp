// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

TEST_CASE("taxonomy: derives the taxonomy from the type", "[experts][taxonomy]") {
  testing::TestBot t("intelmq.bots.experts.taxonomy.expert", {});
  testing::CaptureEmitter out;
  auto ev = t.event();
  ev.add("classification.type", Value::string("phishing"));
  t.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  CHECK(out.sent["_default"][0].get("classification.taxonomy") == Value::string("fraud"));
}

TEST_CASE("taxonomy: neither set gives other/undetermined", "[experts][taxonomy]") {
  testing::TestBot t("experts.taxonomy.expert", {});
  testing::CaptureEmitter out;
  auto ev = t.event();
  ev.add("source.ip", Value::string("192.0.2.1"));
  t.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  const auto& r = out.sent["_default"][0];
  CHECK(r.get("classification.taxonomy") == Value::string("other"));
  CHECK(r.get("classification.type") == Value::string("undetermined"));
}

TEST_CASE("taxonomy: an existing taxonomy is kept", "[experts][taxonomy]") {
  testing::TestBot t("experts.taxonomy.expert", {});
  testing::CaptureEmitter out;
  auto ev = t.event();
  ev.add("classification.taxonomy", Value::string("vulnerable"));
  ev.add("classification.type", Value::string("spam"));
  t.process(ev, out);
  CHECK(out.sent["_default"][0].get("classification.taxonomy") == Value::string("vulnerable"));
}
