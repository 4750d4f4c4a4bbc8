// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

#include "harmonization/errors.hpp"
#include "harmonization/types.hpp"

using intelflow::harm::ErrorKind;
using intelflow::harm::HarmonizationError;
using intelflow::harm::Kind;
using intelflow::harm::TypeId;
using intelflow::harm::Value;
namespace harm = intelflow::harm;

namespace {

Value S(const char* s) {
  return Value::string(s);
}
Value B(const char* s) {
  return Value::bytes(s);
}
Value I(std::int64_t i) {
  return Value::integer(i);
}
Value F(double d) {
  return Value::floating(d);
}

/// sanitize() that must return text; returns it.
std::string san_text(TypeId t, const Value& v) {
  const Value r = harm::sanitize(t, v);
  REQUIRE(r.is_string());
  return r.as_string();
}

bool is_null_after_sanitize(TypeId t, const Value& v) {
  return harm::sanitize(t, v).is_null();
}

bool raises_value_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const HarmonizationError& e) {
    return e.kind() == ErrorKind::ValueError;
  }
  return false;
}

}  // namespace

TEST_CASE("types: names round-trip and unknown names are rejected", "[types]") {
  for (int i = 0; i < harm::kTypeCount; ++i) {
    const auto t = static_cast<TypeId>(i);
    CHECK(harm::type_from_name(harm::type_name(t)) == t);
  }
  CHECK(harm::type_from_name("IPAddress") == TypeId::IPAddress);
  CHECK_FALSE(harm::type_from_name("ipaddress").has_value());
  CHECK_FALSE(harm::type_from_name("DNS").has_value());
}

TEST_CASE("string: sanitize trims Python whitespace, falsy values are rejected", "[types]") {
  CHECK(san_text(TypeId::String, S("\u00a0 foo\u2003\n")) == "foo");
  CHECK(san_text(TypeId::String, S("\u0085nel\u3000")) == "nel");
  CHECK(san_text(TypeId::String, S("\u200bzwsp")) == "\u200bzwsp");  // not whitespace
  CHECK(san_text(TypeId::String, S(" ")) == "");
  CHECK(is_null_after_sanitize(TypeId::String, S("")));
  CHECK(is_null_after_sanitize(TypeId::String, I(0)));
  CHECK(is_null_after_sanitize(TypeId::String, Value::boolean(false)));
  CHECK(is_null_after_sanitize(TypeId::String, Value::list({})));
  CHECK(is_null_after_sanitize(TypeId::String, Value()));
}

TEST_CASE("string: bytes are decoded dropping invalid UTF-8, other values use str()", "[types]") {
  CHECK(san_text(TypeId::String, B("  a\xff"
                                   "b  ")) == "ab");
  CHECK(san_text(TypeId::String, I(42)) == "42");
  CHECK(san_text(TypeId::String, Value::boolean(true)) == "True");
  CHECK(san_text(TypeId::String, F(1.5)) == "1.5");
  CHECK(san_text(TypeId::String, Value::list({S("a")})) == "['a']");
}

TEST_CASE("string: valid means non-empty text, sanitizing first where asked", "[types]") {
  CHECK(harm::is_valid(TypeId::String, S(" x ")));
  CHECK_FALSE(harm::is_valid(TypeId::String, S("")));
  CHECK_FALSE(harm::is_valid(TypeId::String, I(1)));
  CHECK(harm::is_valid(TypeId::String, I(1), true));
  CHECK_FALSE(harm::is_valid(TypeId::String, S(" "), true));
  CHECK(harm::is_valid_string(TypeId::String, "x"));
  CHECK_FALSE(harm::is_valid_string(TypeId::String, ""));
}

TEST_CASE("lowercasestring: full Unicode lowercase, numbers are not text", "[types]") {
  CHECK(san_text(TypeId::LowercaseString, S("  MiXeD  ")) == "mixed");
  CHECK(san_text(TypeId::LowercaseString, S("\u0130stanbul")) == "i\u0307stanbul");
  CHECK(san_text(TypeId::LowercaseString, S("\u1E9E")) == "\u00df");
  CHECK(san_text(TypeId::LowercaseString, B("FOO")) == "foo");
  CHECK(is_null_after_sanitize(TypeId::LowercaseString, I(1)));
  CHECK_FALSE(harm::is_valid(TypeId::LowercaseString, S("FOO")));
  CHECK(harm::is_valid(TypeId::LowercaseString, S("stra\u00dfe")));
  // sanitizing for is_valid goes through String first, so numbers pass
  CHECK(harm::is_valid(TypeId::LowercaseString, I(1), true));
}

TEST_CASE("uppercasestring: full Unicode uppercase expands characters", "[types]") {
  CHECK(san_text(TypeId::UppercaseString, S("stra\u00dfe")) == "STRASSE");
  CHECK(san_text(TypeId::UppercaseString, S("\ufb01")) == "FI");
  CHECK(san_text(TypeId::UppercaseString, S("\u1fb3")) == "\u0391\u0399");
  CHECK(is_null_after_sanitize(TypeId::UppercaseString, I(1)));
  CHECK_FALSE(harm::is_valid(TypeId::UppercaseString, I(1), true));
  CHECK(harm::is_valid(TypeId::UppercaseString, S("\u1e9e")));
  CHECK_FALSE(harm::is_valid(TypeId::UppercaseString, S("\u00df")));
}

TEST_CASE("base64: sanitize always encodes, even base64 text", "[types]") {
  CHECK(san_text(TypeId::Base64, S("Zm9v")) == "Wm05dg==");
  CHECK(san_text(TypeId::Base64, S(" ")) == "IA==");
  CHECK(san_text(TypeId::Base64, S("\u00fc")) == "w7w=");
  CHECK(san_text(TypeId::Base64, B("\xff")) == "/w==");
  CHECK(san_text(TypeId::Base64, S("")) == "");
  CHECK(is_null_after_sanitize(TypeId::Base64, I(1)));
}

TEST_CASE("base64: the encoding equals the 6-bits-at-a-time definition for every length",
          "[types]") {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto reference = [](const std::string& in) {
    std::string out;
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
      const unsigned v = (unsigned(static_cast<unsigned char>(in[i])) << 16) |
                         (unsigned(static_cast<unsigned char>(in[i + 1])) << 8) |
                         unsigned(static_cast<unsigned char>(in[i + 2]));
      for (int k = 18; k >= 0; k -= 6) out += kAlpha[(v >> k) & 63];
    }
    if (const std::size_t rest = in.size() - i; rest > 0) {
      unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16;
      if (rest == 2) v |= unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
      out += kAlpha[(v >> 18) & 63];
      out += kAlpha[(v >> 12) & 63];
      out += rest == 2 ? kAlpha[(v >> 6) & 63] : '=';
      out += '=';
    }
    return out;
  };
  std::uint32_t x = 1;
  for (std::size_t len = 0; len < 300; ++len) {
    std::string in;
    for (std::size_t i = 0; i < len; ++i) {
      x = x * 1103515245u + 12345u;
      in.push_back(static_cast<char>(x >> 23));
    }
    REQUIRE(san_text(TypeId::Base64, Value::bytes(in)) == reference(in));
  }
}

TEST_CASE("base64: lenient decoding skips foreign characters, bad padding raises", "[types]") {
  CHECK(harm::is_valid(TypeId::Base64, S("Zm9v YmFy")));
  CHECK(harm::is_valid(TypeId::Base64, S("Zm9v====")));
  CHECK(harm::is_valid(TypeId::Base64, S("@@@@")));  // decodes to nothing
  CHECK(harm::is_valid(TypeId::Base64, S("\u00ff")));
  CHECK_FALSE(harm::is_valid(TypeId::Base64, S("")));
  CHECK_FALSE(harm::is_valid(TypeId::Base64, I(5)));
  CHECK(raises_value_error([] { harm::is_valid(TypeId::Base64, S("Zg=")); }));
  CHECK(raises_value_error([] { harm::is_valid_string(TypeId::Base64, "abc"); }));
  CHECK(raises_value_error([] { harm::is_valid(TypeId::Base64, B("hello")); }));
  CHECK_FALSE(harm::is_valid(TypeId::Base64, B("AAEC")));  // bytes are never valid
}

TEST_CASE("boolean: only 'true'/'false' text and the ints 0/1 sanitize", "[types]") {
  CHECK(harm::sanitize(TypeId::Boolean, S(" TrUe\n")) == Value::boolean(true));
  CHECK(harm::sanitize(TypeId::Boolean, S("false")).is_bool());
  CHECK(harm::sanitize(TypeId::Boolean, I(1)) == Value::boolean(true));
  CHECK(harm::sanitize(TypeId::Boolean, I(0)).is_bool());
  CHECK(harm::sanitize(TypeId::Boolean, I(2)).is_null());
  CHECK(harm::sanitize(TypeId::Boolean, F(1.0)).is_null());
  CHECK(harm::sanitize(TypeId::Boolean, S("yes")).is_null());
  CHECK(harm::sanitize(TypeId::Boolean, B("true")).is_null());
  CHECK(harm::is_valid(TypeId::Boolean, Value::boolean(false)));
  CHECK_FALSE(harm::is_valid(TypeId::Boolean, S("true")));
  CHECK(harm::is_valid(TypeId::Boolean, S("true"), true));
}

TEST_CASE("integer: Python int() semantics", "[types]") {
  CHECK(harm::sanitize(TypeId::Integer, S(" +5 ")) == I(5));
  CHECK(harm::sanitize(TypeId::Integer, S("1_000")) == I(1000));
  CHECK(harm::sanitize(TypeId::Integer, S("010")) == I(10));
  CHECK(harm::sanitize(TypeId::Integer, S("\u0661\u0662\u0663")) == I(123));
  CHECK(harm::sanitize(TypeId::Integer, S("\u00a05\u2003")) == I(5));
  CHECK(harm::sanitize(TypeId::Integer, B(" 42 ")) == I(42));
  CHECK(harm::sanitize(TypeId::Integer, F(-5.9)) == I(-5));
  CHECK(harm::sanitize(TypeId::Integer, Value::boolean(true)) == I(1));
  const std::string bad_inputs[] = {"5.0",
                                    "0x10",
                                    "_1",
                                    "1__0",
                                    "1_",
                                    "1 000",
                                    "\x1c"
                                    "5",
                                    std::string("5\0", 2)};
  for (const std::string& bad : bad_inputs) {
    INFO(bad);
    CHECK(harm::sanitize(TypeId::Integer, Value::string(bad)).is_null());
  }
  CHECK(harm::sanitize(TypeId::Integer, F(NAN)).is_null());
  CHECK(raises_value_error([] { harm::sanitize(TypeId::Integer, F(INFINITY)); }));
}

TEST_CASE("integer: values beyond int64 become exact big integers", "[types]") {
  const Value big = harm::sanitize(TypeId::Integer, S("99999999999999999999999999"));
  REQUIRE(big.is_bigint());
  CHECK(big.as_string() == "99999999999999999999999999");
  const Value from_float = harm::sanitize(TypeId::Integer, F(1e20));
  REQUIRE(from_float.is_bigint());
  CHECK(from_float.as_string() == "100000000000000000000");
  CHECK(harm::sanitize(TypeId::Integer, S("9223372036854775807")) == I(INT64_MAX));
  CHECK(harm::sanitize(TypeId::Integer, S("-9223372036854775808")) == I(INT64_MIN));
  CHECK(harm::sanitize(TypeId::Integer, S(std::string(4301, '1').c_str())).is_null());
  CHECK(harm::is_valid(TypeId::Integer, Value::big_integer("18446744073709551616")));
  CHECK_FALSE(harm::is_valid(TypeId::Integer, Value::boolean(true)));
  CHECK_FALSE(harm::is_valid(TypeId::Integer, S("1")));
}

TEST_CASE("float: Python float() semantics", "[types]") {
  CHECK(harm::sanitize(TypeId::Float, S(" 1_000.5 ")) == F(1000.5));
  CHECK(harm::sanitize(TypeId::Float, S("-31.e-2")) == F(-0.31));
  CHECK(harm::sanitize(TypeId::Float, S(".5")) == F(0.5));
  CHECK(harm::sanitize(TypeId::Float, S("1e400")) == F(INFINITY));
  CHECK(std::isnan(harm::sanitize(TypeId::Float, S("-NaN")).as_float()));
  CHECK(harm::sanitize(TypeId::Float, S("InFiNiTy")) == F(INFINITY));
  CHECK(harm::sanitize(TypeId::Float, S("\uff13.\uff15")) == F(3.5));
  CHECK(harm::sanitize(TypeId::Float, Value::boolean(true)) == F(1.0));
  const Value from_int = harm::sanitize(TypeId::Float, I(7));
  CHECK(from_int.is_float());
  for (const char* bad : {"1,5", "0x1p3", "e5", "1e", "infinit", "1__0", "_1", "++1", "."}) {
    INFO(bad);
    CHECK(harm::sanitize(TypeId::Float, S(bad)).is_null());
  }
  CHECK(raises_value_error(
      [] { harm::sanitize(TypeId::Float, Value::big_integer("1" + std::string(400, '0'))); }));
  CHECK(harm::is_valid(TypeId::Float, I(3)));
  CHECK_FALSE(harm::is_valid(TypeId::Float, Value::boolean(true)));
}

TEST_CASE("accuracy: floats within [0, 100], bools scale to 100", "[types]") {
  CHECK(harm::sanitize(TypeId::Accuracy, Value::boolean(true)) == F(100.0));
  CHECK(harm::sanitize(TypeId::Accuracy, S(" 50 ")) == F(50.0));
  CHECK(harm::sanitize(TypeId::Accuracy, S("101")).is_null());
  CHECK(harm::sanitize(TypeId::Accuracy, S("nan")).is_null());
  CHECK(harm::sanitize(TypeId::Accuracy, F(-0.0001)).is_null());
  CHECK(harm::is_valid(TypeId::Accuracy, Value::boolean(false)));
  CHECK(harm::is_valid(TypeId::Accuracy, I(100)));
  CHECK_FALSE(harm::is_valid(TypeId::Accuracy, F(100.1)));
}

TEST_CASE("asn: optional AS prefix, 1..4294967295", "[types]") {
  CHECK(harm::sanitize(TypeId::ASN, S("AS 1234")) == I(1234));
  CHECK(harm::sanitize(TypeId::ASN, S("aS+5")) == I(5));
  CHECK(harm::sanitize(TypeId::ASN, F(42.9)) == I(42));
  CHECK(harm::sanitize(TypeId::ASN, S("ASN1234")).is_null());
  CHECK(harm::sanitize(TypeId::ASN, S(" AS1234")).is_null());
  CHECK(harm::sanitize(TypeId::ASN, S("AS0")).is_null());
  CHECK(harm::sanitize(TypeId::ASN, I(4294967296)).is_null());
  CHECK(harm::is_valid(TypeId::ASN, I(4294967295)));
  CHECK_FALSE(harm::is_valid(TypeId::ASN, I(0)));
  CHECK(raises_value_error([] { harm::is_valid(TypeId::ASN, F(INFINITY), true); }));
}

TEST_CASE("ipaddress: strips /32 from a one-address network", "[types]") {
  CHECK(san_text(TypeId::IPAddress, S("1.2.3.4/32")) == "1.2.3.4");
  CHECK(san_text(TypeId::IPAddress, S("::1/128")) == "::1");
  CHECK(san_text(TypeId::IPAddress, S("1.2.3.4/255.255.255.255")) == "1.2.3.4");
  CHECK(harm::sanitize(TypeId::IPAddress, S("1.2.3.4/31")).is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, S("192.0.2.1/24")).is_null());
}

TEST_CASE("ipaddress: canonical IPv6 text, scope ids dropped", "[types]") {
  CHECK(san_text(TypeId::IPAddress, S("2001:0DB8:0000:0000:0000:0000:0000:0001")) == "2001:db8::1");
  CHECK(san_text(TypeId::IPAddress, S("FE80::0001")) == "fe80::1");
  CHECK(san_text(TypeId::IPAddress, S("fe80::1%eth0")) == "fe80::1");
  CHECK(san_text(TypeId::IPAddress, S("::ffff:1.2.3.4")) == "::ffff:102:304");
  CHECK(san_text(TypeId::IPAddress, S("2001:db8:0:0:1:0:0:1")) == "2001:db8::1:0:0:1");
  CHECK(san_text(TypeId::IPAddress, S("1:0:0:2:0:0:0:3")) == "1:0:0:2::3");
  CHECK(san_text(TypeId::IPAddress, S("0:0:0:40:0:0:0:0")) == "0:0:0:40::");
  CHECK(harm::sanitize(TypeId::IPAddress, S("01.2.3.4")).is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, S("1:2:3:4:5:6:7:8:9")).is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, S("[::1]")).is_null());
}

TEST_CASE("ipaddress: integers become IPv4 below 2**32, else IPv6", "[types]") {
  CHECK(san_text(TypeId::IPAddress, I(2130706433)) == "127.0.0.1");
  CHECK(san_text(TypeId::IPAddress, S("2130706433")) == "127.0.0.1");
  CHECK(san_text(TypeId::IPAddress, I(4294967296)) == "::1:0:0");
  CHECK(san_text(TypeId::IPAddress, Value::boolean(false)) == "0.0.0.0");
  CHECK(
      san_text(TypeId::IPAddress, Value::big_integer("340282366920938463463374607431768211455")) ==
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  CHECK(harm::sanitize(TypeId::IPAddress,
                       Value::big_integer("340282366920938463463374607431768211456"))
            .is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, S("+2130706433")).is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, S("-1")).is_null());
  CHECK(harm::sanitize(TypeId::IPAddress, F(1.5)).is_null());
}

TEST_CASE("ipaddress: valid excludes 0.0.0.0 and scope ids", "[types]") {
  CHECK(harm::is_valid_string(TypeId::IPAddress, "::"));
  CHECK(harm::is_valid_string(TypeId::IPAddress, "::ffff:0.0.0.0"));
  CHECK_FALSE(harm::is_valid_string(TypeId::IPAddress, "0.0.0.0"));
  CHECK_FALSE(harm::is_valid_string(TypeId::IPAddress, "fe80::1%eth0"));
  CHECK_FALSE(harm::is_valid_string(TypeId::IPAddress, "1.2.3.4/32"));
  CHECK_FALSE(harm::is_valid_string(TypeId::IPAddress, " 1.2.3.4"));
  CHECK(harm::is_valid(TypeId::IPAddress, S(" 1.2.3.4 "), true));
}

TEST_CASE("ipnetwork: sanitize masks host bits, valid is strict", "[types]") {
  CHECK(san_text(TypeId::IPNetwork, S("10.1.2.3/8")) == "10.0.0.0/8");
  CHECK(san_text(TypeId::IPNetwork, S("1.2.3.4")) == "1.2.3.4/32");
  CHECK(san_text(TypeId::IPNetwork, S("2001:DB8::/32")) == "2001:db8::/32");
  CHECK(san_text(TypeId::IPNetwork, S("10.0.0.0/255.0.0.0")) == "10.0.0.0/8");
  CHECK(san_text(TypeId::IPNetwork, S("10.0.0.0/0.255.255.255")) == "10.0.0.0/8");
  CHECK(san_text(TypeId::IPNetwork, S("10.0.0.0/08")) == "10.0.0.0/8");
  CHECK(san_text(TypeId::IPNetwork, S("fe80::1%eth0/64")) == "fe80::/64");
  CHECK(san_text(TypeId::IPNetwork, S("fe80::1%eth0")) == "fe80::1%eth0/128");
  CHECK(harm::sanitize(TypeId::IPNetwork, S("10.0.0.0/+8")).is_null());
  CHECK(harm::sanitize(TypeId::IPNetwork, S("10.0.0.0/255.0.255.0")).is_null());
  CHECK(harm::sanitize(TypeId::IPNetwork, S("2001:db8::/129")).is_null());
  CHECK(harm::sanitize(TypeId::IPNetwork, I(3232235520)).is_null());
  CHECK(harm::is_valid_string(TypeId::IPNetwork, "192.0.2.0/24"));
  CHECK(harm::is_valid_string(TypeId::IPNetwork, "192.0.2.1"));
  CHECK_FALSE(harm::is_valid_string(TypeId::IPNetwork, "192.0.2.1/24"));
}

TEST_CASE("ip helpers: to_int, version, network_version, to_reverse", "[types]") {
  CHECK(harm::ip::to_int("192.0.2.1") == I(3221225985));
  CHECK(harm::ip::to_int("::1") == I(1));
  const Value big = harm::ip::to_int("2001:db8::1");
  REQUIRE(big.is_bigint());
  CHECK(big.as_string() == "42540766411282592856903984951653826561");
  CHECK(harm::ip::to_int("1.2.3").is_null());
  CHECK(harm::ip::to_int(" 1.2.3.4").is_null());
  CHECK(harm::ip::version("2001:db8::192.0.2.1") == 6);
  CHECK(harm::ip::version("0.0.0.0") == 4);
  CHECK(raises_value_error([] { harm::ip::version("192.0.2.1/32"); }));
  CHECK(harm::ip::network_version("0.0.0.0/0") == 4);
  CHECK(raises_value_error([] { harm::ip::network_version("192.0.2.1/24"); }));
  CHECK(harm::ip::to_reverse("192.0.2.1") == "1.2.0.192.in-addr.arpa.");
  CHECK(harm::ip::to_reverse("2001:db8::1") ==
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
  CHECK(harm::ip::to_reverse("::ffff:1.2.3.4") == "4.3.2.1.in-addr.arpa.");
  CHECK(raises_value_error([] { harm::ip::to_reverse("01.2.3.4"); }));
  CHECK(raises_value_error([] { harm::ip::to_reverse(""); }));
}

TEST_CASE("fqdn: IDNA 2003 encoding, dots and case normalised", "[types]") {
  CHECK(san_text(TypeId::FQDN, S("B\u00dcCHER.de.")) == "xn--bcher-kva.de");
  CHECK(san_text(TypeId::FQDN, S("stra\u00dfe.de")) == "strasse.de");
  CHECK(san_text(TypeId::FQDN, S("\u216b.com")) == "xii.com");
  CHECK(san_text(TypeId::FQDN, S("\u4f8b\u3048\u3002jp")) == "xn--r8jz45g.jp");
  CHECK(san_text(TypeId::FQDN, S("exam\u00adple.com")) == "example.com");
  CHECK(san_text(TypeId::FQDN, S("..example.com..")) == "example.com");
  CHECK(san_text(TypeId::FQDN, S("\u1e9e.de")) == "ss.de");  // Python maps with current Unicode
  CHECK(harm::sanitize(TypeId::FQDN, S("a..b")).is_null());
  CHECK(harm::sanitize(TypeId::FQDN, S(std::string(64, 'a').c_str())).is_null());
  CHECK(harm::sanitize(TypeId::FQDN, S("...")).is_null());
}

TEST_CASE("fqdn: valid only for lowercase ASCII host names without URL parts", "[types]") {
  CHECK(harm::is_valid_string(TypeId::FQDN, "sub_sub2.example.net"));
  CHECK(harm::is_valid_string(TypeId::FQDN, "*.example.com"));
  CHECK(harm::is_valid_string(TypeId::FQDN, "user@example.com"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "example.com."));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "Example.com"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "1.2.3.4"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "example.com:80"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "example.com/path"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "example.com#x"));
  CHECK_FALSE(harm::is_valid_string(TypeId::FQDN, "m\u00fcnchen.de"));
  // the reference's codec raises on empty / long labels instead of returning False
  CHECK(raises_value_error([] { harm::is_valid_string(TypeId::FQDN, "a..b"); }));
  CHECK(raises_value_error([] { harm::is_valid_string(TypeId::FQDN, "\u0085nel"); }));
}

TEST_CASE("url: hxxp and file fixes, netloc required", "[types]") {
  CHECK(san_text(TypeId::URL, S(" hxxps://example.com/foo ")) == "https://example.com/foo");
  CHECK(san_text(TypeId::URL, S("HXXP://example.com/")) == "HXXP://example.com/");
  CHECK(san_text(TypeId::URL, S("FILE:///etc/hosts")) == "file://localhost/etc/hosts");
  CHECK(san_text(TypeId::URL, S("file:")) == "file://localhost");
  CHECK(san_text(TypeId::URL, S("http://exa\nmple.com/")) == "http://exa\nmple.com/");
  CHECK(harm::sanitize(TypeId::URL, S("example.com")).is_null());
  CHECK(harm::sanitize(TypeId::URL, S("mailto:user@example.com")).is_null());
  CHECK(harm::is_valid_string(TypeId::URL, "//example.com/path"));
  CHECK(harm::is_valid_string(TypeId::URL, "tcp://1.2.3.4:80"));
  CHECK_FALSE(harm::is_valid_string(TypeId::URL, " http://example.com"));
  CHECK_FALSE(harm::is_valid_string(TypeId::URL, "http:///example.com"));
  CHECK(raises_value_error([] { harm::is_valid_string(TypeId::URL, "http://[::1"); }));
  CHECK(raises_value_error([] { harm::sanitize(TypeId::URL, S("http://::1]/")); }));
}

TEST_CASE("url helpers: urlsplit/urlunsplit and to_domain_name", "[types]") {
  const auto r = harm::url::split("HTTP://user:pw@Example.com:80/p/a?q=1#frag");
  CHECK(r.scheme == "http");
  CHECK(r.netloc == "user:pw@Example.com:80");
  CHECK(r.path == "/p/a");
  CHECK(r.query == "q=1");
  CHECK(r.fragment == "frag");
  CHECK(harm::url::split("1.2.3.4:80").scheme.empty());
  CHECK(harm::url::unsplit({"file", "localhost", "/etc", "", ""}) == "file://localhost/etc");
  CHECK(harm::url::to_domain_name("http://example.com/") == "example.com");
  CHECK(harm::url::to_domain_name("http://[::1]:80/") == "[::1]:80");
  CHECK_FALSE(harm::url::to_domain_name("http://1.2.3.4/").has_value());
  CHECK_FALSE(harm::url::to_domain_name("http://2001:db8::1/").has_value());
  CHECK_FALSE(harm::url::to_domain_name("example.com").has_value());
  CHECK(raises_value_error([] { harm::url::split("http://ex\u2100ample.com/"); }));
}

TEST_CASE("json: text that parses is kept verbatim, anything else is encoded", "[types]") {
  CHECK(san_text(TypeId::JSON, S(" {\"b\": 1, \"a\": 2} ")) == "{\"b\": 1, \"a\": 2}");
  CHECK(san_text(TypeId::JSON, S("plain")) == "\"plain\"");
  CHECK(san_text(TypeId::JSON, S(" foo ")) == "\" foo \"");
  CHECK(san_text(TypeId::JSON, I(5)) == "5");
  CHECK(san_text(TypeId::JSON, Value::boolean(false)) == "false");
  CHECK(san_text(TypeId::JSON, Value::dict({{"z", I(1)}, {"a", Value::string("\u00fc")}})) ==
        "{\"a\": \"\\u00fc\", \"z\": 1}");
  CHECK(harm::sanitize(TypeId::JSON, B("not json")).is_null());
  CHECK(harm::sanitize(TypeId::JSON, Value()).is_null());
  CHECK(harm::is_valid_string(TypeId::JSON, "[1, 2.5e3, -Infinity, NaN, \"\\u00fc\"]"));
  for (const char* bad : {"", "{", "[1,2,]", "01", ".5", "{a: 1}", "'x'", "tru", "\"tab\tinside\"",
                          "\xef\xbb\xbf{}", "\"\\x\"", "{\"a\":1}garbage"}) {
    INFO(bad);
    CHECK_FALSE(harm::is_valid_string(TypeId::JSON, bad));
  }
  CHECK_FALSE(harm::is_valid_string(TypeId::JSON, std::string(4301, '1')));
  CHECK(harm::is_valid_string(TypeId::JSON, std::string(4301, '1') + ".0"));
}

TEST_CASE("jsondict: only non-empty objects are valid", "[types]") {
  CHECK(harm::is_valid_string(TypeId::JSONDict, "{\"a\": {}}"));
  CHECK_FALSE(harm::is_valid_string(TypeId::JSONDict, "{}"));
  CHECK_FALSE(harm::is_valid_string(TypeId::JSONDict, "[{\"a\": 1}]"));
  CHECK_FALSE(harm::is_valid_string(TypeId::JSONDict, "\"x\""));
  CHECK(san_text(TypeId::JSONDict, S("[1]")) == "\"[1]\"");
  CHECK(san_text(TypeId::JSONDict, Value::dict({{"a.b", I(1)}})) == "{\"a.b\": 1}");
  CHECK(harm::sanitize(TypeId::JSONDict, Value::dict({})).is_null());
  CHECK(harm::sanitize(TypeId::JSONDict, I(0)).is_null());
  CHECK(harm::is_valid(TypeId::JSONDict, Value::dict({{"a", Value()}}), true));
}

TEST_CASE("registry and tlp: enumerations with aliases", "[types]") {
  CHECK(san_text(TypeId::Registry, S("ripe-ncc ")) == "RIPE");
  CHECK(san_text(TypeId::Registry, S("r\u0131pe")) == "RIPE");
  CHECK(san_text(TypeId::Registry, S("RIPE NCC")) == "RIPE NCC");
  CHECK(harm::is_valid_string(TypeId::Registry, "LACNIC"));
  CHECK_FALSE(harm::is_valid_string(TypeId::Registry, "arin"));
  CHECK(san_text(TypeId::TLP, S("tlp: green")) == "GREEN");
  CHECK(san_text(TypeId::TLP, S("tlpred")) == "RED");
  CHECK(san_text(TypeId::TLP, S("TLP\tRED")) == "RED");
  CHECK(san_text(TypeId::TLP, S("TLP::RED")) == ":RED");
  CHECK(san_text(TypeId::TLP, S("tlp:yellow")) == "AMBER");
  CHECK(harm::sanitize(TypeId::TLP, S(" ")).is_null());
  CHECK(harm::is_valid_string(TypeId::TLP, "WHITE"));
  CHECK_FALSE(harm::is_valid_string(TypeId::TLP, "CLEAR"));
}

TEST_CASE("classification: types and taxonomies with their aliases", "[types]") {
  CHECK(san_text(TypeId::ClassificationType, S(" Botnet Drone ")) == "infected-system");
  CHECK(san_text(TypeId::ClassificationType, S("C&C")) == "c2-server");
  CHECK(san_text(TypeId::ClassificationType, S("defacement")) ==
        "unauthorised-information-modification");
  CHECK(san_text(TypeId::ClassificationType, S("botnet-drone")) == "botnet-drone");
  CHECK(harm::is_valid_string(TypeId::ClassificationType, "ddos-amplifier"));
  CHECK_FALSE(harm::is_valid_string(TypeId::ClassificationType, "botnet-drone"));
  CHECK_FALSE(harm::is_valid_string(TypeId::ClassificationType, "Phishing"));
  CHECK(harm::is_valid(TypeId::ClassificationType, S("Phishing"), true));
  CHECK(san_text(TypeId::ClassificationTaxonomy, S("INTRUSION ATTEMPTS")) == "intrusion-attempts");
  CHECK(harm::is_valid_string(TypeId::ClassificationTaxonomy, "information-content-security"));
  CHECK_FALSE(
      harm::is_valid(TypeId::ClassificationTaxonomy, S("information content security"), true));
  CHECK(harm::sanitize(TypeId::ClassificationTaxonomy, I(1)).is_null());
}

TEST_CASE("types: null input never raises and is never valid", "[types]") {
  for (int i = 0; i < harm::kTypeCount; ++i) {
    const auto t = static_cast<TypeId>(i);
    if (t == TypeId::DateTime) continue;  // owned by the DateTime implementation
    INFO(harm::type_name(t));
    CHECK_NOTHROW(harm::sanitize(t, Value()));
    CHECK_FALSE(harm::is_valid(t, Value()));
    CHECK_FALSE(harm::is_valid(t, Value(), true));
  }
}
