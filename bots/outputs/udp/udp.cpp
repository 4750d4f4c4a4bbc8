// SPDX-License-Identifier: AGPL-3.0-or-later
// outputs.udp.output: sends each event as one UDP datagram (JSON or key:value
// fields).

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unicode/uchar.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>

#include "bots/common/export.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/unicode.hpp"

namespace intelflow::bots {
namespace {

using api::ConfigError;

/// Python's `unicodedata.category(ch)[0] == "C"` (control, format, surrogate,
/// private use, unassigned).
bool is_other(char32_t cp) {
  if (cp < 0x80) return cp < 0x20 || cp == 0x7F;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
      return true;
    default:
      return false;
  }
}

/// Sends every event as one datagram to `udp_host`:`udp_port`: `header` then
/// the event as JSON (`format: json`) or `<delimiter>key:value` per field
/// (`format: delimited`); control characters are removed and "\n" appended.
/// `raw` is removed unless `keep_raw_field` (an event without `raw` then fails,
/// as in the reference). The address is resolved once at start. Stateless
/// apart from the socket, so the bot runs concurrently.
class UdpOutput final : public api::OutputBot {
 public:
  ~UdpOutput() override {
    if (fd_ >= 0) ::close(fd_);
  }

  void init(api::BotContext& ctx) override {
    OutputBot::init(ctx);
    const api::Params& p = params();
    const std::string format = harm::uni::lower(p.get_string("format"));
    if (format == "json")
      json_ = true;
    else if (format != "delimited")
      throw ConfigError("format", "unknown format '" + p.get_string("format") +
                                      "', expected 'json' or 'delimited'");
    delimiter_ = p.get_string("field_delimiter", "|");
    header_ = p.get_string("header", "");
    keep_raw_ = p.get_bool("keep_raw_field", false);
    const std::string host = p.get_string("udp_host", "localhost");
    if (!p.has("udp_port")) throw ConfigError("udp_port", "the port of the receiver is required");
    const std::int64_t port = p.get_int("udp_port");
    if (port <= 0 || port > 65535) throw ConfigError("udp_port", "must be 1..65535");

    addrinfo hints{};
    hints.ai_family = AF_INET;  // the reference resolves with gethostbyname (IPv4)
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (rc != 0 || res == nullptr)
      throw ConfigError("udp_host", "cannot resolve '" + host + "': " + ::gai_strerror(rc));
    std::memcpy(&addr_, res->ai_addr, res->ai_addrlen);
    addr_len_ = res->ai_addrlen;
    ::freeaddrinfo(res);
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  }

  void process(const api::Message& ev) override {
    if (!keep_raw_ && !ev.contains("raw"))
      throw std::runtime_error("KeyError: 'raw' (the event has no raw field to remove)");
    std::string line = header_;
    if (json_) {
      ExportOptions o;
      o.keep_raw = keep_raw_;
      export_text(ev, o, line);
    } else {
      for (const auto& e : ev.entries()) {
        if (e.key == "__type" || (!keep_raw_ && e.key == "raw")) continue;
        line += delimiter_;
        line += e.key;
        line += ':';
        harm::py::append_str(line, e.value);
      }
    }
    std::string data;
    data.reserve(line.size() + 1);
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t start = i;
      const char32_t cp = harm::uni::next_code_point(line, i);
      if (!is_other(cp)) data.append(line, start, i - start);
    }
    data += '\n';
    if (::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr_),
                 addr_len_) < 0)
      throw std::system_error(errno, std::generic_category(), "sending the datagram");
  }

 private:
  bool json_ = false;
  std::string delimiter_;
  std::string header_;
  bool keep_raw_ = false;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int fd_ = -1;
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "outputs.udp.output",
    .aliases = {},
    .group = api::BotGroup::Output,
    .description = "Sends each event as one UDP datagram, as JSON or as "
                   "delimited key:value "
                   "fields (syslog-style with a header such as `<182>`).",
    .params =
        {
            {"format", api::ParamType::String, "null", true,
             "`json` (header + event JSON) or `delimited` (header + "
             "`<delimiter>key:value` "
             "per field)."},
            {"field_delimiter", api::ParamType::String, "\"|\"", false,
             "Separator before each field in `delimited` format."},
            {"header", api::ParamType::String, "\"\"", false,
             "Text at the start of every datagram, e.g. a syslog priority "
             "`<182>`."},
            {"udp_host", api::ParamType::String, "\"localhost\"", false,
             "Receiver host name or IPv4 address, resolved once at start."},
            {"udp_port", api::ParamType::Int, "null", true, "Receiver UDP port."},
        },
    .concurrent = true,
    .factory = [] { return std::make_unique<UdpOutput>(); },
});

}  // namespace
}  // namespace intelflow::bots
