// SPDX-License-Identifier: AGPL-3.0-or-later
// Behaviour at the edges of the hot-path shortcuts (decision 0002): each case
// states what the reference does; the shortcuts must not change any of it.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

#include "harmonization/datetime.hpp"
#include "harmonization/message.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/types.hpp"

using namespace intelflow::harm;

namespace {

std::shared_ptr<const Harmonization> harm() {
  return Harmonization::default_instance();
}

template <class F>
std::optional<ErrorKind> error_of(F&& f) {
  try {
    f();
  } catch (const HarmonizationError& e) {
    return e.kind();
  }
  return std::nullopt;
}

std::string sanitized_text(TypeId t, const char* s) {
  const Value v = sanitize(t, Value::string(s));
  return v.is_string() ? v.as_string() : "<null>";
}

}  // namespace

TEST_CASE(
    "base64: validity is the same wherever padding or a foreign "
    "character falls",
    "[fastpath]") {
  // binascii.a2b_base64 (non-strict) of Python 3.11 on each text: accepted or
  // binascii.Error
  const std::pair<const char*, bool> cases[] = {
      {"QUJDQUJDQUJDQUJD", true},
      {"QUJDQUJDQUJDQUJDQ", false},
      {"QUJDQUJDQUJDQUJDQU", false},
      {"QUJDQUJDQUJDQUJDQU=", false},
      {"QUJDQUJDQUJDQUJDQU==", true},
      {"QUJDQUJDQUJDQUJDQUI=", true},
      {"QUJDQUJDQUJDQUJDQUJD!QUJD", true},
      {"QUJDQUJDQUJDQUJ\nD", true},
      {"QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJDQ=QU", false},
      {"QUJDQUJDQUJDQUJD=", true},
      {"QUJDQUJDQUJDQUJ", false},
      {"QUJDQUJDQUJDQUJDQUJDQUJDQUJDQUJ=", true},
      {"QUJDQUJDQUJDQUJDQU=x=", true},
      {"QQQQQQQQQQQQQQQQQ", false},
      {"QQQQQQQQQQQQQQQQQQ==", true},
      {"QUJDQUJDQUJDQUJDQ===", false},
  };
  for (const auto& [text, ok] : cases) {
    INFO(text);
    if (ok)
      CHECK(is_valid_string(TypeId::Base64, text));
    else
      CHECK(error_of([&] { is_valid_string(TypeId::Base64, text); }) == ErrorKind::ValueError);
  }
}

TEST_CASE("base64: what add() encodes is stored and valid, also when long", "[fastpath]") {
  Message m(MessageKind::Event, harm());
  const std::string raw(1000, 'x');
  CHECK(m.add("raw", Value::string(raw)) == AddResult::Added);
  const std::string& enc = m.find("raw")->as_string();
  CHECK(enc.size() == 1336);
  CHECK(enc.compare(0, 8, "eHh4eHh4") == 0);
  CHECK(is_valid_string(TypeId::Base64, enc));
  CHECK(sanitized_text(TypeId::Base64, "ab") == "YWI=");
  CHECK(sanitized_text(TypeId::Base64, "a") == "YQ==");
}

TEST_CASE("ipaddress: the all-zero IPv6 address parses and formats as '::'", "[fastpath]") {
  CHECK(is_valid_string(TypeId::IPAddress, "::"));
  CHECK(sanitized_text(TypeId::IPAddress, "::") == "::");
  CHECK(sanitized_text(TypeId::IPAddress, "0:0:0:0:0:0:0:0") == "::");
  CHECK(sanitized_text(TypeId::IPAddress, "::0.0.0.0") == "::");
  CHECK(is_valid_string(TypeId::IPNetwork, "::/0"));
  CHECK(ip::version("::") == 6);
}

TEST_CASE("ipaddress: IPv4 text needs four decimal octets of at most three digits", "[fastpath]") {
  CHECK(sanitized_text(TypeId::IPAddress, " 255.255.255.255 ") == "255.255.255.255");
  CHECK(sanitized_text(TypeId::IPAddress, "10.0.0.1") == "10.0.0.1");
  CHECK(sanitized_text(TypeId::IPAddress, "1.2.3.0") == "1.2.3.0");
  for (const char* bad : {"1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "256.1.1.1",
                          "1.2.3.04", "00.1.2.3", "1.2.3.1000", "1.2.3.4 ", "1.2.3.a"})
    CHECK_FALSE(is_valid_string(TypeId::IPAddress, bad));
  CHECK_FALSE(is_valid_string(TypeId::IPAddress, "0.0.0.0"));
  CHECK(is_valid_string(TypeId::IPAddress, "0.0.0.1"));
  // the sanitizer formats 0.0.0.0 but add() still rejects it: is_valid says no
  Message m(MessageKind::Event, harm());
  AddOptions soft;
  soft.raise_failure = false;
  CHECK(m.add("source.ip", Value::string("0.0.0.0"), soft) == AddResult::Rejected);
  CHECK(m.add("source.ip", Value::integer(0), soft) == AddResult::Rejected);
  CHECK(m.add("source.ip", Value::integer(16909060), soft) == AddResult::Added);
  CHECK(m.find("source.ip")->as_string() == "1.2.3.4");
}

TEST_CASE("fqdn: plain lowercase names are valid unless a label is empty or too long",
          "[fastpath]") {
  CHECK(is_valid_string(TypeId::FQDN, "login.example-bank.com"));
  CHECK(is_valid_string(TypeId::FQDN, "under_score.example"));
  CHECK_FALSE(is_valid_string(TypeId::FQDN, "example.com."));
  CHECK_FALSE(is_valid_string(TypeId::FQDN, ".example.com"));
  CHECK_FALSE(is_valid_string(TypeId::FQDN, "Example.com"));
  CHECK_FALSE(is_valid_string(TypeId::FQDN, "1.2.3.4"));  // an IP address
  CHECK(is_valid_string(TypeId::FQDN,
                        "1.2.3.4.5"));  // digits only, but no address
  CHECK(error_of([] { is_valid_string(TypeId::FQDN, "a..b"); }) == ErrorKind::ValueError);
  const std::string long_label(64, 'a');
  CHECK(error_of([&] { is_valid_string(TypeId::FQDN, long_label + ".com"); }) ==
        ErrorKind::ValueError);
  CHECK(is_valid_string(TypeId::FQDN, std::string(63, 'a') + ".com"));
}

TEST_CASE("url: sanitize keeps a URL with a netloc as it is and finds none in others",
          "[fastpath]") {
  CHECK(sanitized_text(TypeId::URL, " http://example.com/a?b#c ") == "http://example.com/a?b#c");
  CHECK(sanitized_text(TypeId::URL, "hxxp://example.com/") == "http://example.com/");
  CHECK(sanitized_text(TypeId::URL, "example.com/path") == "<null>");
  CHECK(sanitized_text(TypeId::URL, "file:///etc/passwd") == "file://localhost/etc/passwd");
  CHECK(sanitized_text(TypeId::URL, "http://exa\tmple.com/") == "http://exa\tmple.com/");
  CHECK(error_of([] { sanitize(TypeId::URL, Value::string("http://[::1/")); }) ==
        ErrorKind::ValueError);
  CHECK(error_of([] { is_valid_string(TypeId::URL, "http://a]b/"); }) == ErrorKind::ValueError);
  CHECK(is_valid_string(TypeId::URL, "http://[::1]:80/"));
  CHECK_FALSE(is_valid_string(TypeId::URL, "http:///path"));
}

TEST_CASE("datetime: the canonical form validates by the calendar", "[fastpath]") {
  CHECK(datetime::is_valid_string("2024-02-29T23:59:59+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2023-02-29T00:00:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("0000-01-01T00:00:00+00:00"));
  CHECK(datetime::is_valid_string("0001-01-01T00:00:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-01T24:00:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-01T23:60:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-01T23:59:60+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-13-01T00:00:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-00T00:00:00+00:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-01T00:00:00+01:00"));
  CHECK_FALSE(datetime::is_valid_string("2024-06-01X00:00:00+00:00"));
  CHECK(datetime::is_valid_string("2024-6-1T0:0:0+00:00"));  // the general rule still applies
}

TEST_CASE("pyfmt: short decimal floats parse to the nearest double", "[fastpath]") {
  for (const char* text : {"90.0", "0.1", "0.3", "123.456", "1.5", "99.99", "0.000001",
                           "123456789012345.6", "1234567890123456.7", "0.1234567890123456789",
                           "9007199254740993.0", "3.14159265358979", "-2.5", "100.25"}) {
    INFO(text);
    Value v;
    REQUIRE(py::json_loads(text, v));
    REQUIRE(v.is_float());
    CHECK(v.as_float() == std::strtod(text, nullptr));
  }
  Value z;
  REQUIRE(py::json_loads("-0.0", z));
  CHECK(std::signbit(z.as_float()));
  Value i;
  REQUIRE(py::json_loads("90", i));
  CHECK(i.is_int());
}

TEST_CASE("pyfmt: JSON strings escape the same at any offset", "[fastpath]") {
  const std::string long_quote = std::string(15, 'x') + "\"" + std::string(20, 'y');
  CHECK(py::json_dumps(Value::string(long_quote)) ==
        "\"" + std::string(15, 'x') + "\\\"" + std::string(20, 'y') + "\"");
  CHECK(py::json_dumps(Value::string(std::string(31, 'a') + "\\")) ==
        "\"" + std::string(31, 'a') + "\\\\\"");
  std::string dels;
  for (int k = 0; k < 5; ++k) dels += "del\x7fx";
  std::string dels_escaped;
  for (int k = 0; k < 5; ++k) dels_escaped += "del\\u007fx";
  CHECK(py::json_dumps(Value::string(dels)) == "\"" + dels_escaped + "\"");
  py::JsonOptions utf8;
  utf8.ensure_ascii = false;
  CHECK(py::json_dumps(Value::string(dels), utf8) == "\"" + dels + "\"");
  CHECK(py::json_dumps(Value::string("caf\u00e9 caf\u00e9 caf\u00e9 caf\u00e9 ")) ==
        "\"caf\\u00e9 caf\\u00e9 caf\\u00e9 caf\\u00e9 \"");
  CHECK(py::json_dumps(Value::string("ctl \x01\x1f" + std::string(17, 'q'))) ==
        "\"ctl \\u0001\\u001f" + std::string(17, 'q') + "\"");
  CHECK(py::json_dumps(Value::string("emoji \U0001F600 end")) == "\"emoji \\ud83d\\ude00 end\"");
}

TEST_CASE("regex: each pattern keeps its own results for the same text", "[fastpath]") {
  const Regex digits("^[0-9]+$", false);
  const Regex letters("^[a-z]+$", false);
  for (int round = 0; round < 3; ++round) {
    CHECK(digits.search("12345"));
    CHECK_FALSE(letters.search("12345"));
    CHECK(letters.search("abc"));
    CHECK_FALSE(digits.search("abc"));
  }
  for (int round = 0; round < 3; ++round) {
    // a new pattern (possibly at a freed address) never sees an old result
    auto tmp = std::make_unique<Regex>(round % 2 ? "^x$" : "^y$", false);
    CHECK(tmp->search("x") == (round % 2 == 1));
  }
  const Regex caseless("^tcp$", true);
  CHECK(caseless.search("TCP"));
  CHECK(caseless.search("tcp\n"));  // Python's $ matches before a final newline
  CHECK_FALSE(caseless.search("tcpx"));
}

TEST_CASE("message: add by FieldSpec behaves as add by name", "[fastpath]") {
  auto h = harm();
  const FieldSpec* ip = h->find(MessageKind::Event, "source.ip");
  REQUIRE(ip != nullptr);
  Message a(MessageKind::Event, h), b(MessageKind::Event, h);
  CHECK(a.add(*ip, Value::string(" 10.0.0.1 ")) == AddResult::Added);
  CHECK(b.add("source.ip", Value::string(" 10.0.0.1 ")) == AddResult::Added);
  CHECK(a == b);
  CHECK(a.find("source.ip")->as_string() == "10.0.0.1");
  CHECK(error_of([&] { a.add(*ip, Value::string("10.0.0.2")); }) == ErrorKind::KeyExists);
  AddOptions o;
  o.overwrite = true;
  CHECK(error_of([&] { a.add(*ip, Value::string("not an ip"), o); }) == ErrorKind::InvalidValue);
  o.raise_failure = false;
  CHECK(a.add(*ip, Value::string("not an ip"), o) == AddResult::Rejected);
  CHECK(a.add(*ip, Value::string("N/A"), o) == AddResult::Ignored);
  CHECK_FALSE(a.contains("source.ip"));
  // a FieldSpec of another harmonization instance is looked up by its name
  auto other = Harmonization::from_file(INTELFLOW_DEFAULT_HARMONIZATION);
  const FieldSpec* foreign = other->find(MessageKind::Event, "source.port");
  REQUIRE(foreign != nullptr);
  CHECK(a.add(*foreign, Value::string("443")) == AddResult::Added);
  CHECK(a.find("source.port")->as_int() == 443);
}

TEST_CASE("message: unserialize gives the general result for unusual events", "[fastpath]") {
  auto h = harm();
  auto keys = [](const Message& m) { return m.keys(); };
  // duplicate key: the last value at the first position
  Message d = Message::unserialize(
      R"({"source.ip": "1.1.1.1", "feed.name": "x", "source.ip": "2.2.2.2", "__type": "Event"})",
      h);
  CHECK(keys(d) == std::vector<std::string>{"source.ip", "feed.name"});
  CHECK(d.find("source.ip")->as_string() == "2.2.2.2");
  // a value that is only valid after sanitizing, and an ignored one
  Message s = Message::unserialize(
      R"({"__type": "Event", "source.ip": " 1.2.3.4 ", "source.fqdn": "", "feed.name": "f"})", h);
  CHECK(keys(s) == std::vector<std::string>{"source.ip", "feed.name"});
  CHECK(s.find("source.ip")->as_string() == "1.2.3.4");
  // a Report, and the default kind
  Message r = Message::unserialize(R"({"feed.name": "f", "__type": "Report"})", h);
  CHECK(r.kind() == MessageKind::Report);
  CHECK(Message::unserialize(R"({"feed.name": "f"})", h, MessageKind::Report).kind() ==
        MessageKind::Report);
  CHECK(Message::unserialize(R"({"feed.name": "f"})", h, MessageKind::Event).kind() ==
        MessageKind::Event);
  CHECK(error_of([&] { Message::unserialize(R"({"feed.name": "f"})", h); }) == ErrorKind::KeyError);
  // escaped keys, sub-items, a JSONDict field
  Message e = Message::unserialize(
      R"({"feed\u002ename": "f", "extra": "{\"b\": 2}", "extra.a": 1, "__type": "Event"})", h);
  CHECK(keys(e) == std::vector<std::string>{"feed.name", "extra.b", "extra.a"});
  // "extra" after one of its items: the key exists already (as in the reference)
  CHECK(error_of([&] {
          Message::unserialize(R"({"extra.a": 1, "extra": "{\"b\": 2}", "__type": "Event"})", h);
        }) == ErrorKind::KeyExists);
  // errors keep their order: syntax after a bad value, UTF-8 before both
  CHECK(error_of([&] {
          Message::unserialize(R"({"source.ip": "bad", "__type": "Event"} x)", h);
        }) == ErrorKind::ValueError);
  CHECK(error_of([&] { Message::unserialize(R"({"source.ip": "bad", "__type": "Event"})", h); }) ==
        ErrorKind::InvalidValue);
  CHECK(error_of([&] {
          Message::unserialize(
              "{\"source.ip\": \"bad\", \"feed.name\": \"\xff\", "
              "\"__type\": \"Event\"}",
              h);
        }) == ErrorKind::DecodingError);
  std::string what;
  try {
    Message::unserialize(R"({"raw": "Zg=", "__type": "Event", "x": })", h);
  } catch (const HarmonizationError& err) {
    what = err.what();
  }
  CHECK(what.find("JSONDecodeError") != std::string::npos);  // not the base64 error
  CHECK(error_of([&] { Message::unserialize(R"({"no.such.key": 1, "__type": "Event"})", h); }) ==
        ErrorKind::InvalidKey);
}

TEST_CASE("message: copy re-adds what it has not checked as stored", "[fastpath]") {
  Message m(MessageKind::Event, harm());
  m.add("source.ip", Value::string("10.0.0.1"));
  m.add("raw", Value::string("line"));
  // extra's items are split out unchecked; the copy re-adds them, dropping
  // ignored values
  m.add("extra", Value::string(R"({"a": "", "b": "N/A", "c": 3})"));
  REQUIRE(m.contains("extra.a"));
  const Message c = m.copy();
  CHECK(c.keys() == std::vector<std::string>{"source.ip", "raw", "extra.c"});
  CHECK(c.find("raw")->as_string() == "bGluZQ==");
  CHECK(c.contains("source.ip"));
  Message c2 = c.copy();
  CHECK(c2 == c);
  CHECK(error_of([&] { c2.add("source.ip", Value::string("10.0.0.2")); }) == ErrorKind::KeyExists);
}

TEST_CASE("unserialize: escapes, control bytes and word boundaries at every offset", "[fastpath]") {
  // The one-pass reader finds string ends in a bitmap of 64-byte words; the
  // result must not depend on where a string, an escape or the end falls.
  for (std::size_t pad = 0; pad < 140; ++pad) {
    INFO(pad);
    const std::string filler(pad, 'a');
    Message m(MessageKind::Event, harm());
    m.add("feed.name", Value::string(filler + "say \"hi\"\n\\ caf\xC3\xA9"));
    m.add("extra.note", Value::string(filler + "x"));
    m.add("source.port", Value::integer(static_cast<std::int64_t>(pad) + 1));
    const std::string wire = m.serialize();
    const Message back = Message::unserialize(wire, harm());
    CHECK(back == m);
    CHECK(back.serialize() == wire);
    CHECK(back.find("feed.name")->as_string() == filler + "say \"hi\"\n\\ caf\xC3\xA9");

    // a raw control byte inside a string is a JSON syntax error (strict json.loads)
    const std::string bad = "{\"feed.name\": \"" + filler + "\x01\", \"__type\": \"Event\"}";
    CHECK(error_of([&] { Message::unserialize(bad, harm()); }) == ErrorKind::ValueError);
    // an unterminated string at the very end
    const std::string cut = "{\"feed.name\": \"" + filler;
    CHECK(error_of([&] { Message::unserialize(cut, harm()); }) == ErrorKind::ValueError);
    // invalid UTF-8 wins over everything else
    const std::string bad_utf8 = "{\"feed.name\": \"" + filler + "\xC3\", \"__type\": \"Event\"}";
    CHECK(error_of([&] { Message::unserialize(bad_utf8, harm()); }) == ErrorKind::DecodingError);
  }
}

TEST_CASE("message: to_json and hash order keys by their text, fields and sub-items mixed",
          "[fastpath]") {
  Message m(MessageKind::Event, harm());
  m.add("source.ip", Value::string("192.0.2.1"));
  m.add("extra.zeta", Value::integer(1));
  m.add("classification.type", Value::string("phishing"));
  m.add("extra.alpha", Value::string("a"));
  m.add("classification.taxonomy", Value::string("fraud"));
  m.add("feed.accuracy", Value::floating(50.0));
  CHECK(m.to_json() ==
        "{\"classification.taxonomy\": \"fraud\", \"classification.type\": \"phishing\", "
        "\"extra.alpha\": \"a\", \"extra.zeta\": 1, \"feed.accuracy\": 50.0, \"source.ip\": "
        "\"192.0.2.1\"}");
  CHECK(m.to_json(false, true) ==
        "{\"__type\": \"Event\", \"classification.taxonomy\": \"fraud\", \"classification.type\": "
        "\"phishing\", \"extra.alpha\": \"a\", \"extra.zeta\": 1, \"feed.accuracy\": 50.0, "
        "\"source.ip\": \"192.0.2.1\"}");
  std::vector<const Message::Entry*> order;
  m.sorted_entries(order);
  REQUIRE(order.size() == 6);
  CHECK(order[0]->key == "classification.taxonomy");
  CHECK(order[2]->key == "extra.alpha");
  CHECK(order[5]->key == "source.ip");
  // the same message built in another order hashes the same
  Message n(MessageKind::Event, harm());
  AddOptions as_is;
  as_is.sanitize = false;
  for (auto it = m.entries().rbegin(); it != m.entries().rend(); ++it)
    n.add(it->key, it->value, as_is);
  CHECK(n.hash() == m.hash());
  CHECK(n.hash({"extra.zeta", "source.ip"}, "whitelist") ==
        m.hash({"extra.zeta", "source.ip"}, "whitelist"));
  CHECK(n.hash({"extra.zeta"}) != n.hash());
}
