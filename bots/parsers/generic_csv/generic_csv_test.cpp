// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "bots/common/csv.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {

const char* kModule = "intelmq.bots.parsers.generic.parser_csv";

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

Value list(std::initializer_list<const char*> items) {
  Value::List l;
  for (const char* s : items) l.push_back(Value::string(s));
  return Value::list(std::move(l));
}

/// Runs the parser on one report with `raw` = text.
struct Run {
  testing::TestBot bot;
  testing::CaptureEmitter out;

  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text)
      : bot(kModule, std::move(params)) {
    auto report = bot.report();
    report.add("feed.name", Value::string("Sample CSV Feed"));
    report.add("feed.url", Value::string("http://www.samplecsvthreatfeed.com/list"));
    report.add("time.observation", Value::string("2015-01-01T00:00:00+00:00"));
    report.add("raw", Value::string(text));
    bot.process(report, out);
  }
  const std::vector<intelflow::harm::Message>& events() { return out.sent["_default"]; }
  std::string raw(std::size_t i) { return b64decode(events().at(i).get("raw").as_string()); }
  std::string str(std::size_t i, const char* key) {
    Value v = events().at(i).get(key);
    return v.is_string() ? v.as_string() : "<" + std::string(key) + " missing>";
  }
};

const std::string kTabInput =
    " # comment with space before\n"
    "\t# comment with tab before\n"
    "   \n"
    " \t  \t\n"
    "# nesmysl\n"
    "2015-12-14 04:19:00\tTesting\tReally bad actor site comment\tNothing\tUnimportant\t"
    "www.cennoworld.com/Payment_Confirmation/Payment_Confirmation.zip\t198.105.221.5\t"
    "mail5.bulls.unisonplatform.com\tjust another comment\n"
    "#dalsi nesmysl\n";

std::vector<std::pair<std::string, Value>> tab_params() {
  return {{"columns", list({"time.source", "__IGNORE__", "event_description.text", "__IGNORE__",
                            "__IGNORE__", "source.url", "source.ip", "source.fqdn", "__IGNORE__"})},
          {"delimiter", Value::string("\t")},
          {"type", Value::string("malware-distribution")}};
}

}  // namespace

TEST_CASE("generic csv: comment and blank lines are skipped, tab delimited row mapped",
          "[parsers][generic_csv]") {
  Run r(tab_params(), kTabInput);
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "time.source") == "2015-12-14T04:19:00+00:00");
  CHECK(r.str(0, "source.url") ==
        "http://www.cennoworld.com/Payment_Confirmation/Payment_Confirmation.zip");
  CHECK(r.str(0, "source.ip") == "198.105.221.5");
  CHECK(r.str(0, "source.fqdn") == "mail5.bulls.unisonplatform.com");
  CHECK(r.str(0, "classification.type") == "malware-distribution");
  CHECK(r.str(0, "feed.name") == "Sample CSV Feed");
  // raw: the row re-serialised with ',' and the detected terminator
  CHECK(r.raw(0) ==
        "2015-12-14 04:19:00,Testing,Really bad actor site comment,Nothing,Unimportant,"
        "www.cennoworld.com/Payment_Confirmation/Payment_Confirmation.zip,198.105.221.5,"
        "mail5.bulls.unisonplatform.com,just another comment\n");
}

TEST_CASE("generic csv: columns as a comma-separated string", "[parsers][generic_csv]") {
  Run r({{"columns", Value::string(" source.ip , , source.fqdn")},
         {"type", Value::string("blacklist")}},
        "192.0.2.1,x,example.com\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK(r.str(0, "source.fqdn") == "example.com");
}

TEST_CASE("generic csv: skip_header keeps the header in raw", "[parsers][generic_csv]") {
  Run r({{"skip_header", Value::boolean(true)},
         {"columns", list({"source.ip", "source.url"})},
         {"default_fields", Value::dict({{"classification.type", Value::string("blacklist")}})}},
        "source_ip,source_url\n11.11.11.11,http://test.com\n5.5.5.5,https://example.com\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.raw(0) == "source_ip,source_url\n11.11.11.11,http://test.com\n");
  CHECK(r.raw(1) == "source_ip,source_url\n5.5.5.5,https://example.com\n");
  CHECK(r.str(1, "classification.type") == "blacklist");
}

TEST_CASE("generic csv: skip_header as a number of lines", "[parsers][generic_csv]") {
  Run r({{"skip_header", Value::integer(2)},
         {"columns", list({"source.ip"})},
         {"type", Value::string("blacklist")}},
        "another line\nsource_ip\n11.11.11.11\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.raw(0) == "another line\nsource_ip\n11.11.11.11\n");
}

TEST_CASE("generic csv: mixed line endings fall back to CRLF, data_type json",
          "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip", "source.url", "extra.tags"})},
         {"skip_header", Value::boolean(true)},
         {"type", Value::string("infected-system")},
         {"data_type", Value::string("{\"extra.tags\":\"json\"}")}},
        "source_ip,source_url,tags\n11.11.11.11,http://test.com,\"[\"\"t1\"\",\"\"t2\"\"]\"\r\n"
        "11.11.11.11,http://test.com,\"[\"\"t1\"\"]\"");
  REQUIRE(r.events().size() == 2);
  CHECK(r.raw(0) ==
        "source_ip,source_url,tags\r\n11.11.11.11,http://test.com,\"[\"\"t1\"\",\"\"t2\"\"]\"\r\n");
  CHECK(r.raw(1) ==
        "source_ip,source_url,tags\r\n11.11.11.11,http://test.com,\"[\"\"t1\"\"]\"\r\n");
  CHECK(r.events()[0].get("extra.tags") == list({"t1", "t2"}));
}

TEST_CASE("generic csv: type_translation as object or JSON string", "[parsers][generic_csv]") {
  for (Value tt : {Value::string("{\"Testing\": \"malware-distribution\"}"),
                   Value::dict({{"Testing", Value::string("malware-distribution")}})}) {
    Run r({{"columns", list({"classification.type", "source.ip"})}, {"type_translation", tt}},
          "Testing,192.0.2.1\n");
    REQUIRE(r.events().size() == 1);
    CHECK(r.str(0, "classification.type") == "malware-distribution");
  }
}

TEST_CASE("generic csv: untranslated type without `type` tries the next alternative",
          "[parsers][generic_csv]") {
  Run r({{"columns", list({"classification.type|event_description.text", "source.ip"})},
         {"type_translation", Value::dict({{"A", Value::string("scanner")}})}},
        "Unknown,192.0.2.1\nA,192.0.2.2\n");
  REQUIRE(r.events().size() == 2);
  CHECK_FALSE(r.events()[0].contains("classification.type"));
  CHECK(r.str(0, "event_description.text") == "Unknown");
  CHECK(r.str(1, "classification.type") == "scanner");
}

TEST_CASE("generic csv: alternatives fall through invalid values", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip|source.fqdn"})}, {"type", Value::string("blacklist")}},
        "192.0.2.1\nexample.com\n");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK(r.str(1, "source.fqdn") == "example.com");
}

TEST_CASE("generic csv: invalid required value fails the row, optional is skipped",
          "[parsers][generic_csv]") {
  const std::string input =
      "01/Aug/2018:09:49:41 +0200,127.0.0.1,-\n"
      "01/Aug/2018:09:49:41 +0200,-,example.com\n"
      "01/Aug/2018:09:49:41 +0200,127.0.0.1,.\n";
  auto params = [](bool optional_fqdn) {
    std::vector<std::pair<std::string, Value>> p = {
        {"columns", list({"time.source", "source.ip", "source.fqdn"})},
        {"type", Value::string("malware-distribution")}};
    if (optional_fqdn)
      p.emplace_back("columns_required", Value::list({Value::boolean(true), Value::boolean(true),
                                                      Value::boolean(false)}));
    return p;
  };
  {
    Run r(params(false), input);
    REQUIRE(r.events().size() == 2);
    CHECK(r.str(0, "time.source") == "2018-08-01T07:49:41+00:00");
    CHECK_FALSE(r.events()[0].contains("source.fqdn"));
    CHECK_FALSE(r.events()[1].contains("source.ip"));
    REQUIRE(r.out.dumped.size() == 1);
    CHECK(b64decode(r.out.dumped[0].first.get("raw").as_string()) ==
          "01/Aug/2018:09:49:41 +0200,127.0.0.1,.\n");
    CHECK(r.out.dumped[0].second.find("source.fqdn") != std::string::npos);
  }
  {
    Run r(params(true), input);
    CHECK(r.events().size() == 3);
    CHECK(r.out.dumped.empty());
  }
}

TEST_CASE("generic csv: compose_fields uses positional row values", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.fqdn", "source.urlpath"})},
         {"type", Value::string("malware-distribution")},
         {"compose_fields", Value::dict({{"source.url", Value::string("http://{0}{1}")}})}},
        "# Host,Path\nexample.com,/foo/\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.url") == "http://example.com/foo/");
  CHECK(r.raw(0) == "example.com,/foo/\n");
}

TEST_CASE("generic csv: compose_fields index out of range fails the row",
          "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.fqdn"})},
         {"type", Value::string("malware-distribution")},
         {"compose_fields", Value::dict({{"source.url", Value::string("http://{0}{3}")}})}},
        "example.com\n");
  CHECK(r.events().empty());
  CHECK(r.out.dumped.size() == 1);
}

TEST_CASE("generic csv: blacklist and whitelist filters", "[parsers][generic_csv]") {
  const std::string input = "ipset add testIP 127.0.0.1\nipset add testIP 10.1.1.1\n";
  auto params = [](const char* type) {
    return std::vector<std::pair<std::string, Value>>{
        {"columns", list({"__IGNORE__", "__IGNORE__", "__IGNORE__", "source.ip"})},
        {"delimiter", Value::string(" ")},
        {"type", Value::string("blacklist")},
        {"filter_text", Value::string("127.0.0.1")},
        {"filter_type", Value::string(type)}};
  };
  {
    Run r(params("blacklist"), input);
    REQUIRE(r.events().size() == 1);
    CHECK(r.str(0, "source.ip") == "10.1.1.1");
    CHECK(r.raw(0) == "ipset,add,testIP,10.1.1.1\n");
  }
  {
    Run r(params("whitelist"), input);
    REQUIRE(r.events().size() == 1);
    CHECK(r.str(0, "source.ip") == "127.0.0.1");
  }
}

TEST_CASE("generic csv: column_regex_search keeps the first match", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip", "source.fqdn"})},
         {"type", Value::string("blacklist")},
         {"columns_required", Value::list({Value::boolean(true), Value::boolean(false)})},
         {"column_regex_search", Value::dict({{"source.ip", Value::string(R"(\d+\.\d+\.\d+\.\d+)")},
                                              {"source.fqdn", Value::string("^[a-z.]+$")}})}},
        "ip=192.0.2.7 port 80,Not A Domain!\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.ip") == "192.0.2.7");
  CHECK_FALSE(r.events()[0].contains("source.fqdn"));
}

TEST_CASE("generic csv: time_format timestamp", "[parsers][generic_csv]") {
  Run r({{"columns", list({"time.source", "source.ip"})},
         {"type", Value::string("blacklist")},
         {"time_format", Value::string("timestamp")}},
        "1441008970,192.0.2.1\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "time.source") == "2015-08-31T08:16:10+00:00");
}

TEST_CASE("generic csv: quoted fields with delimiters and newlines", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip", "event_description.text"})},
         {"type", Value::string("blacklist")}},
        "192.0.2.1,\"two\nlines, and a comma\"\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "event_description.text") == "two\nlines, and a comma");
  CHECK(r.raw(0) == "192.0.2.1,\"two\nlines, and a comma\"\n");
}

TEST_CASE("generic csv: NUL characters are removed", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip"})}, {"type", Value::string("blacklist")}},
        std::string("192.0.2.1\0\n", 11));
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
}

TEST_CASE("generic csv: a duplicate field fails the row", "[parsers][generic_csv]") {
  Run r({{"columns", list({"source.ip", "source.ip"})}, {"type", Value::string("blacklist")}},
        "192.0.2.1,192.0.2.2\n");
  CHECK(r.events().empty());
  CHECK(r.out.dumped.size() == 1);
}

TEST_CASE("generic csv: bad parameters are refused at start", "[parsers][generic_csv]") {
  CHECK_THROWS_AS(testing::TestBot(kModule, {}), ConfigError);
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"columns", list({"source.ip", "source.fqdn"})},
                                 {"columns_required", Value::list({Value::boolean(true)})}}),
      ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"columns", list({"source.ip"})},
                                             {"filter_type", Value::string("greylist")}}),
                  ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"columns", list({"source.ip"})},
                                             {"time_format", Value::string("nonsense")}}),
                  ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"columns", list({"source.ip"})},
                                             {"delimiter", Value::string(";;")}}),
                  ConfigError);
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"columns", list({"source.ip"})},
                                 {"column_regex_search",
                                  Value::dict({{"source.ip", Value::string("(unclosed")}})}}),
      ConfigError);
}

TEST_CASE("generic csv: leading spaces/tabs of every line are removed (reference quirk)",
          "[parsers][generic_csv]") {
  // the leading tab is removed, so the empty first column disappears
  Run r({{"columns", list({"source.ip", "source.fqdn"})},
         {"delimiter", Value::string("\t")},
         {"columns_required", Value::list({Value::boolean(true), Value::boolean(false)})},
         {"type", Value::string("blacklist")}},
        "\t192.0.2.1\texample.com\r\n   \r\n  # comment\r\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK(r.str(0, "source.fqdn") == "example.com");
  CHECK(r.raw(0) == "192.0.2.1,example.com\r\n");
}

TEST_CASE("generic csv: raw is the csv.writer form of each row (random rows, quotes, blanks)",
          "[parsers][generic_csv]") {
  std::mt19937 rng(7);
  for (const char* delim : {",", ";"}) {
    for (int round = 0; round < 200; ++round) {
      const char* lt = round % 3 == 0 ? "\r\n" : "\n";
      std::string text = "h1,h2" + std::string(lt);
      const int lines = 1 + static_cast<int>(rng() % 8);
      for (int l = 0; l < lines; ++l) {
        std::string line = "a";  // never starts with a blank or '#'
        const std::size_t len = rng() % 12;
        for (std::size_t i = 0; i < len; ++i) {
          const unsigned r = rng() % 10;
          line += r < 4 ? 'a' : r < 6 ? delim[0] : r < 8 ? ',' : r < 9 ? '"' : ' ';
        }
        text += line + lt;
      }
      Run r({{"skip_header", Value::boolean(true)},
             {"delimiter", Value::string(delim)},
             {"columns", list({"__IGNORE__", "__IGNORE__"})}},
            text);
      // what the reference does: rows of the body, each written by csv.writer(',')
      const std::string body = text.substr(text.find(lt) + std::strlen(lt));
      std::vector<std::string> expected;
      intelflow::bots::csv::Reader reader(body, {.delimiter = delim});
      intelflow::bots::csv::Row row;
      while (reader.next(row)) {
        if (row.empty()) continue;
        std::string raw = "h1,h2" + std::string(lt);
        intelflow::bots::csv::write_row(raw, row, {.lineterminator = lt});
        expected.push_back(raw);
      }
      INFO(text);
      REQUIRE(r.events().size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) REQUIRE(r.raw(i) == expected[i]);
    }
  }
}
