// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.turris.parser";
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

TEST_CASE("turris: one event per known tag", "[parsers][unit]") {
  Run r({}, "# comment\nAddress,Tags\n192.0.2.1,\"ftp,haas,port_scan,smtp\"\n192.0.2.2,haas\n");
  REQUIRE(r.events().size() == 3);
  CHECK(r.str(0, "protocol.application") == "ftp");
  CHECK(r.get(0, "destination.port").as_int() == 21);
  CHECK(r.str(0, "classification.type") == "brute-force");
  CHECK(r.str(1, "classification.type") == "scanner");
  CHECK_FALSE(r.events()[1].contains("protocol.transport"));
  CHECK(r.str(2, "protocol.application") == "smtp");
  CHECK_FALSE(r.events()[2].contains("destination.port"));
  CHECK(r.str(2, "source.ip") == "192.0.2.1");
  CHECK(r.raw(0) == "Address,Tags\n192.0.2.1,\"ftp,haas,port_scan,smtp\"");
}

TEST_CASE("turris: a bad address is dumped, the rest goes on", "[parsers][unit]") {
  Run r({{"default_fields", Value::dict({{"tlp", Value::string("WHITE")}})}},
        "Address,Tags\r\nnot-an-ip,http\r\n192.0.2.3,telnet\r\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "destination.port").as_int() == 23);
  CHECK(r.str(0, "tlp") == "WHITE");  // generic parser loop: default_fields apply
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "Address,Tags\r\nnot-an-ip,http");
}
