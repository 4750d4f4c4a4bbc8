// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.vxvault.parser";
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

TEST_CASE("vxvault: URLs after the header, time from the third line", "[parsers][unit]") {
  Run r({},
        "<pre>\nVX Vault last 100 Links\nMon, 17 Aug 2015 14:36:19 +0000\n\n"
        "http://example.com/bad/program.exe\nhttp://192.0.2.1:8080/a.exe\nftp://x/y\n"
        "http://Example.NET:/p;\n");
  REQUIRE(r.events().size() == 3);
  CHECK(r.str(0, "source.fqdn") == "example.com");
  CHECK(r.str(0, "source.url") == "http://example.com/bad/program.exe");
  CHECK(r.str(0, "time.source") == "2015-08-17T14:36:19+00:00");
  CHECK(r.str(0, "classification.type") == "malware-distribution");
  CHECK(r.raw(0) == "http://example.com/bad/program.exe");
  CHECK(r.str(1, "source.ip") == "192.0.2.1");
  CHECK(r.get(1, "source.port").as_int() == 8080);
  CHECK(r.str(2, "source.fqdn") == "example.net");           // urlparse's hostname is lowercased
  CHECK(r.str(2, "source.url") == "http://Example.NET:/p");  // geturl() drops an empty ;params
}

TEST_CASE("vxvault: a bad port fails its line only", "[parsers][unit]") {
  Run r({},
        "<pre>\nVX\nMon, 17 Aug 2015 14:36:19 +0000\n\nhttp://a.example:99999/x\n"
        "http://b.example/y\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.fqdn") == "b.example");
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "<pre>\nVX\nMon, 17 Aug 2015 14:36:19 +0000\nhttp://a.example:99999/x");
}
