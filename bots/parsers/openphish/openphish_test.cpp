// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.openphish.parser";
}  // namespace

namespace {

using intelflow::bots::ptest::ParserRun;

/// One run of the parser on one report (feed.name "Test Feed", then `fields`)
/// with `raw` = text: the common ParserRun with this file's argument order.
struct Run : ParserRun {
  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text,
      std::vector<std::pair<std::string, std::string>> fields = {})
      : ParserRun(kModule, with_feed_name(std::move(fields)), text, std::move(params)) {}

  static std::vector<std::pair<std::string, std::string>> with_feed_name(
      std::vector<std::pair<std::string, std::string>> fields) {
    fields.insert(fields.begin(), {"feed.name", "Test Feed"});
    return fields;
  }
};

}  // namespace

TEST_CASE("openphish: every non-empty line is a phishing URL", "[parsers][unit]") {
  Run r({{"default_fields", Value::dict({{"tlp", Value::string("GREEN")}})}},
        "http://a.example/x\n\n  https://b.example/y  \r\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "source.url") == "http://a.example/x");
  CHECK(r.str(1, "source.url") == "https://b.example/y");
  CHECK(r.str(1, "classification.type") == "phishing");
  CHECK(r.raw(1) == "https://b.example/y");
  CHECK(r.str(0, "feed.name") == "Test Feed");
  CHECK_FALSE(r.events()[0].contains("tlp"));  // a whole-report parser: no default_fields
}

TEST_CASE("openphish: an invalid URL fails the report after the earlier lines", "[parsers][unit]") {
  testing::TestBot bot(kModule, {});
  testing::CaptureEmitter out;
  Message report = bot.report();
  report.add("raw", Value::string("http://a.example/x\nnot a url\n"));
  CHECK_THROWS(bot.process(report, out));
  CHECK(out.sent["_default"].size() == 1);
}
