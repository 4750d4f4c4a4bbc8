// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.key_value.parser";
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

namespace {
Value keys() {
  return Value::dict({{"srcip", Value::string("source.ip")},
                      {"ts", Value::string("time.source")},
                      {"msg", Value::string("comment")}});
}
}  // namespace

TEST_CASE("key_value: maps keys, strips quotes, reads epoch and fuzzy times", "[parsers][unit]") {
  Run r({{"keys", keys()}},
        "date=x srcip=192.0.2.1 ts=1234567890 msg=\"hi\"\n"
        "srcip=192.0.2.2 ts=\"2020-09-11T10:40:18\" other=1\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK(r.str(0, "time.source") == "2009-02-13T23:31:30+00:00");
  CHECK(r.str(0, "comment") == "hi");
  CHECK(r.raw(0) == "date=x srcip=192.0.2.1 ts=1234567890 msg=\"hi\"");
  CHECK(r.str(1, "time.source") == "2020-09-11T10:40:18+00:00");
}

TEST_CASE("key_value: separators, kept quotes, invalid values skipped", "[parsers][unit]") {
  Run r({{"keys", keys()},
         {"pair_separator", Value::string(";")},
         {"kv_separator", Value::string(":")},
         {"strip_quotes", Value::boolean(false)}},
        "srcip:not-an-ip;msg:\"q\";ts:not a time\n");
  REQUIRE(r.events().size() == 1);
  CHECK_FALSE(r.events()[0].contains("source.ip"));
  CHECK_FALSE(r.events()[0].contains("time.source"));
  CHECK(r.str(0, "comment") == "\"q\"");
}

TEST_CASE("key_value: a repeated key fails its line only", "[parsers][unit]") {
  Run r({{"keys", keys()}}, "msg=a msg=b\nmsg=c\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "comment") == "c");
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "msg=a msg=b");
}

TEST_CASE("key_value: keys are required", "[parsers][unit]") {
  CHECK_THROWS_AS(testing::TestBot(kModule, {}), ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"keys", Value::dict({})}}), ConfigError);
}
