// SPDX-License-Identifier: AGPL-3.0-or-later
// parsers.blocklistde.parser: Blocklist.de IP lists (bots.md §2.2 "Other P0 parsers").

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "bots/common/parser_util.hpp"
#include "engine/api/parser.hpp"
#include "engine/api/registry.hpp"
#include "harmonization/types.hpp"

namespace intelflow::bots {
namespace {

using api::Value;
using harm::Message;

/// Fields set for one Blocklist.de list file (empty = not set).
struct ListFile {
  std::string_view file;
  std::string_view type;
  std::string_view application;
  std::string_view text;
};

constexpr std::array<ListFile, 11> kFiles{{
    {"all.txt", "blacklist", "", ""},
    {"ssh.txt", "ids-alert", "ssh", "IP reported as having run attacks on the service SSH"},
    {"mail.txt", "ids-alert", "smtp",
     "IP reported as having run attacks on the service Mail, Postfix"},
    {"apache.txt", "ids-alert", "http",
     "IP reported as having run attacks on the service Apache, Apache-DDoS, RFI-Attacks"},
    {"imap.txt", "ids-alert", "imap",
     "IP reported as having run attacks on the service IMAP, SASL, POP3"},
    {"ftp.txt", "ids-alert", "ftp", "IP reported as having run attacks on the service FTP"},
    {"sip.txt", "ids-alert", "sip",
     "IP reported as having run attacks on the service SIP, VOIP, Asterisk"},
    {"bots.txt", "spam", "",
     "IP reported as having spammed on IRC, open forums, wikis or registration forms."},
    {"strongips.txt", "blacklist", "", "IP reported as having run attacks in last 2 months"},
    {"ircbot.txt", "infected-system", "irc", ""},
    {"bruteforcelogin.txt", "brute-force", "",
     "IP reported as having run attacks on Joomlas, Wordpress and other Web-Logins with "
     "Brute-Force Logins"},
}};

/// Blocklist.de parser: one IP per line; the classification follows the
/// list's file name (basename of the report's feed.url).
class BlocklistdeParser final : public api::ParserBot {
 protected:
  void parse_line(const Element& el, const Message& report, ParseState& /*st*/,
                  std::vector<Message>& events) override {
    const Value* url = report.find("feed.url");
    if (url == nullptr) throw putil::ParseError("KeyError: 'feed.url'");
    const std::string path = harm::url::split(url->as_string()).path;
    const std::string_view file = std::string_view(path).substr(path.rfind('/') + 1);

    Message ev = new_event(report);
    ev.add("source.ip", Value::string(el.line));
    const ListFile* known = nullptr;
    for (const ListFile& f : kFiles)
      if (f.file == file) known = &f;
    if (known != nullptr) {
      ev.add("classification.type", Value::string(known->type));
      if (!known->application.empty())
        ev.add("protocol.application", Value::string(known->application));
      if (!known->text.empty()) ev.add("event_description.text", Value::string(known->text));
    } else {
      ev.add("classification.type", Value::string("blacklist"));
    }
    ev.add("raw", Value::string(el.line));
    events.push_back(std::move(ev));
  }
};

INTELFLOW_REGISTER_BOT(api::BotInfo{
    .module = "parsers.blocklistde.parser",
    .aliases = {},
    .group = api::BotGroup::Parser,
    .description = "Parses the Blocklist.de IP lists; the list file name decides the "
                   "classification.",
    .params = {},
    .concurrent = true,
    .factory = [] { return std::make_unique<BlocklistdeParser>(); },
});

}  // namespace
}  // namespace intelflow::bots
