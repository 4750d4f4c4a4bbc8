// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "harmonization/datetime.hpp"
#include "harmonization/message.hpp"

using namespace intelflow::harm;

namespace {

std::shared_ptr<const Harmonization> harm() {
  return Harmonization::default_instance();
}

Message event() {
  return Message(MessageKind::Event, harm());
}

/// The ErrorKind thrown by f, or nullopt when it returned.
template <class F>
std::optional<ErrorKind> error_of(F&& f) {
  try {
    f();
  } catch (const HarmonizationError& e) {
    return e.kind();
  }
  return std::nullopt;
}

AddOptions overwrite(bool o) {
  AddOptions a;
  a.overwrite = o;
  return a;
}

AddOptions unsanitized() {
  AddOptions a;
  a.sanitize = false;
  return a;
}

Value s(const char* x) {
  return Value::string(x);
}

}  // namespace

TEST_CASE("message: add stores the sanitized value and get returns it", "[message]") {
  Message m = event();
  CHECK(m.add("source.ip", s(" 192.0.2.1 ")) == AddResult::Added);
  CHECK(m.getitem("source.ip") == s("192.0.2.1"));
  CHECK(m.add("source.port", s("80")) == AddResult::Added);
  CHECK(m.getitem("source.port").is_int());
  CHECK(m.keys() == std::vector<std::string>{"source.ip", "source.port"});
}

TEST_CASE(
    "message: add on an existing key raises KeyExists, overwrite=false rejects, true replaces in "
    "place",
    "[message]") {
  Message m = event();
  m.add("comment", s("a"));
  m.add("feed.name", s("f"));
  CHECK(error_of([&] { m.add("comment", s("b")); }) == ErrorKind::KeyExists);
  CHECK(m.add("comment", s("b"), overwrite(false)) == AddResult::Rejected);
  CHECK(m.getitem("comment") == s("a"));
  CHECK(m.add("comment", s("c"), overwrite(true)) == AddResult::Added);
  CHECK(m.serialize() == R"({"comment": "c", "feed.name": "f", "__type": "Event"})");
}

TEST_CASE("message: null, empty, '-' and 'N/A' are ignored before key validation", "[message]") {
  Message m = event();
  for (const Value& v : {Value(), s(""), s("-"), s("N/A")}) {
    CHECK(m.add("nonsense", v) == AddResult::Ignored);
    CHECK(m.add("feed.name", v) == AddResult::Ignored);
  }
  CHECK(m.empty());
  CHECK(m.add("feed.name", s("n/a")) == AddResult::Added);  // case-sensitive
  CHECK(m.add("feed.name", s("-"), overwrite(true)) == AddResult::Ignored);
  CHECK_FALSE(m.contains("feed.name"));  // overwrite with an ignored value deletes
  CHECK(m.add("feed.code", s(" - ")) == AddResult::Added);  // padded markers are stored (sanitized)
  CHECK(m.getitem("feed.code") == s("-"));
}

TEST_CASE("message: invalid keys raise InvalidKey", "[message]") {
  Message m = event();
  for (const char* k :
       {"nonsense", "Comment", "comment ", "", ".", "source..ip", "source.ip.", "source.IP", "feed",
        "feed.foo", "feed.name.x", "extra.\xc3\xbc", "extra.A", "extra.a-b"}) {
    INFO(k);
    CHECK(error_of([&] { m.add(k, s("x")); }) == ErrorKind::InvalidKey);
  }
  CHECK(error_of([&] { m.is_valid("nonsense", s("x")); }) == ErrorKind::InvalidKey);
}

TEST_CASE("message: a sub-item of a non-JSONDict field passes the key check and fails in the type",
          "[message]") {
  Message m = event();
  CHECK(error_of([&] { m.add("comment.foo", s("x")); }) == ErrorKind::ValueError);
  CHECK(error_of([&] { m.add("raw.x", s("x"), unsanitized()); }) == ErrorKind::ValueError);
  CHECK(error_of([&] { m.is_valid("comment.foo", s("x"), false); }) == ErrorKind::ValueError);
  CHECK(m.empty());
}

TEST_CASE("message: invalid values raise InvalidValue or return Rejected without raise_failure",
          "[message]") {
  Message m = event();
  CHECK(error_of([&] { m.add("source.asn", s("AS0")); }) == ErrorKind::InvalidValue);
  CHECK(error_of([&] { m.add("comment", s("\r\n")); }) == ErrorKind::InvalidValue);
  AddOptions quiet;
  quiet.raise_failure = false;
  CHECK(m.add("comment", s("\r\n"), quiet) == AddResult::Rejected);
  quiet.sanitize = false;
  CHECK(m.add("classification.taxonomy", s("Malicious Code"), quiet) == AddResult::Rejected);
  CHECK(m.add("comment", s("\r\n"), quiet) ==
        AddResult::Added);  // unsanitized: a non-empty str is valid
  CHECK(m.getitem("comment") == s("\r\n"));
}

TEST_CASE("message: length counts code points of str(value), regexes use re.search semantics",
          "[message]") {
  Message m = event();
  CHECK(error_of([&] { m.add("source.port", Value::integer(123456)); }) == ErrorKind::InvalidValue);
  CHECK(m.add("source.port", Value::integer(99999)) == AddResult::Added);
  CHECK(m.add("feed.code", Value::string(std::string(50, '\0').replace(0, 50, 50, 'a'))) ==
        AddResult::Added);
  std::string umlauts;
  for (int i = 0; i < 100; ++i) umlauts += "\xc3\xa4";
  CHECK(m.add("feed.code", Value::string(umlauts), overwrite(true)) ==
        AddResult::Added);  // 100 code points
  CHECK(error_of([&] { m.add("feed.code", Value::string(umlauts + "a"), overwrite(true)); }) ==
        ErrorKind::InvalidValue);
  // Python's "$" also matches before a trailing newline
  CHECK(m.add("protocol.transport", s("tcp\n"), unsanitized()) == AddResult::Added);
  CHECK(error_of([&] { m.add("event_hash", s("XYZ")); }) == ErrorKind::InvalidValue);
  CHECK(m.add("event_hash", s("abc123")) == AddResult::Added);
  CHECK(m.getitem("event_hash") == s("ABC123"));
}

TEST_CASE("message: the ignore argument uses Python's `in`", "[message]") {
  Message m = event();
  Value list = Value::list({s("x"), Value::integer(5)});
  AddOptions o;
  o.ignore = &list;
  CHECK(m.add("comment", s("x"), o) == AddResult::Ignored);
  CHECK(m.add("rtir_id", Value::floating(5.0), o) == AddResult::Ignored);  // 5.0 == 5
  Value text = s("unknown");
  o.ignore = &text;
  CHECK(m.add("comment", s("know"), o) == AddResult::Ignored);  // substring test on a str
  CHECK(error_of([&] { m.add("rtir_id", Value::integer(1), o); }) == ErrorKind::InvalidArgument);
  Value number = Value::integer(3);
  o.ignore = &number;
  CHECK(error_of([&] { m.add("comment", s("y"), o); }) == ErrorKind::InvalidArgument);
  CHECK(m.empty());
}

TEST_CASE("message: adding extra explodes the JSON object into extra.* items", "[message]") {
  Message m = event();
  Value d = Value::dict({{"b", Value::integer(1)}, {"a", Value::dict({{"x", s("")}})}});
  CHECK(m.add("extra", d) == AddResult::Added);
  CHECK(m.keys() == std::vector<std::string>{"extra.a", "extra.b"});  // sorted keys on encoding
  CHECK(m.getitem("extra.a") == Value::dict({{"x", s("")}}));
  CHECK(m.getitem("extra") == s(R"({"a": {"x": ""}, "b": 1})"));
  CHECK(m.contains("extra"));
  CHECK(error_of([&] {
          m.add("extra", Value::dict({{"q", Value::integer(1)}}));
        }) == ErrorKind::KeyExists);
  CHECK(m.add("extra", Value::dict({{"q", Value::integer(1)}}), overwrite(true)) ==
        AddResult::Added);
  CHECK(m.keys() == std::vector<std::string>{"extra.q"});
  CHECK(error_of([&] { m.add("extra", s("{}"), overwrite(true)); }) == ErrorKind::InvalidValue);
  CHECK(m.add("extra.c", s("")) == AddResult::Ignored);
  // members are stored even when empty or "-", and their names are not validated
  CHECK(m.add("extra", s(R"({"e": "-", "A-b": null})"), overwrite(true)) == AddResult::Added);
  CHECK(m.keys() == std::vector<std::string>{"extra.e", "extra.A-b"});
  CHECK(m.getitem("extra.A-b").is_null());
}

TEST_CASE("message: extra sub-items take any JSON value unsanitized", "[message]") {
  Message m = event();
  CHECK(m.add("extra.int", Value::integer(1)) == AddResult::Added);
  CHECK(m.add("extra.list", Value::list({Value::integer(1), s("a")})) == AddResult::Added);
  CHECK(m.add("extra.str", s("  padded ")) == AddResult::Added);
  CHECK(m.getitem("extra.str") == s("  padded "));
  CHECK(m.serialize() ==
        R"({"extra.int": 1, "extra.list": [1, "a"], "extra.str": "  padded ", "__type": "Event"})");
}

TEST_CASE("message: getitem raises KeyError for absent keys, get returns the default",
          "[message]") {
  Message m = event();
  m.add("comment", s("c"));
  CHECK(error_of([&] { m.getitem("source.ip"); }) == ErrorKind::KeyError);
  CHECK(error_of([&] { m.getitem("extra"); }) == ErrorKind::KeyError);
  CHECK(error_of([&] { m.getitem("feed"); }) == ErrorKind::KeyError);
  CHECK(m.get("feed", Value::integer(1)) == Value::integer(1));
  CHECK(m.get("comment.sub", Value::integer(2)) == Value::integer(2));
  CHECK(m.get("missing.key").is_null());
  CHECK(m.get("comment") == s("c"));
  m.set_default_value(s("X"));
  CHECK(m.getitem("source.ip") == s("X"));
  CHECK(m.getitem("extra.nope") == s("X"));
  CHECK(error_of([&] { m.getitem("extra"); }) == ErrorKind::KeyError);
  CHECK(error_of([&] { m.getitem("foo"); }) == ErrorKind::KeyError);
}

TEST_CASE("message: change needs an existing key, change to null deletes", "[message]") {
  Message m = event();
  CHECK(error_of([&] { m.change("comment", s("x")); }) == ErrorKind::KeyNotExists);
  m.add("comment", s("a"));
  CHECK(m.change("comment", s(" b ")) == AddResult::Added);
  CHECK(m.getitem("comment") == s("b"));
  CHECK(m.change("comment", Value()) == AddResult::Ignored);
  CHECK_FALSE(m.contains("comment"));
}

TEST_CASE("message: update applies items in order and keeps those applied before a failure",
          "[message]") {
  Message m = event();
  m.add("comment", s("a"));
  m.add("feed.name", s("n"));
  m.update({{"comment", s("b")},
            {"feed.name", Value()},
            {"source.ip", s(" 192.0.2.1 ")},
            {"source.port", s("80")},
            {"extra", Value::dict({{"k", s("v")}})}});
  CHECK(m.keys() == std::vector<std::string>{"comment", "source.ip", "source.port", "extra.k"});
  CHECK(m.getitem("source.port") == Value::integer(80));
  CHECK(error_of([&] {
          m.update({{"rtir_id", Value::integer(1)}, {"foo.bar", s("x")}, {"status", s("s")}});
        }) == ErrorKind::InvalidKey);
  CHECK(m.contains("rtir_id"));
  CHECK_FALSE(m.contains("status"));
}

TEST_CASE("message: remove raises KeyError for absent keys, removing extra drops all sub-items",
          "[message]") {
  Message m = event();
  m.remove("extra");  // no error without sub-items
  CHECK(error_of([&] { m.remove("comment"); }) == ErrorKind::KeyError);
  m.add("extra.a", Value::integer(1));
  m.add("extra.b.c", Value::integer(2));
  m.add("comment", s("c"));
  CHECK(error_of([&] { m.remove("extra.zzz"); }) == ErrorKind::KeyError);
  m.remove("extra");
  CHECK(m.keys() == std::vector<std::string>{"comment"});
  CHECK(m.erase("comment"));
  CHECK_FALSE(m.erase("comment"));
}

TEST_CASE("message: finditems returns items whose key starts with the prefix", "[message]") {
  Message m = event();
  m.add("feed.url", s("https://example.com/"));
  m.add("feed.name", s("Lorem"));
  m.add("comment", s("c"));
  auto items = m.finditems("feed.");
  REQUIRE(items.size() == 2);
  CHECK(items[0].first == "feed.url");
  CHECK(m.finditems("feed.n").size() == 1);
}

TEST_CASE("message: is_valid sanitizes optionally and treats ignored values as invalid",
          "[message]") {
  Message m = event();
  CHECK(m.is_valid("classification.taxonomy", s("Malicious Code")));
  CHECK_FALSE(m.is_valid("classification.taxonomy", s("Malicious Code"), false));
  CHECK_FALSE(m.is_valid("comment", s("N/A")));
  CHECK(m.is_valid("extra.x", Value::list({})));
  CHECK(m.empty());
}

TEST_CASE("message: hash matches the reference test vector and skips time.observation",
          "[message]") {
  Message m = event();
  m.add("feed.name", s("Example"));
  m.add("feed.url", s("https://example.com/"));
  m.add("raw", s("bG9yZW0gaXBzdW0="), unsanitized());
  const std::string expected = "d04aa050afdc58a39329c78c3b59ce6fb6f11effe180fe8084b4f1e89007de71";
  CHECK(m.hash() == expected);
  m.add("time.observation", s("2015-01-01T13:37:00+00:00"), unsanitized());
  CHECK(m.hash() == expected);
  CHECK(m.hash({"feed.name"}, "whitelist") != expected);
  CHECK(m.hash({"comment"}, "blacklist") == expected);
  CHECK(error_of([&] { m.hash({}, "greylist"); }) == ErrorKind::InvalidArgument);
  CHECK(Message(MessageKind::Event, harm()).hash() ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("message: serialize keeps insertion order, escapes non-ASCII, writes Python floats",
          "[message]") {
  Message m = event();
  m.add("source.geolocation.latitude", Value::integer(48));  // Float sanitize → 48.0
  m.add("comment", s("Gr\xc3\xbc\xc3\x9f"
                     "e \xf0\x9f\x98\x80"));
  m.add("feed.accuracy", Value::integer(50));
  m.add("extra.big", Value::floating(1e16));
  CHECK(m.serialize() ==
        R"({"source.geolocation.latitude": 48.0, "comment": "Gr\u00fc\u00dfe \ud83d\ude00", )"
        R"("feed.accuracy": 50.0, "extra.big": 1e+16, "__type": "Event"})");
  CHECK(Message(MessageKind::Report, harm()).serialize() == R"({"__type": "Report"})");
}

TEST_CASE("message: non-finite floats are stored and serialized bare", "[message]") {
  Message m = event();
  m.add("source.geolocation.latitude", s("nan"));
  m.add("source.geolocation.longitude", s("-inf"));
  CHECK(error_of([&] { m.add("feed.accuracy", s("inf")); }) == ErrorKind::InvalidValue);
  CHECK(
      m.serialize() ==
      R"({"source.geolocation.latitude": NaN, "source.geolocation.longitude": -Infinity, "__type": "Event"})");
  Message back = Message::unserialize(m.serialize(), harm());
  CHECK(std::isnan(back.getitem("source.geolocation.latitude").as_float()));
}

TEST_CASE("message: a stored __type key breaks serialize and copy but not hash", "[message]") {
  Message m = event();
  CHECK(m.add("__type", s("Report")) == AddResult::Added);
  CHECK(error_of([&] { m.serialize(); }) == ErrorKind::KeyExists);
  CHECK(error_of([&] { m.copy(); }) == ErrorKind::KeyExists);
  CHECK(error_of([&] { m.getitem("__type"); }) == ErrorKind::ValueError);
  CHECK(m.hash().size() == 64);
}

TEST_CASE(
    "message: to_dict flat, hierarchical, with type and jsondict as string; to_json sorted UTF-8",
    "[message]") {
  Message m = event();
  m.add("extra.foo", s("bar"));
  m.add("extra.a.b", Value::integer(1));
  m.add("comment", s("\xc3\xa4"));
  m.add("feed.name", s("f"));
  CHECK(m.to_dict() == Value::dict({{"extra.foo", s("bar")},
                                    {"extra.a.b", Value::integer(1)},
                                    {"comment", s("\xc3\xa4")},
                                    {"feed.name", s("f")}}));
  Value h = m.to_dict(true, true);
  CHECK(h.as_dict().front().first == "__type");
  CHECK(h == Value::dict({{"__type", s("Event")},
                          {"extra", Value::dict({{"foo", s("bar")},
                                                 {"a", Value::dict({{"b", Value::integer(1)}})}})},
                          {"comment", s("\xc3\xa4")},
                          {"feed", Value::dict({{"name", s("f")}})}}));
  Value j = m.to_dict(false, false, true);
  CHECK(j == Value::dict({{"comment", s("\xc3\xa4")},
                          {"feed.name", s("f")},
                          {"extra", s(R"({"foo": "bar", "a.b": 1})")}}));
  CHECK(m.to_json() ==
        "{\"comment\": \"\xc3\xa4\", \"extra.a.b\": 1, \"extra.foo\": \"bar\", \"feed.name\": "
        "\"f\"}");
  CHECK(m.to_json(true) ==
        "{\"comment\": \"\xc3\xa4\", \"extra\": {\"a\": {\"b\": 1}, \"foo\": \"bar\"}, \"feed\": "
        "{\"name\": \"f\"}}");
}

TEST_CASE(
    "message: hierarchical to_dict merges deeper keys into a stored dict value (reference quirk)",
    "[message]") {
  Message m = event();
  m.add("extra", Value::dict({{"a", Value::dict({{"b", Value::integer(1)}})}}));
  m.add("extra.a.c", Value::integer(2));
  CHECK(m.to_dict() == Value::dict({{"extra.a", Value::dict({{"b", Value::integer(1)}})},
                                    {"extra.a.c", Value::integer(2)}}));
  m.to_dict(true);
  CHECK(m.getitem("extra.a") == Value::dict({{"b", Value::integer(1)}, {"c", Value::integer(2)}}));
  // a later flat key replaces a nested one; a scalar under a deeper key is a TypeError
  Message n = event();
  n.add("extra.a.b", Value::integer(2));
  n.add("extra.a", Value::integer(1));
  CHECK(n.getitem("extra") == s(R"({"a": 1})"));
  Message o = event();
  o.add("extra.a", Value::integer(1));
  o.add("extra.a.b", Value::integer(2));
  CHECK(error_of([&] { o.to_dict(true); }) == ErrorKind::ValueError);
}

TEST_CASE("message: unserialize normalises values, drops ignored ones and explodes nested extra",
          "[message]") {
  Message m = Message::unserialize(
      R"({"__type": "Event", "source.ip": " 192.0.2.1 ", "extra": {"a": 1, "b": {"c": 2}}, "source.port": "80",)"
      R"( "comment": "", "feed.accuracy": 50, "raw": "Zm9v"})",
      harm());
  CHECK(m.kind() == MessageKind::Event);
  CHECK(m.keys() == std::vector<std::string>{"source.ip", "extra.a", "extra.b", "source.port",
                                             "feed.accuracy", "raw"});
  CHECK(m.getitem("source.port") == Value::integer(80));
  CHECK(m.getitem("feed.accuracy").is_int());  // valid as given: not sanitized to a float
  CHECK(m.serialize() ==
        R"({"source.ip": "192.0.2.1", "extra.a": 1, "extra.b": {"c": 2}, "source.port": 80, )"
        R"("feed.accuracy": 50, "raw": "Zm9v", "__type": "Event"})");
  Message r = Message::unserialize(R"({"feed.name": "x", "__type": "Report"})", harm());
  CHECK(r.kind() == MessageKind::Report);
  CHECK_FALSE(r.contains("time.observation"));
}

TEST_CASE("message: unserialize duplicate keys keep the first position and the last value",
          "[message]") {
  Message m = Message::unserialize(
      R"({"comment": "a", "feed.name": "f", "comment": "b", "__type": "Event"})", harm());
  CHECK(m.keys() == std::vector<std::string>{"comment", "feed.name"});
  CHECK(m.getitem("comment") == s("b"));
  Message e = Message::unserialize(R"({"co\u006dment": "\u00e9", "__type": "Event"})", harm());
  CHECK(e.getitem("comment") == s("\xc3\xa9"));
}

TEST_CASE("message: unserialize errors", "[message]") {
  CHECK(error_of([] { Message::unserialize(R"({"feed.name": "x"})", harm()); }) ==
        ErrorKind::KeyError);
  CHECK(Message::unserialize(R"({"feed.name": "x"})", harm(), MessageKind::Report).kind() ==
        MessageKind::Report);
  CHECK(error_of([] { Message::unserialize(R"({"__type": "Message"})", harm()); }) ==
        ErrorKind::InvalidArgument);
  CHECK(error_of([] { Message::unserialize(R"({"__type": "Foo"})", harm()); }) ==
        ErrorKind::InvalidArgument);
  CHECK(error_of([] {
          Message::unserialize("{\"comment\": \"\xff\", \"__type\": \"Event\"}", harm());
        }) == ErrorKind::DecodingError);
  CHECK(error_of([] { Message::unserialize(R"({"comment": "x",)", harm()); }) ==
        ErrorKind::ValueError);
  // the bytes are decoded before parsing: invalid UTF-8 wins over a syntax error
  CHECK(error_of([] { Message::unserialize("{\"comment\": 1 \xc3", harm()); }) ==
        ErrorKind::DecodingError);
  CHECK(error_of([] {  // an encoded surrogate is not UTF-8
          Message::unserialize("{\"comment\": \"\xed\xa0\x80\", \"__type\": \"Event\"}", harm());
        }) == ErrorKind::DecodingError);
  CHECK(Message::unserialize("{\"comment\": \"\xc3\xa4\xf0\x9f\x98\x80\", \"__type\": \"Event\"}",
                             harm())
            .getitem("comment") == s("\xc3\xa4\xf0\x9f\x98\x80"));
  CHECK(error_of([] { Message::unserialize(R"([1])", harm()); }) == ErrorKind::ValueError);
  CHECK(error_of([] {
          Message::unserialize(R"({"source.asn": "AS0", "__type": "Event"})", harm());
        }) == ErrorKind::InvalidValue);
  CHECK(error_of([] { Message::unserialize(R"({"nonsense": 1, "__type": "Event"})", harm()); }) ==
        ErrorKind::InvalidKey);
}

TEST_CASE("message: from_dict and from_pairs build like the reference constructors", "[message]") {
  Message m = Message::from_dict({{"__type", s("Event")}, {"source.port", s("80")}}, harm());
  CHECK(m.kind() == MessageKind::Event);
  CHECK(m.getitem("source.port") == Value::integer(80));
  Message p =
      Message::from_pairs(MessageKind::Event, {{"raw", s("abcd")}, {"comment", s("x")}}, harm());
  CHECK(p.getitem("raw") == s("abcd"));  // valid base64 as given: kept
  CHECK(error_of([] {
          Message::from_pairs(MessageKind::Event, {{"source.asn", s("x")}}, harm());
        }) == ErrorKind::InvalidValue);
}

TEST_CASE("message: a collector's Report gets time.observation = now, parsed ones do not",
          "[message]") {
  datetime::set_clock_override(1718452800);  // 2024-06-15T12:00:00Z
  Message r = Message::new_report(harm());
  CHECK(r.getitem("time.observation") == s("2024-06-15T12:00:00+00:00"));
  Message a = Message::from_pairs(MessageKind::Report, {}, harm(), false);
  CHECK(a.contains("time.observation"));
  Message b = Message::from_pairs(MessageKind::Report, {}, harm(), true);
  CHECK_FALSE(b.contains("time.observation"));
  datetime::set_clock_override(std::nullopt);
}

TEST_CASE(
    "message: Event from Report copies feed fields, rtir_id, time.observation and listed fields",
    "[message]") {
  Message r(MessageKind::Report, harm());
  r.add("feed.name", s("Feed"));
  r.add("rtir_id", Value::integer(1337));
  r.add("extra.file_name", s("data.csv"));
  r.add("extra.other", s("o"));
  r.add("raw", s("bG9yZW0gaXBzdW0="), unsanitized());
  r.add("time.observation", s("2015-01-01T13:37:00+00:00"), unsanitized());
  Message e = Message::event_from_report(r);
  CHECK(e.keys() == std::vector<std::string>{"feed.name", "rtir_id", "time.observation"});
  Message f =
      Message::event_from_report(r, {"extra.file_name", "raw", "extra.missing", "feed.name"});
  CHECK(f.keys() == std::vector<std::string>{"feed.name", "rtir_id", "time.observation",
                                             "extra.file_name", "raw"});
  CHECK(f.getitem("raw") == s("bG9yZW0gaXBzdW0="));
}

TEST_CASE("message: Report from Event keeps report keys only", "[message]") {
  Message e = event();
  e.add("feed.code", s("adasd"));
  e.add("source.fqdn", s("example.com"));
  e.add("extra.x", Value::integer(1));
  e.add("time.observation", s("2015-01-01T13:37:00+00:00"), unsanitized());
  Message r = Message::report_from_event(e, true);
  CHECK(r.kind() == MessageKind::Report);
  CHECK(r.keys() == std::vector<std::string>{"feed.code", "extra.x", "time.observation"});
}

TEST_CASE("message: copy and deep_copy rebuild the message, equality is by class and content",
          "[message]") {
  Message r(MessageKind::Report, harm());
  r.add("feed.name", s("Example"));
  r.add("extra.a", Value::integer(1));
  Message c = r.copy();
  CHECK(c == r);
  CHECK(c.kind() == MessageKind::Report);
  CHECK_FALSE(c.contains("time.observation"));
  CHECK(r.deep_copy() == r);
  Message e = event();
  e.add("feed.name", s("Example"));
  e.add("extra.a", Value::floating(1.0));
  CHECK_FALSE(e == r);  // different class
  Message e2 = event();
  e2.add("extra.a", Value::integer(1));
  e2.add("feed.name", s("Example"));
  CHECK(e == e2);  // order-insensitive, 1 == 1.0
}

TEST_CASE("message: copy_and_change equals copy() then change(), keeping the key's position",
          "[message]") {
  Message r(MessageKind::Report, harm());
  r.add("feed.name", s("Example"));
  r.add("raw", s("bG9uZyByZXBvcnQ="), unsanitized());
  r.add("extra.a", Value::integer(1));
  r.add("feed.url", s("http://example.com/"));

  Message expected = r.copy();
  expected.change("raw", s("one line"));
  Message got = r.copy_and_change("raw", s("one line"));
  CHECK(got == expected);
  CHECK(got.serialize() == expected.serialize());  // same order: raw stays second
  CHECK(got.getitem("raw") == s("b25lIGxpbmU="));
  CHECK(r.getitem("raw") == s("bG9uZyByZXBvcnQ="));  // the original is untouched

  // an ignored value removes the key, as change() does
  Message removed = r.copy_and_change("raw", s(""));
  CHECK_FALSE(removed.contains("raw"));
  CHECK(removed.keys() == std::vector<std::string>{"feed.name", "extra.a", "feed.url"});

  // an absent key raises KeyNotExists; an invalid value InvalidValue
  Message no_raw(MessageKind::Report, harm());
  no_raw.add("feed.name", s("Example"));
  CHECK(error_of([&] { (void)no_raw.copy_and_change("raw", s("x")); }) == ErrorKind::KeyNotExists);
  CHECK(error_of([&] { (void)r.copy_and_change("feed.url", s("no url")); }) ==
        ErrorKind::InvalidValue);
  CHECK(error_of([&] { (void)r.copy_and_change("feed.url", s("no url")); }) ==
        error_of([&] { r.copy().change("feed.url", s("no url")); }));
}

TEST_CASE("message: clone copies entries, order and presence as they are", "[message]") {
  Message r(MessageKind::Report, harm());
  r.add("feed.name", s("Example"));
  r.add("feed.url", s("http://example.com/"));
  r.add("time.observation", s("2024-01-01T00:00:00+00:00"));
  const Message tmpl = Message::event_from_report(r);
  Message a = tmpl.clone();
  CHECK(a == tmpl);
  CHECK(a.serialize() == tmpl.serialize());
  CHECK(a.contains("feed.url"));
  CHECK(a.add("source.ip", s("192.0.2.1")) == AddResult::Added);
  CHECK_FALSE(tmpl.contains("source.ip"));  // independent of the template
  CHECK(error_of([&] { a.add("feed.name", s("Other")); }) == ErrorKind::KeyExists);
  Message b = Message::event_from_report(r);
  b.add("source.ip", s("192.0.2.1"));
  CHECK(a.serialize() == b.serialize());
}
