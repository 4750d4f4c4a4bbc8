// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/parsers/html_table/html_tree.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;
namespace html = intelflow::bots::html;

namespace {
const char* kModule = "intelmq.bots.parsers.html_table.parser";
}  // namespace

namespace {

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

/// One run of the parser on one report with `raw` = text.
struct Run {
  testing::TestBot bot;
  testing::CaptureEmitter out{{"_default", "_on_error"}};

  Run(std::vector<std::pair<std::string, Value>> params, const std::string& text,
      std::vector<std::pair<std::string, std::string>> fields = {})
      : bot(kModule, std::move(params)) {
    Message report = bot.report();
    report.add("feed.name", Value::string("Test Feed"));
    for (const auto& [k, v] : fields) report.add(k, Value::string(v));
    report.add("raw", Value::string(text));
    bot.process(report, out);
  }
  const std::vector<Message>& events() { return out.sent["_default"]; }
  Value get(std::size_t i, const char* key) { return events().at(i).get(key); }
  std::string str(std::size_t i, const char* key) {
    const Value v = get(i, key);
    return v.is_string() ? v.as_string() : "<" + std::string(key) + " missing>";
  }
  std::string raw(std::size_t i) { return b64decode(events().at(i).get("raw").as_string()); }
  std::string dumped_raw(std::size_t i) {
    return b64decode(out.dumped.at(i).first.get("raw").as_string());
  }
};

}  // namespace

namespace {
Value list(std::initializer_list<const char*> items) {
  Value::List l;
  for (const char* s : items) l.push_back(Value::string(s));
  return Value::list(std::move(l));
}

std::string rows_of(const std::string& doc) {
  html::Document d(doc);
  std::string out;
  for (const auto* tr : html::find_all(d.root(), "tr")) out += html::serialize(*tr) + "|";
  return out;
}
}  // namespace

TEST_CASE("html tree: serialises like BeautifulSoup", "[parsers][unit]") {
  // attributes sorted and double-quoted, void elements closed, whitespace collapsed
  CHECK(rows_of("<TABLE><TR class=b id='x'>\n   <TD>a&amp;b &lt; &nbsp;<IMG SRC=p ALT=q></TD>"
                "\n </TR></TABLE>") ==
        "<tr class=\"b\" id=\"x\">\n<td>a&amp;b &lt; \xc2\xa0<img alt=\"q\" "
        "src=\"p\"/></td>\n</tr>|");
  // class-like attributes are token lists; quotes chosen around the value
  CHECK(rows_of("<tr class=' a   b '><td title='say \"hi\"' data-x=\"it's\">x</td></tr>") ==
        "<tr class=\"a b\"><td data-x=\"it's\" title='say \"hi\"'>x</td></tr>|");
  // no implicit closing: a row inside a cell stays nested
  CHECK(rows_of("<tr><td>a<tr><td>b</td></tr></td></tr>") ==
        "<tr><td>a<tr><td>b</td></tr></td></tr>|<tr><td>b</td></tr>|");
  // comments, script content and whitespace inside <pre> are kept
  CHECK(rows_of("<tr><td><!-- c --><script>a<b</script><pre>  \n </pre></td></tr>") ==
        "<tr><td><!-- c --><script>a<b</script><pre>  \n </pre></td></tr>|");
}

TEST_CASE("html tree: character references", "[parsers][unit]") {
  html::Document d("<td title='&notit;&amp'>&copy &notit; &#150; &#x41;&bogus;</td>");
  const auto tds = html::find_all(d.root(), "td");
  REQUIRE(tds.size() == 1);
  // text: BeautifulSoup's entity handling (whole names only; an unknown one loses its ';')
  CHECK(html::get_text(*tds[0]) == "\xc2\xa9 &notit \xe2\x80\x93 A&bogus");
  // attributes: html.unescape (longest known prefix)
  CHECK(tds[0]->attr("title")->value == "\xc2\xacit;&");
  CHECK(html::unescape("&lt;&#0;&#x80;&unknown;") == "<\xef\xbf\xbd\xe2\x82\xac&unknown;");
}

TEST_CASE("html tree: text skips comments and script", "[parsers][unit]") {
  html::Document d("<td> a <!--b--><script>c</script><b>d</b> </td>");
  CHECK(html::get_text(*html::find_all(d.root(), "td")[0]) == " a d ");
}

TEST_CASE("html_table: columns, alternatives, ignore values and type", "[parsers][unit]") {
  Run r({{"columns", list({"time.source", "source.ip|source.url", "__IGNORE__", "extra.sbl"})},
         {"ignore_values", Value::string(",,,Not listed")},
         {"default_fields", Value::dict({{"tlp", Value::string("RED")}})}},
        "<table><tr><th>h</th></tr>"
        "<tr><td>2019-02-06 10:36:27</td><td>192.0.2.1</td><td>z</td><td>Not listed</td></tr>"
        "<tr><td>Feb 6 2019 10:36:27</td><td>bad.example/x</td><td></td><td>SBL1</td></tr>"
        "<tr><td></td><td></td></tr></table>");
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "time.source") == "2019-02-06T10:36:27+00:00");
  CHECK(r.str(0, "source.ip") == "192.0.2.1");
  CHECK_FALSE(r.events()[0].contains("extra.sbl"));
  CHECK(r.str(0, "classification.type") == "c2-server");
  CHECK_FALSE(r.events()[0].contains("tlp"));  // whole-report parser: no default_fields
  CHECK(r.raw(0) ==
        "<tr><td>2019-02-06 10:36:27</td><td>192.0.2.1</td><td>z</td><td>Not listed</td></tr>");
  CHECK(r.str(1, "time.source") == "2019-02-06T10:36:27+00:00");
  CHECK(r.str(1, "source.url") == "http://bad.example/x");
  CHECK(r.str(1, "extra.sbl") == "SBL1");
}

TEST_CASE("html_table: numeric time cells are converted as integers", "[parsers][unit]") {
  Run r({{"columns", list({"time.source"})},
         {"time_format", Value::string("timestamp")},
         {"skip_table_head", Value::boolean(false)}},
        "<table><tr><td> 1549449387 </td></tr></table>");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "time.source") == "2019-02-06T10:36:27+00:00");
  // the default fuzzy parser takes text only: a numeric cell fails the report (reference quirk)
  CHECK_THROWS(Run({{"columns", list({"time.source"})}, {"skip_table_head", Value::boolean(false)}},
                   "<table><tr><td>1549449387</td></tr></table>"));
}

TEST_CASE("html_table: table selection, split column, head row", "[parsers][unit]") {
  const std::string doc =
      "<table><tr><td>other</td></tr></table>"
      "<table class='feed main'><tr><td>D example.com</td></tr><tr><td>D b.example</td></tr>"
      "</table>";
  Run r({{"columns", list({"source.fqdn"})},
         {"attribute_name", Value::string("class")},
         {"attribute_value", Value::string("feed")},
         {"skip_table_head", Value::boolean(false)},
         {"split_column", Value::string("source.fqdn")},
         {"split_index", Value::string("1")},
         {"type", Value::string("malware-distribution")}},
        doc);
  REQUIRE(r.events().size() == 2);
  CHECK(r.str(0, "source.fqdn") == "example.com");
  CHECK(r.str(1, "classification.type") == "malware-distribution");
  CHECK_THROWS(Run({{"table_index", Value::integer(5)}}, doc));
}

TEST_CASE("html_table: a cell no field accepts fails the report", "[parsers][unit]") {
  testing::TestBot bot(
      kModule, {{"columns", list({"source.ip"})}, {"skip_table_head", Value::boolean(false)}});
  testing::CaptureEmitter out;
  Message report = bot.report();
  report.add("raw", Value::string("<table><tr><td>192.0.2.1</td></tr><tr><td>nope</td></tr>"
                                  "<tr><td>192.0.2.2</td></tr></table>"));
  CHECK_THROWS_WITH(bot.process(report, out), Catch::Contains("all invalid"));
  CHECK(out.sent["_default"].size() == 1);
}

TEST_CASE("html_table: bad parameters refuse to start", "[parsers][unit]") {
  CHECK_THROWS_AS(
      testing::TestBot(kModule, {{"columns", list({"a", "b"})}, {"ignore_values", list({"x"})}}),
      ConfigError);
  CHECK_THROWS_AS(testing::TestBot(kModule, {{"time_format", Value::string("nonsense")}}),
                  ConfigError);
}
