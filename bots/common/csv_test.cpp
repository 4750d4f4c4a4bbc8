// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/csv.hpp"

using namespace intelflow::bots::csv;
using Rows = std::vector<std::vector<std::string>>;

TEST_CASE("csv reader: plain rows with any line terminator", "[csv]") {
  CHECK(read_all("a,b\nc,d\n") == Rows{{"a", "b"}, {"c", "d"}});
  CHECK(read_all("a,b\r\nc,d") == Rows{{"a", "b"}, {"c", "d"}});
  CHECK(read_all("a,b\rc,d\r") == Rows{{"a", "b"}, {"c", "d"}});
  CHECK(read_all("").empty());
}

TEST_CASE("csv reader: empty lines are records without fields", "[csv]") {
  CHECK(read_all("\"a\"\"b\",c\r\n\r\nx") == Rows{{"a\"b", "c"}, {}, {"x"}});
  CHECK(read_all("x\r\r\ny") == Rows{{"x"}, {}, {"y"}});
}

TEST_CASE("csv reader: quoting rules of Python's csv module", "[csv]") {
  CHECK(read_all("a,\"b\"c,d\n") == Rows{{"a", "bc", "d"}});
  CHECK(read_all(" \"a\",b") == Rows{{" \"a\"", "b"}});
  CHECK(read_all("a\"b,c") == Rows{{"a\"b", "c"}});
  CHECK(read_all("a,b,\n") == Rows{{"a", "b", ""}});
  CHECK(read_all("a,\"b") == Rows{{"a", "b"}});
  CHECK(read_all("a,\"") == Rows{{"a", ""}});
  CHECK(read_all("\"\",x") == Rows{{"", "x"}});
}

TEST_CASE("csv reader: quoted fields may span lines", "[csv]") {
  CHECK(read_all("\"a\nb\",c\rd") == Rows{{"a\nb", "c"}, {"d"}});
  CHECK(read_all("\"a\r\nb\",c\n") == Rows{{"a\r\nb", "c"}});
}

TEST_CASE("csv reader: record_text covers the physical lines of a record", "[csv]") {
  std::string text = "\"a\nb\",c\r\nd,e";
  Reader r(text);
  Row row;
  REQUIRE(r.next(row));
  CHECK(r.record_text() == "\"a\nb\",c\r\n");
  REQUIRE(r.next(row));
  CHECK(r.record_text() == "d,e");
  CHECK(row[0] == "d");
  CHECK_FALSE(r.next(row));
}

TEST_CASE("csv reader: tab and multi-byte delimiters", "[csv]") {
  CHECK(read_all("a\tb c\t\"x\ty\"\n", {.delimiter = "\t"}) == Rows{{"a", "b c", "x\ty"}});
  CHECK(read_all("a\xc2\xa7"
                 "b\xc2\xa9"
                 "c",
                 {.delimiter = "\xc2\xa7"}) == Rows{{"a",
                                                     "b\xc2\xa9"
                                                     "c"}});
}

TEST_CASE("csv writer: minimal quoting depends on the line terminator", "[csv]") {
  auto w = [](std::vector<std::string> f, std::string_view lt) {
    std::string out;
    write_row(out, std::span<const std::string>(f), {.lineterminator = lt});
    return out;
  };
  CHECK(w({"a\rb", "c"}, "\n") == "a\rb,c\n");
  CHECK(w({"a\rb", "c"}, "\r\n") == "\"a\rb\",c\r\n");
  CHECK(w({"a\nb"}, "\r") == "a\nb\r");
  CHECK(w({"a\nb"}, "\n") == "\"a\nb\"\n");
  CHECK(w({""}, "\n") == "\"\"\n");
  CHECK(w({"", ""}, "\n") == ",\n");
  CHECK(w({"a b", "x\"y"}, "\r\n") == "a b,\"x\"\"y\"\r\n");
  CHECK(w({" a", "a\tb"}, "\n") == " a,a\tb\n");
  CHECK(w({"1,2"}, "\n") == "\"1,2\"\n");
}

TEST_CASE("csv writer: round trip through the reader", "[csv]") {
  std::vector<std::string> f = {"x", "[\"t1\",\"t2\"]", "a,b", "line\nbreak", ""};
  std::string out;
  write_row(out, std::span<const std::string>(f), {.lineterminator = "\n"});
  CHECK(out == "x,\"[\"\"t1\"\",\"\"t2\"\"]\",\"a,b\",\"line\nbreak\",\n");
  CHECK(read_all(out) == Rows{f});
}

TEST_CASE("csv: line ending detection like io.StringIO(newline='')", "[csv]") {
  CHECK(detect_line_ending("a\nb\n") == "\n");
  CHECK(detect_line_ending("a\r\nb\r\n") == "\r\n");
  CHECK(detect_line_ending("a\rb") == "\r");
  CHECK(detect_line_ending("a\r") == "\r");
  CHECK(detect_line_ending("a\nb\r\n") == "\r\n");
  CHECK(detect_line_ending("a\rb\n") == "\r\n");
  CHECK(detect_line_ending("ab") == "\r\n");
}

TEST_CASE("csv: line_length and terminator_length", "[csv]") {
  CHECK(line_length("ab\r\ncd") == 4);
  CHECK(line_length("ab\rcd") == 3);
  CHECK(line_length("ab\ncd") == 3);
  CHECK(line_length("abcd") == 4);
  CHECK(terminator_length("ab\r\n") == 2);
  CHECK(terminator_length("ab\r") == 1);
  CHECK(terminator_length("ab") == 0);
}
