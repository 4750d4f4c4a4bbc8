// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A minimal MaxMind DB (.mmdb, format 2.0) writer for the tests and the
/// benchmark of experts.maxmind_geoip: an IPv6 search tree (IPv4 networks
/// live under ::/96, where libmaxminddb looks for IPv4 addresses) with 32-bit
/// records, a data section of maps/strings/doubles/integers/booleans/arrays
/// and the metadata map. Not used by the bot itself. Header-only.

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/value.hpp"

namespace intelflow::bots::mmdb_test {

/// Builds a database in memory; insert() less specific networks first or in
/// any order (build() sorts by prefix length).
class MmdbWriter {
 public:
  /// `cidr`: "192.0.2.0/24" or "2001:db8::/32". `data` becomes the record of
  /// every address in it (more specific networks win).
  void insert(std::string_view cidr, const harm::Value& data) {
    const auto slash = cidr.find('/');
    if (slash == std::string_view::npos) throw std::invalid_argument("no prefix length");
    std::string addr(cidr.substr(0, slash));
    int len = std::stoi(std::string(cidr.substr(slash + 1)));
    std::array<unsigned char, 16> bytes{};
    if (addr.find(':') != std::string::npos) {
      if (inet_pton(AF_INET6, addr.c_str(), bytes.data()) != 1) throw std::invalid_argument(addr);
    } else {
      if (inet_pton(AF_INET, addr.c_str(), bytes.data() + 12) != 1)
        throw std::invalid_argument(addr);
      len += 96;
    }
    std::string encoded;
    encode(encoded, data);
    entries_.push_back({bytes, len, std::move(encoded)});
  }

  /// The complete file content.
  std::string build(std::string_view database_type = "GeoIP2-City") const {
    std::vector<const Entry*> sorted;
    for (const auto& e : entries_) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Entry* a, const Entry* b) { return a->length < b->length; });
    // Data section: identical records are stored once.
    std::string data;
    std::vector<std::pair<std::string, std::uint32_t>> offsets;
    auto offset_of = [&](const std::string& rec) {
      for (const auto& [r, off] : offsets)
        if (r == rec) return off;
      const auto off = static_cast<std::uint32_t>(data.size());
      data += rec;
      offsets.emplace_back(rec, off);
      return off;
    };
    nodes_.assign(1, {Rec{}, Rec{}});
    for (const Entry* e : sorted) {
      const std::uint32_t off = offset_of(e->record);
      std::uint32_t node = 0;
      for (int depth = 0; depth < e->length; ++depth) {
        const int bit = (e->addr[static_cast<std::size_t>(depth / 8)] >> (7 - depth % 8)) & 1;
        Rec& rec = nodes_[node][static_cast<std::size_t>(bit)];
        if (depth == e->length - 1) {
          nodes_[node][static_cast<std::size_t>(bit)] = Rec{Rec::Data, off};
        } else if (rec.kind == Rec::Node) {
          node = rec.index;
        } else {
          const Rec pushed = rec;
          nodes_.push_back({pushed, pushed});
          const auto fresh = static_cast<std::uint32_t>(nodes_.size() - 1);
          nodes_[node][static_cast<std::size_t>(bit)] = Rec{Rec::Node, fresh};
          node = fresh;
        }
      }
    }
    const auto node_count = static_cast<std::uint32_t>(nodes_.size());
    std::string out;
    auto be32 = [&](std::uint32_t v) {
      for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xff);
    };
    for (const auto& n : nodes_)
      for (const Rec& r : n)
        be32(r.kind == Rec::Empty  ? node_count
             : r.kind == Rec::Node ? r.index
                                   : node_count + 16 + r.index);
    out.append(16, '\0');
    out += data;
    out += std::string(
        "\xAB\xCD\xEF"
        "MaxMind.com",
        14);
    // Metadata map (integer members have fixed types in the format).
    std::string m;
    auto str = [&m](std::string_view text) {
      ctrl(m, 2, text.size());
      m += text;
    };
    ctrl(m, 7, 9);
    str("binary_format_major_version");
    uint_of(m, 5, 2);
    str("binary_format_minor_version");
    uint_of(m, 5, 0);
    str("build_epoch");
    uint_of(m, 9, 1700000000);
    str("database_type");
    str(database_type);
    str("description");
    ctrl(m, 7, 1);
    str("en");
    str("intelflow test database");
    str("ip_version");
    uint_of(m, 5, 6);
    str("languages");
    ctrl(m, 11, 1);
    str("en");
    str("node_count");
    uint_of(m, 6, node_count);
    str("record_size");
    uint_of(m, 5, 32);
    out += m;
    return out;
  }

  void write(const std::string& path, std::string_view database_type = "GeoIP2-City") const {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    const std::string bytes = build(database_type);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("cannot write " + path);
  }

  /// A GeoIP2-City style record.
  static harm::Value city_record(std::string_view cc, double lat, double lon, std::string_view city,
                                 std::string_view registered_cc = "") {
    using V = harm::Value;
    V::Dict d;
    if (!city.empty())
      d.emplace_back(
          "city", V::dict({{"geoname_id", V::integer(1)},
                           {"names", V::dict({{"de", V::string("X")}, {"en", V::string(city)}})}}));
    if (!cc.empty())
      d.emplace_back("country", V::dict({{"iso_code", V::string(cc)},
                                         {"is_in_european_union", V::boolean(true)}}));
    d.emplace_back("location", V::dict({{"accuracy_radius", V::integer(100)},
                                        {"latitude", V::floating(lat)},
                                        {"longitude", V::floating(lon)}}));
    if (!registered_cc.empty())
      d.emplace_back("registered_country", V::dict({{"iso_code", V::string(registered_cc)}}));
    return V::dict(std::move(d));
  }

 private:
  struct Entry {
    std::array<unsigned char, 16> addr;
    int length;
    std::string record;
  };
  struct Rec {
    enum Kind : std::uint8_t { Empty, Node, Data } kind = Empty;
    std::uint32_t index = 0;
  };

  static void ctrl(std::string& out, int type, std::size_t size) {
    auto first = static_cast<unsigned char>((type <= 7 ? type : 0) << 5);
    std::string ext;
    if (size < 29) {
      first |= static_cast<unsigned char>(size);
    } else if (size < 285) {
      first |= 29;
      ext += static_cast<char>(size - 29);
    } else if (size < 65821) {
      first |= 30;
      ext += static_cast<char>(((size - 285) >> 8) & 0xff);
      ext += static_cast<char>((size - 285) & 0xff);
    } else {
      first |= 31;
      const std::size_t s = size - 65821;
      ext += static_cast<char>((s >> 16) & 0xff);
      ext += static_cast<char>((s >> 8) & 0xff);
      ext += static_cast<char>(s & 0xff);
    }
    out += static_cast<char>(first);
    if (type > 7) out += static_cast<char>(type - 7);
    out += ext;
  }

  static void uint_of(std::string& out, int type, std::uint64_t v) {
    std::string bytes;
    for (std::uint64_t x = v; x != 0; x >>= 8)
      bytes.insert(bytes.begin(), static_cast<char>(x & 0xff));
    ctrl(out, type, bytes.size());
    out += bytes;
  }

  static void encode(std::string& out, const harm::Value& v) {
    using harm::Kind;
    switch (v.kind()) {
      case Kind::String:
        ctrl(out, 2, v.as_string().size());
        out += v.as_string();
        break;
      case Kind::Float: {
        ctrl(out, 3, 8);
        std::uint64_t bits;
        const double d = v.as_float();
        std::memcpy(&bits, &d, 8);
        for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((bits >> s) & 0xff);
        break;
      }
      case Kind::Int:
        if (v.as_int() < 0) {
          ctrl(out, 8, 4);
          const auto u = static_cast<std::uint32_t>(static_cast<std::int32_t>(v.as_int()));
          for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((u >> s) & 0xff);
        } else {
          uint_of(out, v.as_int() <= 0xffffffffLL ? 6 : 9, static_cast<std::uint64_t>(v.as_int()));
        }
        break;
      case Kind::Bool:
        ctrl(out, 14, v.as_bool() ? 1 : 0);
        break;
      case Kind::List:
        ctrl(out, 11, v.as_list().size());
        for (const auto& e : v.as_list()) encode(out, e);
        break;
      case Kind::Dict:
        ctrl(out, 7, v.as_dict().size());
        for (const auto& [k, e] : v.as_dict()) {
          encode(out, harm::Value::string(k));
          encode(out, e);
        }
        break;
      default:
        throw std::invalid_argument("mmdb writer: unsupported value kind");
    }
  }

  std::vector<Entry> entries_;
  mutable std::vector<std::array<Rec, 2>> nodes_;
};

}  // namespace intelflow::bots::mmdb_test
