// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bots/experts/sieve/sieve_program.hpp"
#include "engine/api/testing.hpp"
#include "harmonization/datetime.hpp"

using intelflow::api::ConfigError;
using intelflow::api::testing::CaptureEmitter;
using intelflow::api::testing::TestBot;
using intelflow::harm::Message;
using intelflow::harm::Value;
namespace sieve = intelflow::bots::sieve;

namespace {

/// A sieve file in a temporary directory.
struct SieveFile {
  explicit SieveFile(const std::string& text) {
    char tmpl[] = "/tmp/intelflow-sieve-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/rules.sieve";
    std::ofstream(path) << text;
  }
  ~SieveFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir, path;
};

/// A bot running `rules`.
struct Sieve {
  explicit Sieve(const std::string& rules)
      : file(rules), bot("experts.sieve.expert", {{"file", Value::string(file.path)}}) {}
  SieveFile file;
  TestBot bot;

  Message event(std::vector<std::pair<std::string, Value>> fields) const {
    Message ev = bot.event();
    for (auto& [k, v] : fields) ev.add(k, std::move(v));
    return ev;
  }
  /// Runs one event and returns the single message sent on `_default`.
  Message one(std::vector<std::pair<std::string, Value>> fields) {
    Message ev = event(std::move(fields));
    CaptureEmitter out;
    bot.process(ev, out);
    REQUIRE(out.sent["_default"].size() == 1);
    return std::move(out.sent["_default"][0]);
  }
  /// Whether the event is forwarded at all.
  bool forwarded(std::vector<std::pair<std::string, Value>> fields) {
    Message ev = event(std::move(fields));
    CaptureEmitter out;
    bot.process(ev, out);
    return !out.sent["_default"].empty();
  }
};

/// The ConfigError message a rule file produces at start.
std::string load_error(const std::string& rules) {
  SieveFile f(rules);
  try {
    TestBot t("experts.sieve.expert", {{"file", Value::string(f.path)}});
  } catch (const ConfigError& e) {
    CHECK(e.param() == "file");
    std::string msg = e.what();
    const auto p = msg.find(f.path);
    REQUIRE(p != std::string::npos);
    return msg.substr(p + f.path.size());  // ":line:col: reason"
  }
  FAIL("the rule file was accepted");
  return {};
}

Value S(const char* s) {
  return Value::string(s);
}
Value I(std::int64_t i) {
  return Value::integer(i);
}

}  // namespace

// --- grammar and load errors
// ------------------------------------------------------------

TEST_CASE("sieve: syntax errors name line and column of the rule file", "[experts][sieve]") {
  CHECK(load_error("if comment == 'a' {\n  add comment = \n}\n").rfind(":3:1: unexpected '}'", 0) ==
        0);
  CHECK(load_error("if comment = 'a' { drop }").rfind(":1:12: unexpected '='", 0) == 0);
  CHECK(load_error("\n\n  frobnicate x\n").rfind(":3:3: unexpected 'frobnicate'", 0) == 0);
  CHECK(load_error("if comment == 'a' { drop ").find(":1:26: unexpected end of file") == 0);
  CHECK(load_error("if comment == 'a' drop") ==
        ":1:19: unexpected 'drop', expected '&&', '||' or '{'");
}

TEST_CASE("sieve: validation errors point at the offending token", "[experts][sieve]") {
  // Numeric comparison on a field that is not numeric, or not in the
  // harmonization.
  CHECK(load_error("if comment > 3 { drop }").rfind(":1:4: incompatible type", 0) == 0);
  CHECK(load_error("\nif extra.n >= 3 { drop }").rfind(":2:4: invalid key", 0) == 0);
  // A string compared with an IPAddress field must be an address.
  CHECK(load_error("if source.ip == '300.1.1.1' { drop }").rfind(":1:17: invalid IP address", 0) ==
        0);
  CHECK(load_error("if source.ip << ['10.0.0.0/8', '10.0.0.0/33'] { drop }")
            .rfind(":1:32: invalid IP range", 0) == 0);
  CHECK(load_error("if comment =~ '(' { drop }").rfind(":1:15: invalid regular expression", 0) ==
        0);
  CHECK(load_error("if time.source :before 'whenever' { drop }").rfind(":1:24: invalid date", 0) ==
        0);
  CHECK(load_error("add! time.source += 'a while'").rfind(":1:21: invalid relative time", 0) == 0);
  CHECK(load_error("add $x = 1").rfind(":1:5: a $variable cannot be the target", 0) == 0);
}

TEST_CASE("sieve: a missing rule file refuses the start", "[experts][sieve]") {
  CHECK_THROWS_AS(TestBot("experts.sieve.expert", {{"file", S("/nonexistent/x.sieve")}}),
                  ConfigError);
}

TEST_CASE("sieve: comments, empty files and whitespace are insignificant", "[experts][sieve]") {
  Sieve s("# only a comment\n// and another\n");
  CHECK(s.one({{"comment", S("x")}}).get("comment") == S("x"));
  Sieve t("if comment=='x'{add! comment='y'#c\n}//end");
  CHECK(t.one({{"comment", S("x")}}).get("comment") == S("y"));
}

TEST_CASE("sieve: string escapes keep other backslashes", "[experts][sieve]") {
  Sieve s(R"(if comment == 'it\'s' { update comment = "say \"hi\"" }
if comment =~ '^say "\w+"$' { add extra.ok = true })");
  Message r = s.one({{"comment", S("it's")}});
  CHECK(r.get("comment") == S("say \"hi\""));
  CHECK(r.get("extra.ok") == Value::boolean(true));
}

// --- conditions
// -----------------------------------------------------------------------------

TEST_CASE("sieve: string operators and absent keys", "[experts][sieve]") {
  Sieve s(R"(
if source.fqdn == 'a.example' { add extra.eq = true }
if source.fqdn != 'a.example' { add extra.ne = true }
if source.fqdn :contains 'example' { add extra.contains = true }
if source.fqdn =~ '^a\.' { add extra.re = true }
if source.fqdn !~ '^a\.' { add extra.nre = true }
)");
  Message r = s.one({{"source.fqdn", S("a.example")}});
  CHECK(r.contains("extra.eq"));
  CHECK_FALSE(r.contains("extra.ne"));
  CHECK(r.contains("extra.contains"));
  CHECK(r.contains("extra.re"));
  CHECK_FALSE(r.contains("extra.nre"));
  // Absent key: only != and !~ hold.
  Message a = s.one({});
  CHECK(a.contains("extra.ne"));
  CHECK(a.contains("extra.nre"));
  CHECK_FALSE(a.contains("extra.eq"));
  CHECK_FALSE(a.contains("extra.contains"));
  CHECK_FALSE(a.contains("extra.re"));
}

TEST_CASE("sieve: == compares the typed value, :contains and =~ its text", "[experts][sieve]") {
  Sieve s(R"(
if source.port == '80' { add extra.str_eq = true }
if source.port :contains '8' { add extra.contains = true }
if source.port =~ '^80$' { add extra.re = true }
if extra.obj =~ '"k": \[1, 2\]' { add extra.json = true }
)");
  Message r = s.one(
      {{"source.port", I(80)}, {"extra.obj", Value::dict({{"k", Value::list({I(1), I(2)})}})}});
  CHECK_FALSE(r.contains("extra.str_eq"));  // 80 is no string
  CHECK(r.contains("extra.contains"));
  CHECK(r.contains("extra.re"));
  CHECK(r.contains("extra.json"));
}

TEST_CASE("sieve: :in, :containsany and :regexin", "[experts][sieve]") {
  Sieve s(R"(
if classification.type :in ['c2-server', 'malware-configuration'] { add extra.in = true }
if source.fqdn :containsany ['.mx', '.zz'] { add extra.any = true }
if extra.tag :regexin ['ee$', 'ab.d'] { add extra.rin = true }
)");
  Message r = s.one({{"classification.type", S("c2-server")},
                     {"source.fqdn", S("x.zz")},
                     {"extra.tag", S("xabcd")}});
  CHECK(r.contains("extra.in"));
  CHECK(r.contains("extra.any"));
  CHECK(r.contains("extra.rin"));
  Message n = s.one({{"classification.type", S("scanner")},
                     {"source.fqdn", S("x.yy")},
                     {"extra.tag", S("eeab")}});
  CHECK_FALSE(n.contains("extra.in"));
  CHECK_FALSE(n.contains("extra.any"));
  CHECK_FALSE(n.contains("extra.rin"));
}

TEST_CASE("sieve: numeric operators compare by value", "[experts][sieve]") {
  Sieve s(R"(
if feed.accuracy == 100 { add extra.eq = true }
if feed.accuracy != 100 { add extra.ne = true }
if feed.accuracy < 50.5 { add extra.lt = true }
if feed.accuracy <= 50 { add extra.le = true }
if feed.accuracy > 50 { add extra.gt = true }
if feed.accuracy >= 50 { add extra.ge = true }
if destination.asn :in [20965, 6939] { add extra.in = true }
)");
  Message r = s.one({{"feed.accuracy", Value::floating(100.0)}, {"destination.asn", I(6939)}});
  CHECK(r.contains("extra.eq"));
  CHECK_FALSE(r.contains("extra.ne"));
  CHECK_FALSE(r.contains("extra.lt"));
  CHECK_FALSE(r.contains("extra.le"));
  CHECK(r.contains("extra.gt"));
  CHECK(r.contains("extra.ge"));
  CHECK(r.contains("extra.in"));
  Message f = s.one({{"feed.accuracy", Value::floating(50.0)}});
  CHECK(f.contains("extra.lt"));
  CHECK(f.contains("extra.le"));
  CHECK(f.contains("extra.ge"));
  CHECK_FALSE(f.contains("extra.gt"));
  CHECK_FALSE(f.contains("extra.in"));          // absent → false
  CHECK_FALSE(s.one({}).contains("extra.ne"));  // absent → false for every numeric operator
}

TEST_CASE("sieve: IP ranges, IPv4 and IPv6, host bits allowed", "[experts][sieve]") {
  Sieve s(R"(
if source.ip << '192.0.2.77/24' { add extra.v4 = true }
if source.ip << ['10.0.0.0/8', '2001:db8::/32'] { add extra.list = true }
if comment << '10.0.0.0/8' { add extra.comment = true }
)");
  CHECK(s.one({{"source.ip", S("192.0.2.1")}}).contains("extra.v4"));
  CHECK_FALSE(s.one({{"source.ip", S("192.0.3.1")}}).contains("extra.v4"));
  CHECK(s.one({{"source.ip", S("2001:db8::1")}}).contains("extra.list"));
  CHECK(s.one({{"source.ip", S("10.1.2.3")}}).contains("extra.list"));
  CHECK_FALSE(s.one({{"source.ip", S("2001:db9::1")}}).contains("extra.list"));
  // An unparsable value is a warning and no match.
  CHECK_FALSE(s.one({{"comment", S("300.300.300.300")}}).contains("extra.comment"));
  CHECK(s.one({{"comment", S("10.9.9.9")}}).contains("extra.comment"));
}

TEST_CASE("sieve: :exists, :notexists and booleans", "[experts][sieve]") {
  Sieve s(R"(
if :exists source.fqdn { add extra.e = true }
if :notexists source.fqdn { add extra.n = true }
if extra.flag == true { add extra.t = true }
if extra.flag != true { add extra.nt = true }
)");
  Message r = s.one({{"source.fqdn", S("a.example")}, {"extra.flag", Value::boolean(false)}});
  CHECK(r.contains("extra.e"));
  CHECK_FALSE(r.contains("extra.n"));
  CHECK_FALSE(r.contains("extra.t"));
  CHECK(r.contains("extra.nt"));
  // A non-boolean value never matches a boolean comparison.
  Message n = s.one({{"extra.flag", I(1)}});
  CHECK(n.contains("extra.n"));
  CHECK_FALSE(n.contains("extra.t"));
  CHECK_FALSE(n.contains("extra.nt"));
}

TEST_CASE("sieve: list operators need a list value", "[experts][sieve]") {
  Sieve s(R"(
if extra.l :equals ['a', 'b'] { add extra.eq = true }
if extra.l :setequals ['b', 'a', 'a'] { add extra.seq = true }
if extra.l :overlaps ['b', 'z'] { add extra.ov = true }
if extra.l :subsetof ['a', 'b', 'c'] { add extra.sub = true }
if extra.l :supersetof ['a'] { add extra.sup = true }
if extra.l :equals [] { add extra.empty = true }
if extra.t :equals [true, 2.5, 'x', 4] { add extra.typed = true }
)");
  Message r =
      s.one({{"extra.l", Value::list({S("a"), S("b")})},
             {"extra.t", Value::list({Value::boolean(true), Value::floating(2.5), S("x"), I(4)})}});
  for (const char* k :
       {"extra.eq", "extra.seq", "extra.ov", "extra.sub", "extra.sup", "extra.typed"})
    CHECK(r.contains(k));
  CHECK_FALSE(r.contains("extra.empty"));
  Message o = s.one({{"extra.l", Value::list({S("b"), S("a"), S("q")})}});
  CHECK_FALSE(o.contains("extra.eq"));
  CHECK_FALSE(o.contains("extra.seq"));
  CHECK(o.contains("extra.ov"));
  CHECK_FALSE(o.contains("extra.sub"));
  CHECK(o.contains("extra.sup"));
  CHECK(s.one({{"extra.l", Value::list({})}}).contains("extra.empty"));
  CHECK_FALSE(s.one({{"extra.l", S("a")}}).contains("extra.ov"));  // not a list
}

TEST_CASE("sieve: :before and :after with absolute and relative times", "[experts][sieve]") {
  intelflow::harm::datetime::set_clock_override(1'700'000'000);  // 2023-11-14T22:13:20Z
  Sieve s(R"(
if time.source :before '2020-01-01' { add extra.old = true }
if time.source :after '2020-01-01T00:00:00+02:00' { add extra.new = true }
if time.source :after '2 days' { add extra.recent = true }
)");
  Message a = s.one({{"time.source", S("2019-12-31T23:59:59+00:00")}});
  CHECK(a.contains("extra.old"));
  CHECK(a.contains("extra.new"));  // 2019-12-31T22:00:00Z is the limit
  CHECK_FALSE(a.contains("extra.recent"));
  Message b = s.one({{"time.source", S("2023-11-13T00:00:00+00:00")}});
  CHECK_FALSE(b.contains("extra.old"));
  CHECK(b.contains("extra.recent"));
  CHECK_FALSE(s.one({{"time.source", S("2023-11-12T00:00:00+00:00")}}).contains("extra.recent"));
  intelflow::harm::datetime::set_clock_override(std::nullopt);
}

TEST_CASE("sieve: precedence, parentheses and negation", "[experts][sieve]") {
  Sieve s(R"(
if comment == 'a' && source.port == 1 || comment == 'b' { add extra.p1 = true }
if comment == 'a' && (source.port == 1 || comment == 'b') { add extra.p2 = true }
if ! comment == 'a' { add extra.n1 = true }
if !(comment == 'a' || comment == 'b') { add extra.n2 = true }
)");
  Message b = s.one({{"comment", S("b")}});
  CHECK(b.contains("extra.p1"));
  CHECK_FALSE(b.contains("extra.p2"));
  CHECK(b.contains("extra.n1"));
  CHECK_FALSE(b.contains("extra.n2"));
  Message a = s.one({{"comment", S("a")}, {"source.port", I(1)}});
  CHECK(a.contains("extra.p1"));
  CHECK(a.contains("extra.p2"));
  CHECK_FALSE(a.contains("extra.n1"));
  CHECK(s.one({{"comment", S("c")}}).contains("extra.n2"));
}

// --- actions and flow
// -----------------------------------------------------------------------

TEST_CASE("sieve: add, add!, update, remove", "[experts][sieve]") {
  Sieve s(R"(
add comment = 'added'
add! source.port = 8080
update source.fqdn = 'updated.example'
update destination.fqdn = 'never.example'
remove classification.type
remove classification.identifier
add extra.f = 1.5
)");
  Message r = s.one({{"comment", S("keep me")},
                     {"source.port", I(80)},
                     {"source.fqdn", S("a.example")},
                     {"classification.type", S("scanner")}});
  CHECK(r.get("comment") == S("keep me"));
  CHECK(r.get("source.port") == I(8080));
  CHECK(r.get("source.fqdn") == S("updated.example"));
  CHECK_FALSE(r.contains("destination.fqdn"));
  CHECK_FALSE(r.contains("classification.type"));
  CHECK(r.get("extra.f") == Value::floating(1.5));
}

TEST_CASE("sieve: append and append!", "[experts][sieve]") {
  Sieve s(R"(
append extra.list 'c'
append extra.single 'x'
append extra.new 1
append! extra.single2 'more'
append! extra.new2 true
)");
  Message r = s.one({{"extra.list", Value::list({S("a"), S("b")})},
                     {"extra.single", S("s")},
                     {"extra.single2", S("s")}});
  CHECK(r.get("extra.list") == Value::list({S("a"), S("b"), S("c")}));
  CHECK(r.get("extra.single") == S("s"));  // not a list: left alone
  CHECK(r.get("extra.new") == Value::list({I(1)}));
  CHECK(r.get("extra.single2") == Value::list({S("s"), S("more")}));
  CHECK(r.get("extra.new2") == Value::list({Value::boolean(true)}));
}

TEST_CASE("sieve: += and -= move a timestamp by a relative time", "[experts][sieve]") {
  Sieve s(R"(
add! time.source += '1 hour'
update time.observation -= '2 days'
)");
  Message r = s.one({{"time.source", S("2020-01-01T23:30:00+00:00")},
                     {"time.observation", S("2020-03-01T00:00:00+00:00")}});
  CHECK(r.get("time.source") == S("2020-01-02T00:30:00+00:00"));
  CHECK(r.get("time.observation") == S("2020-02-28T00:00:00+00:00"));
  // add! += on an absent field fails the event.
  Message ev = s.event({});
  CaptureEmitter out;
  CHECK_THROWS(s.bot.process(ev, out));
}

TEST_CASE("sieve: an invalid value fails the event", "[experts][sieve]") {
  Sieve s("add source.ip = 'not an ip'");
  Message ev = s.event({});
  CaptureEmitter out;
  CHECK_THROWS(s.bot.process(ev, out));
}

TEST_CASE("sieve: drop and keep end processing", "[experts][sieve]") {
  Sieve s(R"(
if comment == 'drop' { drop }
if comment == 'keep' { keep }
add extra.after = true
)");
  Message ev = s.event({{"comment", S("drop")}});
  CaptureEmitter out;
  s.bot.process(ev, out);
  CHECK(out.sent["_default"].empty());
  REQUIRE(out.dropped.size() == 1);
  CHECK(out.dropped[0] == "drop at 2:24");
  CHECK_FALSE(s.one({{"comment", S("keep")}}).contains("extra.after"));
  CHECK(s.one({{"comment", S("other")}}).contains("extra.after"));
}

TEST_CASE("sieve: if/elif/else runs only the first matching clause, nested", "[experts][sieve]") {
  Sieve s(R"(
if comment == 'a' {
  if extra.x == '1' { add extra.r = 'a1' } elif extra.x == '2' { add extra.r = 'a2' }
  else { add extra.r = 'a-else' }
} elif comment =~ 'a|b' { add extra.r = 'b' }
else { add extra.r = 'else' }
)");
  CHECK(s.one({{"comment", S("a")}, {"extra.x", S("1")}}).get("extra.r") == S("a1"));
  CHECK(s.one({{"comment", S("a")}, {"extra.x", S("2")}}).get("extra.r") == S("a2"));
  CHECK(s.one({{"comment", S("a")}}).get("extra.r") == S("a-else"));
  CHECK(s.one({{"comment", S("b")}}).get("extra.r") == S("b"));
  CHECK(s.one({}).get("extra.r") == S("else"));
}

TEST_CASE("sieve: path routes, a list sends one copy per path", "[experts][sieve]") {
  Sieve s(R"(
if comment == 'one' { path 'one' }
if comment == 'both' { path ['one', 'two'] }
)");
  CaptureEmitter out({"_default", "one", "two"});
  Message ev = s.event({{"comment", S("both")}});
  s.bot.process(ev, out);
  CHECK(out.sent["_default"].empty());
  CHECK(out.sent["one"].size() == 1);
  CHECK(out.sent["two"].size() == 1);
  Message ev2 = s.event({{"comment", S("one")}});
  CaptureEmitter out2({"_default", "one"});
  s.bot.process(ev2, out2);
  CHECK(out2.sent["one"].size() == 1);
  // An unconfigured path is a pipeline error.
  Message ev3 = s.event({{"comment", S("both")}});
  CaptureEmitter out3({"_default", "one"});
  CHECK_THROWS(s.bot.process(ev3, out3));
}

TEST_CASE("sieve: variables hold a field value per event", "[experts][sieve]") {
  Sieve s(R"(
$src = source.ip
if destination.ip == $src { add extra.same = true }
if :exists $src { add! extra.copy = $src }
)");
  Message r = s.one({{"source.ip", S("10.0.0.1")}, {"destination.ip", S("10.0.0.1")}});
  CHECK(r.contains("extra.same"));
  CHECK(r.get("extra.copy") == S("10.0.0.1"));
  // Assigning an absent field fails the event.
  Message ev = s.event({});
  CaptureEmitter out;
  CHECK_THROWS(s.bot.process(ev, out));
}

// --- helpers
// ---------------------------------------------------------------------------------

TEST_CASE("sieve: relative times are IntelMQ's parse_relative (whole minutes)",
          "[experts][sieve]") {
  CHECK(sieve::parse_relative_minutes("1 hour") == 60);
  CHECK(sieve::parse_relative_minutes("2 days") == 2880);
  CHECK(sieve::parse_relative_minutes("3 months") == 3 * 30 * 1440);
  CHECK(sieve::parse_relative_minutes("90 seconds") == 1);
  CHECK(sieve::parse_relative_minutes("30 second") == 0);
  CHECK_FALSE(sieve::parse_relative_minutes("1 fortnight"));
  CHECK_FALSE(sieve::parse_relative_minutes("-1 hour"));
  CHECK_FALSE(sieve::parse_relative_minutes("hour"));
}

TEST_CASE("sieve: UTC isoformat parsing and formatting", "[experts][sieve]") {
  CHECK(sieve::parse_utc_isoformat("1970-01-01T00:00:01+00:00") == 1'000'000);
  CHECK(sieve::parse_utc_isoformat("1970-01-01T00:00:00.5+00:00") == 500'000);
  CHECK_FALSE(sieve::parse_utc_isoformat("2020-02-30T00:00:00+00:00"));
  CHECK_FALSE(sieve::parse_utc_isoformat("2020-01-01T00:00:00+01:00"));
  CHECK(sieve::format_utc_isoformat(1'000'000) == "1970-01-01T00:00:01+00:00");
  CHECK(sieve::format_utc_isoformat(-1) == "1969-12-31T23:59:59.999999+00:00");
}
