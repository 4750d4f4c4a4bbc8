// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <stdexcept>

#include "harmonization/harmonization.hpp"

using namespace intelflow::harm;

namespace {
std::shared_ptr<const Harmonization> harm() {
  return Harmonization::default_instance();
}
const FieldSpec& field(std::string_view name) {
  const FieldSpec* f = harm()->find(MessageKind::Event, name);
  REQUIRE(f);
  return *f;
}
}  // namespace

TEST_CASE("harmonization: find resolves every field of both kinds and nothing else",
          "[harmonization]") {
  auto h = harm();
  CHECK(h->fields(MessageKind::Event).size() == 82);
  CHECK(h->fields(MessageKind::Report).size() == 10);
  for (auto kind : {MessageKind::Event, MessageKind::Report})
    for (const auto& f : h->fields(kind)) {
      CHECK(h->find(kind, f.name) == &f);
      CHECK(&h->fields(kind)[f.id] == &f);
    }
  CHECK(h->find(MessageKind::Event, "source.ipx") == nullptr);
  CHECK(h->find(MessageKind::Event, "") == nullptr);
  CHECK(h->find(MessageKind::Report, "source.ip") == nullptr);
  CHECK(h->is_jsondict_field(MessageKind::Event, "extra"));
  CHECK_FALSE(h->is_jsondict_field(MessageKind::Event, "comment"));
  CHECK(h->parent_field(MessageKind::Event, "extra.a.b") == h->find(MessageKind::Event, "extra"));
  CHECK(h->parent_field(MessageKind::Event, "extra") == nullptr);
}

TEST_CASE("harmonization: field types and constraints come from the file", "[harmonization]") {
  CHECK(field("source.port").type == TypeId::Integer);
  CHECK(field("source.port").length == 5u);
  CHECK_FALSE(field("destination.port").length);
  CHECK(field("extra").type == TypeId::JSONDict);
  REQUIRE(field("protocol.transport").iregex);
  CHECK(field("protocol.transport").iregex->caseless());
  REQUIRE(field("source.fqdn").regex);
  CHECK(field("source.fqdn").regex->pattern() == "^.*[^\\.]$");
}

TEST_CASE("harmonization: check runs is_valid, then length, regex and iregex", "[harmonization]") {
  auto h = harm();
  CHECK(h->check(field("source.port"), Value::integer(80)) == Check::Ok);
  CHECK(h->check(field("source.port"), Value::string("80")) == Check::TypeInvalid);
  CHECK(h->check(field("source.port"), Value::integer(123456)) == Check::TooLong);
  CHECK(h->check(field("source.geolocation.cc"), Value::string("D?")) == Check::RegexMismatch);
  CHECK(h->check(field("protocol.transport"), Value::string("udp")) == Check::Ok);
  CHECK(h->check(field("protocol.transport"), Value::string("foo")) == Check::IRegexMismatch);
  CHECK(h->check_constraints(field("protocol.transport"), Value::string("TCP")) == Check::Ok);
  CHECK(h->check_constraints(field("malware.hash.md5"), Value::string("\xc3\xa4")) ==
        Check::RegexMismatch);
}

TEST_CASE("harmonization: regexes follow Python re.search", "[harmonization]") {
  Regex end("^ab$", false);
  CHECK(end.search("ab"));
  CHECK(end.search("ab\n"));  // "$" matches before one trailing newline
  CHECK_FALSE(end.search("ab\n\n"));
  CHECK(Regex("b", false).search("abc"));  // search, not match
  CHECK(Regex("^ab\\Z", false).search("ab"));
  CHECK_FALSE(Regex("^ab\\Z", false).search("ab\n"));          // Python \Z is the absolute end
  CHECK(Regex("^\\w+$", false).search("gr\xc3\xbc\xc3\x9f"));  // Unicode \w
  CHECK(Regex("^tcp$", true).search("TCP"));
  CHECK_FALSE(Regex("^x$", false).search("\xff"));  // invalid UTF-8 subject: no match, no error
  CHECK_THROWS_AS(Regex("(", false), std::runtime_error);
}

TEST_CASE("harmonization: key syntax", "[harmonization]") {
  for (const char* ok : {"ab", "_a", "extra.a", "extra.a_b.c9", "a1.b", "extra.0"}) {
    INFO(ok);
    CHECK(valid_key_syntax(ok));
  }
  for (const char* bad :
       {"", "a", "A", "1a", "ab.", ".ab", "ab..c", "ab.C", "ab-c", "ab c", "extra.\xc3\xbc"}) {
    INFO(bad);
    CHECK_FALSE(valid_key_syntax(bad));
  }
}

TEST_CASE("harmonization: loading rejects broken configurations", "[harmonization]") {
  auto load = [](std::string_view text) { return Harmonization::from_json(text); };
  CHECK_THROWS_AS(load("not json"), std::runtime_error);
  CHECK_THROWS_AS(load(R"({"event": {}})"), std::runtime_error);  // no report section
  CHECK_THROWS_AS(load(R"({"event": {"a.b": {"type": "Nope"}}, "report": {}})"),
                  std::runtime_error);
  CHECK_THROWS_AS(load(R"({"event": {"a.b": {"description": "x"}}, "report": {}})"),
                  std::runtime_error);
  CHECK_THROWS_AS(load(R"({"event": {"Bad": {"type": "String"}}, "report": {}})"),
                  std::runtime_error);
  CHECK_THROWS_AS(load(R"({"event": {"a.b": {"type": "String", "regex": "("}}, "report": {}})"),
                  std::runtime_error);
  auto h = load(
      R"({"event": {"a.b": {"type": "String", "length": 3}}, "report": {"abc": {"type": "String"}}})");
  CHECK(h->find(MessageKind::Event, "a.b")->length == 3u);
  CHECK_FALSE(h->same_fields(MessageKind::Event, *harm()));
  CHECK(harm()->same_fields(MessageKind::Event,
                            *Harmonization::from_file(INTELFLOW_DEFAULT_HARMONIZATION)));
}
