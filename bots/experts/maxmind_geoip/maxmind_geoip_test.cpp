// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include <filesystem>

#include "bots/experts/maxmind_geoip/mmdb_writer.hpp"
#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::bots::mmdb_test::MmdbWriter;
using intelflow::harm::Value;

namespace {

/// A small City database written once per test run.
const std::string& database() {
  static const std::string path = [] {
    MmdbWriter w;
    w.insert("192.0.2.0/24", MmdbWriter::city_record("AT", 48.2, 16.37, "Vienna", "DE"));
    w.insert("192.0.2.128/25", MmdbWriter::city_record("CH", 47.37, 8.54, "Zurich"));
    w.insert("198.51.100.0/24", MmdbWriter::city_record("", 0.0, 12.5, ""));
    w.insert("2001:db8::/32", MmdbWriter::city_record("NL", 52.37, 4.9, "Amsterdam"));
    auto p = std::filesystem::temp_directory_path() / "intelflow-maxmind-test.mmdb";
    w.write(p.string());
    return p.string();
  }();
  return path;
}

Message run(testing::TestBot& bot, std::vector<std::pair<std::string, Value>> fields) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  for (auto& [k, v] : fields) ev.add(k, std::move(v));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}

}  // namespace

TEST_CASE("maxmind_geoip: country, coordinates and city of both sides",
          "[experts][maxmind_geoip]") {
  testing::TestBot bot("experts.maxmind_geoip.expert", {{"database", Value::string(database())}});
  auto r = run(bot, {{"source.ip", Value::string("192.0.2.1")},
                     {"destination.ip", Value::string("2001:db8:1::5")}});
  CHECK(r.get("source.geolocation.cc") == Value::string("AT"));
  CHECK(r.get("source.geolocation.latitude") == Value::floating(48.2));
  CHECK(r.get("source.geolocation.longitude") == Value::floating(16.37));
  CHECK(r.get("source.geolocation.city") == Value::string("Vienna"));
  CHECK(r.get("destination.geolocation.cc") == Value::string("NL"));
  CHECK(r.get("destination.geolocation.city") == Value::string("Amsterdam"));
}

TEST_CASE("maxmind_geoip: the most specific network wins, unknown addresses add nothing",
          "[experts][maxmind_geoip]") {
  testing::TestBot bot("experts.maxmind_geoip.expert", {{"database", Value::string(database())}});
  auto r = run(bot, {{"source.ip", Value::string("192.0.2.200")},
                     {"destination.ip", Value::string("203.0.113.1")}});
  CHECK(r.get("source.geolocation.cc") == Value::string("CH"));
  CHECK(r.get("source.geolocation.city") == Value::string("Zurich"));
  CHECK_FALSE(r.contains("destination.geolocation.cc"));
  CHECK(r.size() == 6);
}

TEST_CASE("maxmind_geoip: empty and zero values are skipped", "[experts][maxmind_geoip]") {
  testing::TestBot bot("experts.maxmind_geoip.expert", {{"database", Value::string(database())}});
  auto r = run(bot, {{"source.ip", Value::string("198.51.100.9")}});
  CHECK_FALSE(r.contains("source.geolocation.cc"));
  CHECK_FALSE(r.contains("source.geolocation.latitude"));
  CHECK(r.get("source.geolocation.longitude") == Value::floating(12.5));
  CHECK_FALSE(r.contains("source.geolocation.city"));
}

TEST_CASE("maxmind_geoip: use_registered takes the registered country",
          "[experts][maxmind_geoip]") {
  testing::TestBot bot("experts.maxmind_geoip.expert", {{"database", Value::string(database())},
                                                        {"use_registered", Value::boolean(true)}});
  CHECK(run(bot, {{"source.ip", Value::string("192.0.2.1")}}).get("source.geolocation.cc") ==
        Value::string("DE"));
  // No registered country in the record: no cc at all.
  CHECK_FALSE(
      run(bot, {{"source.ip", Value::string("192.0.2.129")}}).contains("source.geolocation.cc"));
}

TEST_CASE("maxmind_geoip: existing values are kept unless overwrite", "[experts][maxmind_geoip]") {
  for (bool overwrite : {false, true}) {
    testing::TestBot bot(
        "experts.maxmind_geoip.expert",
        {{"database", Value::string(database())}, {"overwrite", Value::boolean(overwrite)}});
    auto r = run(bot, {{"source.ip", Value::string("192.0.2.1")},
                       {"source.geolocation.cc", Value::string("FR")}});
    CHECK(r.get("source.geolocation.cc") == Value::string(overwrite ? "AT" : "FR"));
    CHECK(r.get("source.geolocation.city") == Value::string("Vienna"));
  }
}

TEST_CASE("maxmind_geoip: a missing or invalid database refuses the start",
          "[experts][maxmind_geoip]") {
  CHECK_THROWS_AS(testing::TestBot("experts.maxmind_geoip.expert",
                                   {{"database", Value::string("/nonexistent/City.mmdb")}}),
                  ConfigError);
  auto junk = std::filesystem::temp_directory_path() / "intelflow-maxmind-junk.mmdb";
  std::ofstream(junk) << "not a database";
  CHECK_THROWS_AS(testing::TestBot("experts.maxmind_geoip.expert",
                                   {{"database", Value::string(junk.string())}}),
                  ConfigError);
}
