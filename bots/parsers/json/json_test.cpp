// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.json.parser";
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

TEST_CASE("json: the whole report is one message merged over the report's fields",
          "[parsers][unit]") {
  Run r({},
        R"({"feed.name": "Other", "source.ip": "192.0.2.1", "classification.type": "unknown"})");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "feed.name") == "Other");
  CHECK(r.str(0, "classification.type") == "undetermined");
  CHECK(r.raw(0) ==
        R"({"feed.name": "Other", "source.ip": "192.0.2.1", "classification.type": "unknown"})");
}

TEST_CASE("json: splitlines and a raw field kept", "[parsers][unit]") {
  Run r({{"splitlines", Value::boolean(true)}},
        "{\"__type\": \"Event\", \"source.ip\": \"192.0.2.1\"}\n"
        "{\"source.ip\": \"192.0.2.2\", \"raw\": \"Zm9v\"}\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.raw(0) == "{\"__type\": \"Event\", \"source.ip\": \"192.0.2.1\"}");
  CHECK(r.raw(1) == "foo");
  CHECK(r.str(1, "feed.name") == "Test Feed");
}

TEST_CASE("json: multiple_events reads a list of flat objects", "[parsers][unit]") {
  Run r(
      {{"multiple_events", Value::boolean(true)}},
      R"([{"source.ip": "192.0.2.1", "classification.type": "unknown"}, {"source.ip": "192.0.2.2"}])");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "classification.type") == "undetermined");
  CHECK(r.raw(0) == R"({"classification.type": "unknown", "source.ip": "192.0.2.1"})");
}

TEST_CASE("json: an invalid message fails the report", "[parsers][unit]") {
  testing::TestBot bot(kModule, {});
  testing::CaptureEmitter out;
  Message report = bot.report();
  report.add("raw", Value::string(R"({"source.ip": "not an ip"})"));
  CHECK_THROWS(bot.process(report, out));
  CHECK(out.sent["_default"].empty());
}
