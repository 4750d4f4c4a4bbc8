// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "bots/parsers/shadowserver/schema.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;
namespace ss = intelflow::bots::shadowserver;

namespace {

const char* kModule = "intelmq.bots.parsers.shadowserver.parser";

std::string b64decode(const std::string& in) {
  static const std::string kAlpha =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    auto p = kAlpha.find(c);
    if (p == std::string::npos) continue;
    acc = (acc << 6) | static_cast<std::uint32_t>(p);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

/// A schema file in a scratch directory.
/// A schema file in a directory of its own (tests run in parallel, also from
/// other build directories: a shared path would be removed under another test).
struct SchemaFile {
  std::filesystem::path dir, path;
  explicit SchemaFile(const std::string& json, const std::string& name = "schema.json") {
    std::string tmpl = (std::filesystem::temp_directory_path() / "intelflow-shadowserver-XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    path = dir / name;
    write(json);
  }
  void write(const std::string& json) const { std::ofstream(path) << json; }
  ~SchemaFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

const std::string kSchema = R"({
  "_meta": {"date_created": "2024-01-01T00:00:00Z", "change_log": []},
  "scan_http": {
    "feed_name": "Accessible-HTTP", "file_name": "scan_http",
    "url": "https://www.shadowserver.org/what-we-do/network-reporting/accessible-http-report/",
    "required_fields": [["time.source", "timestamp", "add_UTC_to_timestamp"],
                        ["source.ip", "ip", "validate_ip"], ["source.port", "port", "convert_int"]],
    "optional_fields": [["source.reverse_dns", "hostname"], ["source.asn", "asn", "invalidate_zero"],
                        ["extra.", "http_code", "convert_int"], ["extra.", "tag", "validate_to_none"],
                        ["extra.response", "response", "force_base64"], [false, "sic"],
                        ["destination.url", "url", "convert_http_host_and_url", true],
                        ["extra.", "secure", "convert_bool"], ["not_a_field", "weird"]],
    "constant_fields": {"classification.taxonomy": "vulnerable",
                        "classification.type": "vulnerable-system",
                        "classification.identifier": "accessible-http"}
  }
})";

/// One run of the parser on one report.
struct Run {
  testing::TestBot bot;
  testing::CaptureEmitter out{{"_default", "_on_error"}};

  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text,
      std::vector<std::pair<std::string, std::string>> fields =
          {{"extra.file_name", "2019-01-01-scan_http-country-geo.csv"}})
      : bot(kModule, std::move(params)) {
    process(text, fields);
  }
  void process(const std::string& text, const std::vector<std::pair<std::string, std::string>>& f) {
    Message report = bot.report();
    report.add("time.observation", Value::string("2020-01-01T00:00:00+00:00"));
    for (const auto& [k, v] : f) report.add(k, Value::string(v));
    report.add("raw", Value::string(text));
    bot.process(report, out);
  }
  const std::vector<Message>& events() { return out.sent["_default"]; }
  Value get(std::size_t i, const char* key) { return events().at(i).get(key); }
  std::string raw(std::size_t i) { return b64decode(events().at(i).get("raw").as_string()); }
};

}  // namespace

TEST_CASE("shadowserver: maps a report by its file name through the schema", "[parsers][unit]") {
  SchemaFile sf(kSchema);
  Run r({{"schema_file", Value::string(sf.path.string())}},
        "\"timestamp\",\"ip\",\"port\",\"hostname\",\"asn\",\"tag\",\"sic\",\"extra_col\"\n"
        "\"2019-09-04 12:27:34\",198.51.100.7,8080,host.example.com,64512,,0,something\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "feed.name").as_string() == "Accessible-HTTP");
  CHECK(r.get(0, "feed.documentation").as_string().starts_with("https://www.shadowserver.org/"));
  CHECK(r.get(0, "time.source").as_string() == "2019-09-04T12:27:34+00:00");
  CHECK(r.get(0, "source.ip").as_string() == "198.51.100.7");
  CHECK(r.get(0, "source.port").as_int() == 8080);
  CHECK(r.get(0, "source.asn").as_int() == 64512);
  CHECK(r.get(0, "classification.identifier").as_string() == "accessible-http");
  // a column that no mapping consumed lands in extra; an ignored column does not
  CHECK(r.get(0, "extra.extra_col").as_string() == "something");
  CHECK_FALSE(r.events()[0].contains("extra.sic"));
  CHECK_FALSE(r.events()[0].contains("extra.tag"));  // validate_to_none("") → None, consumed
  // raw: header with every field quoted + the original data line
  CHECK(r.raw(0) ==
        "\"timestamp\",\"ip\",\"port\",\"hostname\",\"asn\",\"tag\",\"sic\",\"extra_col\"\n"
        "\"2019-09-04 12:27:34\",198.51.100.7,8080,host.example.com,64512,,0,something");
}

TEST_CASE("shadowserver: conversions and extra targets", "[parsers][unit]") {
  SchemaFile sf(kSchema);
  Run r({{"schema_file", Value::string(sf.path.string())}},
        "timestamp,ip,port,http_code,response,http_host,url,secure,weird,asn\n"
        "2019-09-04 12:27:34,198.51.100.7,80,200,plain text,www.example.com,GET /x/y HTTP/1.1,"
        "YES,w,0\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "extra.http_code").as_int() == 200);
  CHECK(r.get(0, "extra.response").as_string() == "cGxhaW4gdGV4dA==");  // force_base64
  CHECK(r.get(0, "destination.url").as_string() == "http://www.example.com/x/y");
  CHECK(r.get(0, "extra.secure").as_bool() == true);
  CHECK(r.get(0, "extra.not_a_field").as_string() == "w");  // unknown key → extra
  CHECK_FALSE(r.events()[0].contains("source.asn"));        // invalidate_zero
  // columns without a mapping go to extra as text (empty ones are dropped)
  CHECK(r.get(0, "extra.http_host").as_string() == "www.example.com");
}

TEST_CASE("shadowserver: an invalid optional value stays in extra", "[parsers][unit]") {
  SchemaFile sf(kSchema);
  Run r({{"schema_file", Value::string(sf.path.string())}},
        "timestamp,ip,port,hostname\n2019-09-04 12:27:34,198.51.100.7,80,192.0.2.1\n");
  REQUIRE(r.events().size() == 1);
  CHECK_FALSE(r.events()[0].contains("source.reverse_dns"));
  CHECK(r.get(0, "extra.hostname").as_string() == "192.0.2.1");  // an IP is no FQDN
}

TEST_CASE("shadowserver: a bad row is dumped, the others go on", "[parsers][unit]") {
  SchemaFile sf(kSchema);
  Run r({{"schema_file", Value::string(sf.path.string())}},
        "timestamp,ip,port\n2019-09-04 12:27:34,198.51.100.7,eighty\n"
        "2019-09-04 12:27:35,198.51.100.8,81\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "source.port").as_int() == 81);
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(b64decode(r.out.dumped[0].first.get("raw").as_string()) ==
        "\"timestamp\",\"ip\",\"port\"\n2019-09-04 12:27:34,198.51.100.7,eighty");
}

TEST_CASE("shadowserver: a missing required column fails every row", "[parsers][unit]") {
  Run r({{"test_mode", Value::boolean(true)}}, "adasd\nqwe\nrty\n",
        {{"extra.file_name", "2019-01-01-test_smb-test-test.csv"}});
  CHECK(r.events().empty());
  CHECK(r.out.dumped.size() == 2);
}

TEST_CASE("shadowserver: report detection errors fail the whole report", "[parsers][unit]") {
  testing::TestBot bot(kModule, {{"test_mode", Value::boolean(true)}});
  testing::CaptureEmitter out;
  auto report_with = [&](std::vector<std::pair<std::string, std::string>> f) {
    Message report = bot.report();
    for (const auto& [k, v] : f) report.add(k, Value::string(v));
    report.add("raw", Value::string("a,b\n1,2\n"));
    return report;
  };
  Message no_name = report_with({});
  CHECK_THROWS_WITH(bot.process(no_name, out), Catch::Contains("no 'extra.file_name'"));
  Message bad_name = report_with({{"extra.file_name", "2020.wrong-filename.csv"}});
  CHECK_THROWS_WITH(bot.process(bad_name, out), Catch::Contains("is not valid"));
  Message unknown = report_with({{"extra.file_name", "2020-01-01-scan_nothing.csv"}});
  CHECK_THROWS_WITH(bot.process(unknown, out), Catch::Contains("scan_nothing"));
}

TEST_CASE("shadowserver: feedname fixes the report, overwrite replaces feed.name",
          "[parsers][unit]") {
  const std::string text = "timestamp,ip,port\n2010-02-10 00:00:00,192.0.2.1,445\n";
  Run keep(
      {{"test_mode", Value::boolean(true)}, {"feedname", Value::string("Test-Accessible-SMB")}},
      text, {{"feed.name", "mine"}});
  REQUIRE(keep.events().size() == 1);
  CHECK(keep.get(0, "feed.name").as_string() == "mine");
  CHECK(keep.get(0, "protocol.application").as_string() == "smb");
  Run over({{"test_mode", Value::boolean(true)}, {"overwrite", Value::boolean(true)}}, text,
           {{"feed.name", "mine"}, {"extra.file_name", "test_smb.csv"}});
  REQUIRE(over.events().size() == 1);
  CHECK(over.get(0, "feed.name").as_string() == "Test-Accessible-SMB");
}

TEST_CASE("shadowserver: missing schema file refuses to start", "[parsers][unit]") {
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"schema_file", Value::string("/nonexistent/schema.json")}}),
      ConfigError);
  SchemaFile bad("{\"r\": {\"feed_name\": \"x\"}}", "bad.json");
  CHECK_THROWS_WITH(testing::TestBot(kModule, {{"schema_file", Value::string(bad.path.string())}}),
                    Catch::Contains("file_name"));
}

TEST_CASE("shadowserver: the schema is reloaded when the file changes", "[parsers][unit]") {
  SchemaFile sf(kSchema);
  Run r({{"schema_file", Value::string(sf.path.string())}}, "timestamp,ip,port\n");
  std::string changed = kSchema;
  changed.replace(changed.find("Accessible-HTTP"), 15, "Renamed-HTTP");
  sf.write(changed);
  std::filesystem::last_write_time(
      sf.path, std::filesystem::last_write_time(sf.path) + std::chrono::seconds(2));
  r.process("timestamp,ip,port\n2019-09-04 12:27:34,198.51.100.7,80\n",
            {{"extra.file_name", "scan_http.csv"}});
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "feed.name").as_string() == "Renamed-HTTP");
}

TEST_CASE("shadowserver schema: conversion names and cve tags", "[parsers][unit]") {
  CHECK(ss::conv_from_name("convert_bool") == ss::Conv::Bool);
  CHECK_FALSE(ss::conv_from_name("no_such_function").has_value());
  CHECK(ss::is_cve_tag("cve-2021-26855"));
  CHECK_FALSE(ss::is_cve_tag("cve-2021"));
  CHECK_FALSE(ss::is_cve_tag("exchange"));
  const ss::Schema s = ss::Schema::parse(
      R"({"a": {"feed_name": "A", "file_name": "a", "optional_fields": [["x", "y", "mystery"]]}})",
      "test");
  CHECK(s.unknown_conversions() == std::vector<std::string>{"mystery"});
  CHECK(s.by_file_name("a")->optional[0].conv == ss::Conv::Unknown);
}
