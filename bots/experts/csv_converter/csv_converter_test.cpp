// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
Value output_of(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, std::move(v));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0].get("output");
}
}  // namespace

TEST_CASE("csv_converter: one CSV line, absent fields empty, stored as JSON text",
          "[experts][csv_converter]") {
  testing::TestBot bot("experts.csv_converter.expert",
                       {{"fieldnames", Value::string("source.ip,source.port,comment,source.asn")}});
  // `output` is a JSON field: the line is stored JSON-encoded.
  CHECK(output_of(bot, {{"source.ip", Value::string("192.0.2.1")},
                        {"comment", Value::string("a,b \"c\"")},
                        {"source.asn", Value::integer(64500)}}) ==
        Value::string(R"("192.0.2.1,,\"a,b \"\"c\"\"\",64500")"));
}

TEST_CASE("csv_converter: delimiter and trailing whitespace", "[experts][csv_converter]") {
  testing::TestBot bot(
      "experts.csv_converter.expert",
      {{"fieldnames", Value::string("feed.name,comment")}, {"delimiter", Value::string(";")}});
  CHECK(output_of(bot, {{"feed.name", Value::string("x;y")},
                        {"comment", Value::string("end  ")}}) == Value::string(R"("\"x;y\";end")"));
  CHECK_THROWS_AS(
      testing::TestBot("experts.csv_converter.expert", {{"delimiter", Value::string(";;")}}),
      ConfigError);
}
