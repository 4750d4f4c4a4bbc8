// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Message;
using intelflow::harm::Value;

namespace {
const char* kModule = "intelmq.bots.parsers.vxvault.parser";
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

TEST_CASE("vxvault: URLs after the header, time from the third line", "[parsers][unit]") {
  Run r({},
        "<pre>\nVX Vault last 100 Links\nMon, 17 Aug 2015 14:36:19 +0000\n\n"
        "http://example.com/bad/program.exe\nhttp://192.0.2.1:8080/a.exe\nftp://x/y\n"
        "http://Example.NET:/p;\n");
  REQUIRE(r.events().size() == 3);
  CHECK(r.str(0, "source.fqdn") == "example.com");
  CHECK(r.str(0, "source.url") == "http://example.com/bad/program.exe");
  CHECK(r.str(0, "time.source") == "2015-08-17T14:36:19+00:00");
  CHECK(r.str(0, "classification.type") == "malware-distribution");
  CHECK(r.raw(0) == "http://example.com/bad/program.exe");
  CHECK(r.str(1, "source.ip") == "192.0.2.1");
  CHECK(r.get(1, "source.port").as_int() == 8080);
  CHECK(r.str(2, "source.fqdn") == "example.net");           // urlparse's hostname is lowercased
  CHECK(r.str(2, "source.url") == "http://Example.NET:/p");  // geturl() drops an empty ;params
}

TEST_CASE("vxvault: a bad port fails its line only", "[parsers][unit]") {
  Run r({},
        "<pre>\nVX\nMon, 17 Aug 2015 14:36:19 +0000\n\nhttp://a.example:99999/x\n"
        "http://b.example/y\n");
  REQUIRE(r.events().size() == 1);
  CHECK(r.str(0, "source.fqdn") == "b.example");
  REQUIRE(r.out.dumped.size() == 1);
  CHECK(r.dumped_raw(0) == "<pre>\nVX\nMon, 17 Aug 2015 14:36:19 +0000\nhttp://a.example:99999/x");
}
