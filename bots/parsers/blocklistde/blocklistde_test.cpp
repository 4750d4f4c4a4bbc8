// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "bots/common/parser_test_util.hpp"

using intelflow::bots::ptest::ParserRun;

namespace {
const char* kModule = "parsers.blocklistde.parser";
std::vector<std::pair<std::string, std::string>> feed(const std::string& url) {
  return {{"feed.name", "BlockList.de"}, {"feed.url", url}};
}
}  // namespace

TEST_CASE("blocklistde: the list file name decides the classification", "[blocklistde][unit]") {
  ParserRun ssh(kModule, feed("https://lists.blocklist.de/lists/ssh.txt"),
                "192.0.2.4\n\n192.0.2.5\n");
  REQUIRE(ssh.count() == 2);
  CHECK(ssh.str(0, "source.ip") == "192.0.2.4");
  CHECK(ssh.str(0, "classification.type") == "ids-alert");
  CHECK(ssh.str(0, "protocol.application") == "ssh");
  CHECK(ssh.str(0, "event_description.text") ==
        "IP reported as having run attacks on the service SSH");
  CHECK(ssh.raw(1) == "192.0.2.5");

  ParserRun irc(kModule, feed("https://lists.blocklist.de/lists/ircbot.txt"), "192.0.2.4\n");
  CHECK(irc.str(0, "classification.type") == "infected-system");
  CHECK(irc.str(0, "protocol.application") == "irc");
  CHECK_FALSE(irc.has(0, "event_description.text"));
}

TEST_CASE("blocklistde: unknown list file means blacklist", "[blocklistde][unit]") {
  ParserRun run(kModule, feed("https://lists.blocklist.de/lists/other.txt?x=1"), "192.0.2.4\n");
  REQUIRE(run.count() == 1);
  CHECK(run.str(0, "classification.type") == "blacklist");
  CHECK_FALSE(run.has(0, "protocol.application"));
}

TEST_CASE("blocklistde: an invalid IP fails its line only", "[blocklistde][unit]") {
  ParserRun run(kModule, feed("https://lists.blocklist.de/lists/all.txt"),
                "not-an-ip\n192.0.2.4\n");
  REQUIRE(run.count() == 1);
  REQUIRE(run.dumps() == 1);
  CHECK(run.dumped_raw(0) == "not-an-ip");
}

TEST_CASE("blocklistde: a report without feed.url fails every line", "[blocklistde][unit]") {
  ParserRun run(kModule, {{"feed.name", "x"}}, "192.0.2.4\n192.0.2.5\n");
  CHECK(run.count() == 0);
  CHECK(run.dumps() == 2);
}
