// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <string>

#include "harmonization/unicode.hpp"

namespace uni = intelflow::harm::uni;

TEST_CASE("unicode: strip removes exactly Python's whitespace at both ends", "[unicode]") {
  CHECK(uni::strip("  a b  ") == "a b");
  CHECK(uni::strip("\x1c\x1d\x1e\x1fx\t\n\v\f\r") == "x");
  CHECK(uni::strip("\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000x\u3000") == "x");
  CHECK(uni::strip("\u200bx\u200b") == "\u200bx\u200b");  // ZWSP is no whitespace
  CHECK(uni::strip("\ufeffx") == "\ufeffx");
  CHECK(uni::strip("\u180ex") == "\u180ex");  // no longer whitespace since Unicode 6.3
  CHECK(uni::strip(" \u00a0 ").empty());
  CHECK(uni::strip("\xc3\xbc ") == "\xc3\xbc");  // multibyte text is kept intact
}

TEST_CASE("unicode: is_space matches str.isspace", "[unicode]") {
  for (char32_t c :
       {U'\t', U'\n', U'\x0b', U'\x0c', U'\r', U'\x1c', U'\x1f', U' ', U'\x85', U'\xa0', U'\u1680',
        U'\u2007', U'\u2028', U'\u2029', U'\u202f', U'\u205f', U'\u3000'})
    CHECK(uni::is_space(c));
  for (char32_t c : {U'\0', U'a', U'\x08', U'\x7f', U'\u200b', U'\ufeff', U'\u180e', U'\u2060'})
    CHECK_FALSE(uni::is_space(c));
}

TEST_CASE("unicode: lower uses full mappings and the final sigma rule", "[unicode]") {
  CHECK(uni::lower("ABC def") == "abc def");
  CHECK(uni::lower("\u0130") == "i\u0307");
  CHECK(uni::lower("\u1e9e") == "\u00df");
  CHECK(uni::lower("\u039f\u0394\u039f\u03a3") == "\u03bf\u03b4\u03bf\u03c2");  // ΟΔΟΣ → οδος
  CHECK(uni::lower("\u03a3") == "\u03c3");                                      // lone Σ → σ
  CHECK(uni::lower("\u03a3A") == "\u03c3a");
  CHECK(uni::lower("\u01c5") == "\u01c6");
  CHECK(uni::lower("\u216b") == "\u217b");
  CHECK(uni::lower("\U00010400") == "\U00010428");
  CHECK(uni::lower(std::string("A\0B", 3)) == std::string("a\0b", 3));
}

TEST_CASE("unicode: upper expands characters like Python", "[unicode]") {
  CHECK(uni::upper("stra\u00dfe") == "STRASSE");
  CHECK(uni::upper("\ufb01") == "FI");
  CHECK(uni::upper("\u0131") == "I");
  CHECK(uni::upper("\u00b5") == "\u039c");
  CHECK(uni::upper("\u1fb3") == "\u0391\u0399");
  CHECK(uni::upper("\u0149") == "\u02bcN");
  CHECK(uni::upper("\u1e9e") == "\u1e9e");
}

TEST_CASE("unicode: case invariance checks", "[unicode]") {
  CHECK(uni::is_lower_invariant("abc-1"));
  CHECK_FALSE(uni::is_lower_invariant("abC"));
  CHECK(uni::is_lower_invariant("\u00df\u0131"));
  CHECK_FALSE(uni::is_lower_invariant("\u00c5"));
  CHECK(uni::is_upper_invariant("ABC-1"));
  CHECK_FALSE(uni::is_upper_invariant("\u00df"));
  CHECK(uni::is_upper_invariant("\u1e9e"));
}

TEST_CASE("unicode: is_printable follows str.isprintable", "[unicode]") {
  CHECK(uni::is_printable(U' '));
  CHECK(uni::is_printable(U'a'));
  CHECK(uni::is_printable(U'\u00e9'));
  CHECK(uni::is_printable(U'\U0001f600'));
  CHECK_FALSE(uni::is_printable(U'\x7f'));
  CHECK_FALSE(uni::is_printable(U'\n'));
  CHECK_FALSE(uni::is_printable(U'\x85'));
  CHECK_FALSE(uni::is_printable(U'\xa0'));        // Zs
  CHECK_FALSE(uni::is_printable(U'\u200b'));      // Cf
  CHECK_FALSE(uni::is_printable(U'\u2028'));      // Zl
  CHECK_FALSE(uni::is_printable(U'\ue000'));      // Co
  CHECK_FALSE(uni::is_printable(U'\u0378'));      // Cn
  CHECK_FALSE(uni::is_printable(U'\U0001fae8'));  // new in Unicode 15: unassigned for Python 3.11
}

TEST_CASE("unicode: decoding drops invalid UTF-8 like bytes.decode(errors='ignore')", "[unicode]") {
  CHECK(uni::decode_utf8_ignore("a\xff"
                                "b") == "ab");
  CHECK(uni::decode_utf8_ignore("\xe2\x82"
                                "A") == "A");                  // truncated sequence
  CHECK(uni::decode_utf8_ignore("\xed\xa0\x80x") == "x");      // surrogate
  CHECK(uni::decode_utf8_ignore("\xc0\xafx") == "x");          // overlong
  CHECK(uni::decode_utf8_ignore("\xf4\x90\x80\x80y") == "y");  // above U+10FFFF
  CHECK(uni::decode_utf8_ignore("\xf0\x9f\x98\x80") == "\U0001f600");
  CHECK(uni::valid_utf8("ascii \xc3\xbc \xf0\x9f\x98\x80"));
  CHECK_FALSE(uni::valid_utf8("\xed\xa0\x80"));
  CHECK_FALSE(uni::valid_utf8("\xc3"));
  CHECK_FALSE(uni::valid_utf8("\xe0\x80\x80"));
}

TEST_CASE("unicode: decimal digits and NFKC", "[unicode]") {
  CHECK(uni::decimal_value(U'7') == 7);
  CHECK(uni::decimal_value(U'\u0663') == 3);
  CHECK(uni::decimal_value(U'\uff19') == 9);
  CHECK(uni::decimal_value(U'\u00b2') == -1);  // superscript two is no decimal
  CHECK(uni::decimal_value(U'x') == -1);
  CHECK(uni::nfkc("\u2100") == "a/c");
  CHECK(uni::nfkc("\u216b") == "XII");
  CHECK(uni::nfkc("A\u030a") == "\u00c5");
  std::size_t i = 0;
  const std::string s = "\xc3\xbc\xff";
  CHECK(uni::next_code_point(s, i) == U'\u00fc');
  CHECK(uni::next_code_point(s, i) == U'\ufffd');
  CHECK(i == s.size());
}
