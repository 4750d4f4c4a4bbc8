// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.geohash.expert: extra.<side>.geolocation.geohash from latitude/longitude.

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// geolib's geohash.encode: alternate bisection of longitude and latitude
/// (a value on a midpoint goes to the upper half), 5 bits per base-32 character.
/// Midpoints are dyadic fractions of 180/90, exact in double, so comparing
/// doubles gives the same bits as the library's Decimal arithmetic.
std::string geohash_encode(double lat, double lon, std::int64_t precision) {
  static constexpr char kBase32[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  double lat_min = -90, lat_max = 90, lon_min = -180, lon_max = 180;
  std::string out;
  int index = 0, bit = 0;
  bool even = true;
  while (static_cast<std::int64_t>(out.size()) < precision) {
    if (even) {
      const double mid = (lon_min + lon_max) / 2;
      if (lon >= mid) {
        index = index * 2 + 1;
        lon_min = mid;
      } else {
        index *= 2;
        lon_max = mid;
      }
    } else {
      const double mid = (lat_min + lat_max) / 2;
      if (lat >= mid) {
        index = index * 2 + 1;
        lat_min = mid;
      } else {
        index *= 2;
        lat_max = mid;
      }
    }
    even = !even;
    if (++bit == 5) {
      out += kBase32[index];
      bit = 0;
      index = 0;
    }
  }
  return out;
}

double number(const Value& v, std::string_view key) {
  if (v.is_float()) return v.as_float();
  if (v.is_int()) return static_cast<double>(v.as_int());
  throw std::runtime_error("geohash: " + std::string(key) + " is not a number (" +
                           std::string(harm::py::type_name(v)) + ")");
}

/// Adds extra.source.geolocation.geohash / extra.destination.geolocation.geohash
/// when both coordinates of the side are present. Stateless: concurrent.
class GeohashExpert final : public api::ExpertBot {
 public:
  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    precision_ = params().get_int("precision", 7);
    if (precision_ < 0 || precision_ > 64)
      throw ConfigError("precision", "must be between 0 and 64");
    opts_.overwrite = params().get_bool("overwrite", false);
  }

  void process(Message& ev, api::Emitter& out) override {
    static constexpr struct {
      std::string_view lat, lon, hash;
    } kSides[] = {{"source.geolocation.latitude", "source.geolocation.longitude",
                   "extra.source.geolocation.geohash"},
                  {"destination.geolocation.latitude", "destination.geolocation.longitude",
                   "extra.destination.geolocation.geohash"}};
    for (const auto& side : kSides) {
      const Value* lat = ev.find(side.lat);
      const Value* lon = ev.find(side.lon);
      if (lat == nullptr || lon == nullptr) continue;
      ev.add(
          side.hash,
          Value::string(geohash_encode(number(*lat, side.lat), number(*lon, side.lon), precision_)),
          opts_);
    }
    out.send(std::move(ev));
  }

 private:
  std::int64_t precision_ = 7;
  harm::AddOptions opts_;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.geohash.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Computes the geohash of source/destination geolocation coordinates into "
                   "extra.<side>.geolocation.geohash.",
    .params = {api::ParamSpec{"precision", api::ParamType::Int, "7", false,
                              "Number of geohash characters (7 ≈ 150 m cells)."},
               api::ParamSpec{"overwrite", api::ParamType::Bool, "false", false,
                              "Replace an existing geohash."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<GeohashExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
