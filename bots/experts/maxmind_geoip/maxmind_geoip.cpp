// SPDX-License-Identifier: AGPL-3.0-or-later
// experts.maxmind_geoip.expert: country, coordinates and city of source/destination.ip
// from a MaxMind GeoIP2/GeoLite2 City database (.mmdb, read with libmaxminddb).

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/api/registry.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;
using api::Message;
using api::Value;

/// Looks each IP up in a memory-mapped .mmdb (opened once at init) and adds
/// *.geolocation.cc (country or registered country ISO code), latitude,
/// longitude and city (English name); only values that are set and non-zero.
/// libmaxminddb lookups are read-only: runs concurrently.
class MaxmindGeoipExpert final : public api::ExpertBot {
 public:
  ~MaxmindGeoipExpert() override {
    if (open_) MMDB_close(&db_);
  }

  void init(api::BotContext& ctx) override {
    ExpertBot::init(ctx);
    const auto& p = params();
    const std::string path = p.get_string("database");
    if (path.empty()) throw ConfigError("database", "is required (path to a GeoIP2 City .mmdb)");
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_);
    if (status != MMDB_SUCCESS) {
      std::string why = MMDB_strerror(status);
      if (status == MMDB_IO_ERROR) why += std::string(": ") + std::strerror(errno);
      throw ConfigError("database", "cannot open '" + path + "': " + why);
    }
    open_ = true;
    opts_.overwrite = p.get_bool("overwrite", false);
    country_key_ = p.get_bool("use_registered", false) ? "registered_country" : "country";
    log().info("Opened {} ({}, {} nodes).", path, db_.metadata.database_type,
               db_.metadata.node_count);
  }

  void process(Message& ev, api::Emitter& out) override {
    static constexpr struct {
      std::string_view ip, cc, latitude, longitude, city;
    } kSides[] = {
        {"source.ip", "source.geolocation.cc", "source.geolocation.latitude",
         "source.geolocation.longitude", "source.geolocation.city"},
        {"destination.ip", "destination.geolocation.cc", "destination.geolocation.latitude",
         "destination.geolocation.longitude", "destination.geolocation.city"}};
    for (const auto& side : kSides) {
      const Value* ip = ev.find(side.ip);
      if (ip == nullptr || !ip->is_string()) continue;
      MMDB_lookup_result_s res = lookup(ip->as_string());
      if (!res.found_entry) continue;  // AddressNotFoundError: nothing to add
      MMDB_entry_data_s d;
      if (get(res, d, MMDB_DATA_TYPE_UTF8_STRING, country_key_, "iso_code", nullptr) &&
          d.data_size > 0)
        ev.add(side.cc, Value::string(std::string_view(d.utf8_string, d.data_size)), opts_);
      if (get(res, d, MMDB_DATA_TYPE_DOUBLE, "location", "latitude", nullptr) &&
          d.double_value != 0)
        ev.add(side.latitude, Value::floating(d.double_value), opts_);
      if (get(res, d, MMDB_DATA_TYPE_DOUBLE, "location", "longitude", nullptr) &&
          d.double_value != 0)
        ev.add(side.longitude, Value::floating(d.double_value), opts_);
      if (get(res, d, MMDB_DATA_TYPE_UTF8_STRING, "city", "names", "en", nullptr) &&
          d.data_size > 0)
        ev.add(side.city, Value::string(std::string_view(d.utf8_string, d.data_size)), opts_);
    }
    out.send(std::move(ev));
  }

 private:
  MMDB_lookup_result_s lookup(const std::string& ip) {
    sockaddr_storage ss{};
    int gai = 0, mmdb_error = MMDB_SUCCESS;
    if (ip.find(':') != std::string::npos) {
      auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
      sa->sin6_family = AF_INET6;
      gai = inet_pton(AF_INET6, ip.c_str(), &sa->sin6_addr);
    } else {
      auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
      sa->sin_family = AF_INET;
      gai = inet_pton(AF_INET, ip.c_str(), &sa->sin_addr);
    }
    if (gai != 1)
      throw std::invalid_argument("'" + ip + "' does not appear to be an IPv4 or IPv6 address");
    MMDB_lookup_result_s res =
        MMDB_lookup_sockaddr(&db_, reinterpret_cast<const sockaddr*>(&ss), &mmdb_error);
    if (mmdb_error != MMDB_SUCCESS)
      throw std::runtime_error("lookup of " + ip + " failed: " + MMDB_strerror(mmdb_error));
    return res;
  }

  /// MMDB_get_value of a path; true if the value exists with the wanted type.
  template <class... Path>
  static bool get(MMDB_lookup_result_s& res, MMDB_entry_data_s& d, std::uint32_t type,
                  Path... path) {
    if (MMDB_get_value(&res.entry, &d, path...) != MMDB_SUCCESS) return false;
    return d.has_data && d.type == type;
  }

  MMDB_s db_{};
  bool open_ = false;
  harm::AddOptions opts_;
  const char* country_key_ = "country";
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "experts.maxmind_geoip.expert",
    .aliases = {},
    .group = api::BotGroup::Expert,
    .description = "Adds geolocation (country code, latitude, longitude, city) of source.ip and "
                   "destination.ip from a local MaxMind GeoIP2/GeoLite2 City database.",
    .params = {api::ParamSpec{
                   "database", api::ParamType::String, "null", true,
                   "Path of the GeoIP2/GeoLite2 City database (.mmdb). Memory-mapped once "
                   "at start; a missing or invalid file refuses the start."},
               api::ParamSpec{"overwrite", api::ParamType::Bool, "false", false,
                              "Replace existing geolocation fields."},
               api::ParamSpec{"use_registered", api::ParamType::Bool, "false", false,
                              "Use the registered country (where the ISP registered the network) "
                              "instead of the country of the address."},
               api::ParamSpec{"license_key", api::ParamType::String, "null", false,
                              "MaxMind licence key for IntelMQ's --update-database. Accepted for "
                              "compatibility; intelflow does not download databases."},
               api::ParamSpec{"autoupdate_cached_database", api::ParamType::Bool, "true", false,
                              "IntelMQ's automatic database update switch. Accepted for "
                              "compatibility; unused."}},
    .concurrent = true,
    .factory = [] { return std::make_unique<MaxmindGeoipExpert>(); },
});

}  // namespace
}  // namespace intelflow::bots
