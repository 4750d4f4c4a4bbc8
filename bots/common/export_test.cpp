// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/export.hpp"

using intelflow::bots::export_text;
using intelflow::bots::export_value;
using intelflow::bots::ExportOptions;
using intelflow::harm::Harmonization;
using intelflow::harm::Message;
using intelflow::harm::MessageKind;
using intelflow::harm::Value;

namespace {

Message sample_event() {
  Message ev(MessageKind::Event, Harmonization::default_instance());
  ev.add("source.ip", Value::string("1.2.3.4"));
  ev.add("raw", Value::string("héllo\nwörld"));  // sanitised to base64
  ev.add("extra.b", Value::dict({{"z", Value::integer(1)}, {"a", Value::string("é")}}));
  ev.add("feed.name", Value::string("x"));
  ev.add("source.port", Value::integer(80));
  ev.add("extra.f", Value::floating(1.5));
  return ev;
}

std::string text(const Message& ev, const ExportOptions& o) {
  std::string out;
  export_text(ev, o, out);
  return out;
}

}  // namespace

TEST_CASE("export: default text is sorted JSON without raw, UTF-8 kept", "[export]") {
  ExportOptions o;
  CHECK(text(sample_event(), o) ==
        "{\"extra.b\": {\"a\": \"é\", \"z\": 1}, \"extra.f\": 1.5, \"feed.name\": \"x\", "
        "\"source.ip\": \"1.2.3.4\", \"source.port\": 80}");
}

TEST_CASE("export: message_with_type adds __type in sorted position", "[export]") {
  ExportOptions o;
  o.with_type = true;
  CHECK(text(sample_event(), o).starts_with("{\"__type\": \"Event\", \"extra.b\": "));
}

TEST_CASE("export: the flat writer agrees with Message::to_json", "[export]") {
  Message ev = sample_event();
  ExportOptions o;
  o.keep_raw = true;
  CHECK(text(ev, o) == ev.to_json(false, false));
  o.with_type = true;
  CHECK(text(ev, o) == ev.to_json(false, true));
}

TEST_CASE("export: keep_raw_field keeps the base64 raw", "[export]") {
  ExportOptions o;
  o.keep_raw = true;
  CHECK(text(sample_event(), o).find("\"raw\": \"aMOpbGxvCnfDtnJsZA==\"") != std::string::npos);
}

TEST_CASE("export: hierarchical output nests dotted keys", "[export]") {
  ExportOptions o;
  o.hierarchical = true;
  std::string t = text(sample_event(), o);
  CHECK(t.find("\"source\": {\"ip\": \"1.2.3.4\", \"port\": 80}") != std::string::npos);
  CHECK(t.find("raw") == std::string::npos);
  Message empty(MessageKind::Event, Harmonization::default_instance());
  CHECK(text(empty, o) == "{}");
}

TEST_CASE("export: single_key raw is the decoded text, other keys their str()", "[export]") {
  ExportOptions o;
  o.single_key = "raw";
  CHECK(text(sample_event(), o) == "héllo\nwörld");
  o.single_key = "source.port";
  CHECK(text(sample_event(), o) == "80");
  o.single_key = "source.fqdn";
  CHECK(text(sample_event(), o) == "None");
  CHECK(export_value(sample_event(), o).is_null());
}

TEST_CASE("export: single_key output decodes JSON strings only", "[export]") {
  Message ev(MessageKind::Event, Harmonization::default_instance());
  ev.add("output", Value::string("\"a line\""));
  ExportOptions o;
  o.single_key = "output";
  CHECK(text(ev, o) == "a line");
  Message ev2(MessageKind::Event, Harmonization::default_instance());
  ev2.add("output", Value::string("{\"k\": 1}"));
  CHECK(text(ev2, o) == "{\"k\": 1}");
  CHECK(export_value(ev2, o) == Value::dict({{"k", Value::integer(1)}}));
  Message none(MessageKind::Event, Harmonization::default_instance());
  CHECK_THROWS(text(none, o));
}

TEST_CASE("export: options come from the parameters and their aliases", "[export]") {
  intelflow::api::Params p({{"message_hierarchical", Value::boolean(true)},
                            {"with_type", Value::boolean(true)},
                            {"keep_raw_field", Value::boolean(false)},
                            {"single_key", Value::string("")}});
  auto o = ExportOptions::from_params(p);
  CHECK(o.hierarchical);
  CHECK(o.with_type);
  CHECK_FALSE(o.keep_raw);
  CHECK_FALSE(o.single_key.has_value());
}

TEST_CASE("export: base64 decoding skips junk and drops invalid UTF-8", "[export]") {
  CHECK(intelflow::bots::base64_decode_text("aGk=") == "hi");
  CHECK(intelflow::bots::base64_decode_text("aG\nk=") == "hi");
  CHECK(intelflow::bots::base64_decode_text("/w==") == "");  // 0xFF alone
}
