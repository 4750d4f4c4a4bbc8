// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.ci_army.parser";
const std::vector<std::pair<std::string, std::string>> kReport = {{"feed.name", "CI Army"}};
}  // namespace

TEST_CASE("ci army: one blacklist event per IP line", "[ci_army][unit]") {
  ParserRun run(kModule, kReport, "# comment\n10.0.0.9\n\n192.168.0.8\n");
  REQUIRE(run.count() == 2);
  CHECK(run.str(0, "source.ip") == "10.0.0.9");
  CHECK(run.str(0, "classification.type") == "blacklist");
  CHECK(run.raw(1) == "192.168.0.8");
}

TEST_CASE("ci army: a bad line fails the report after the lines before it", "[ci_army][unit]") {
  intelflow::api::testing::TestBot bot(kModule, {});
  intelflow::api::testing::CaptureEmitter out;
  auto report = bot.report();
  report.add("raw", intelflow::harm::Value::string("10.0.0.9\nnot an ip\n10.0.0.10\n"));
  CHECK_THROWS(bot.process(report, out));
  CHECK(out.sent["_default"].size() == 1);
}
