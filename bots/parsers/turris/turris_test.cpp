// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.turris.parser";
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

TEST_CASE("turris: one event per known tag", "[parsers][unit]") {
  Run r({}, "# comment\nAddress,Tags\n192.0.2.1,\"ftp,haas,port_scan,smtp\"\n192.0.2.2,haas\n");
  REQUIRE(r.events().size() == 3);
  CHECK(r.str(0, "protocol.application") == "ftp");
  CHECK(r.get(0, "destination.port").as_int() == 21);
  CHECK(r.str(0, "classification.type") == "brute-force");
  CHECK(r.str(1, "classification.type") == "scanner");
  CHECK_FALSE(r.events()[1].contains("protocol.transport"));
  CHECK(r.str(2, "protocol.application") == "smtp");
  CHECK_FALSE(r.events()[2].contains("destination.port"));
  CHECK(r.str(2, "source.ip") == "192.0.2.1");
  CHECK(r.raw(0) == "Address,Tags\n192.0.2.1,\"ftp,haas,port_scan,smtp\"");
}

TEST_CASE("turris: a bad address is dumped, the rest goes on", "[parsers][unit]") {
  Run r({{"default_fields", Value::dict({{"tlp", Value::string("WHITE")}})}},
        "Address,Tags\r\nnot-an-ip,http\r\n192.0.2.3,telnet\r\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.get(0, "destination.port").as_int() == 23);
  CHECK(r.str(0, "tlp") == "WHITE");  // generic parser loop: default_fields apply
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "Address,Tags\r\nnot-an-ip,http");
}
