// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/pyregex.hpp"

using intelflow::bots::kRegexUnset;
using intelflow::bots::PyRegex;
using intelflow::bots::RegexError;

TEST_CASE("pyregex: search finds the pattern anywhere", "[regex]") {
  PyRegex re("feodo.*download=");
  CHECK(re.search("https://feodotracker.abuse.ch/blocklist/?download=x"));
  CHECK_FALSE(re.search("https://example.com/"));
}

TEST_CASE("pyregex: $ matches before one trailing newline, \\Z only at the end", "[regex]") {
  CHECK(PyRegex("a$").search("a\n"));
  CHECK_FALSE(PyRegex("a\\Z").search("a\n"));
  CHECK(PyRegex("a\\Z").search("xa"));
}

TEST_CASE("pyregex: Python-only syntax is translated", "[regex]") {
  CHECK(PyRegex::translate("x{,2}y") == "x{0,2}y");
  CHECK(PyRegex::translate("[{,2}]") == "[{,2}]");
  CHECK(PyRegex::translate("\\u00e9\\U0001F600") == "\\x{00e9}\\x{0001F600}");
  std::vector<std::size_t> g;
  REQUIRE(PyRegex("x{,2}y").search("xxxy", &g));
  CHECK(g[0] == 1);
  CHECK(PyRegex("\\u00e9").search("caf\xC3\xA9"));
}

TEST_CASE("pyregex: Unicode classes and case folding as in Python 3", "[regex]") {
  CHECK(PyRegex("\\w").search("\xC3\xA9"));             // é is a word character
  CHECK(PyRegex("\\d").search("\xD9\xA3"));             // ARABIC-INDIC DIGIT THREE
  CHECK(PyRegex("\xC3\x89", true).search("\xC3\xA9"));  // É ~ é
  CHECK_FALSE(PyRegex("ABC").search("abc"));
  CHECK(PyRegex("ABC", true).search("xabcx"));
}

TEST_CASE("pyregex: groups, named groups and non-participating groups", "[regex]") {
  PyRegex re("^https?://[^/:?#]+:(?P<port>[0-9]+)|(never)");
  CHECK(re.capture_count() == 2);
  CHECK(re.group_number("port") == 1);
  CHECK_FALSE(re.group_number("nope").has_value());
  std::vector<std::size_t> g;
  std::string s = "http://host:8080/x";
  REQUIRE(re.search(s, &g));
  REQUIRE(g.size() == 6);
  CHECK(s.substr(g[2], g[3] - g[2]) == "8080");
  CHECK(g[4] == kRegexUnset);
}

TEST_CASE("pyregex: a bad pattern throws RegexError naming it", "[regex]") {
  CHECK_THROWS_AS(PyRegex("(unclosed"), RegexError);
  CHECK_THROWS_WITH(PyRegex("a)"), Catch::Contains("a)"));
}
