// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "engine/api/testing.hpp"

using namespace intelflow::api;
using intelflow::harm::Value;

namespace {
intelflow::harm::AddOptions raw_options() {
  intelflow::harm::AddOptions o;
  o.sanitize = false;
  return o;
}
std::string tlds() {
  return std::string(INTELFLOW_SOURCE_DIR) + "/bots/experts/domain_valid/testdata/tlds.txt";
}
bool passes(testing::TestBot& bot, const std::string& key, const char* value) {
  testing::CaptureEmitter out;
  auto ev = bot.event();
  ev.add("feed.name", Value::string("x"));
  if (value) ev.add(key, Value::string(value), raw_options());
  bot.process(ev, out);
  return out.sent["_default"].size() == 1;
}
}  // namespace

TEST_CASE("domain_valid: valid names with a listed TLD pass", "[experts][domain_valid]") {
  testing::TestBot bot("experts.domain_valid.expert",
                       {{"tlds_domains_list", Value::string(tlds())}});
  CHECK(passes(bot, "source.fqdn", "example.com"));
  CHECK(passes(bot, "source.fqdn", "a-b.c9.digital"));
  CHECK(passes(bot, "source.fqdn", "xn--bcher-kva.com"));
}

TEST_CASE("domain_valid: invalid syntax, underscores, unlisted TLDs and absence drop",
          "[experts][domain_valid]") {
  testing::TestBot bot("experts.domain_valid.expert",
                       {{"tlds_domains_list", Value::string(tlds())}});
  CHECK_FALSE(passes(bot, "source.fqdn", "-leading.com"));
  CHECK_FALSE(passes(bot, "source.fqdn", "trailing-.com"));
  CHECK_FALSE(passes(bot, "source.fqdn", "under_score.com"));
  CHECK_FALSE(passes(bot, "source.fqdn", "example.org"));  // org is not in the test list
  CHECK_FALSE(passes(bot, "source.fqdn", "com"));
  CHECK_FALSE(passes(bot, "source.fqdn", "example.c0m1"));  // TLD must end in a letter
  CHECK_FALSE(passes(bot, "source.fqdn", nullptr));
}

TEST_CASE("domain_valid: another field, missing list refuses the start",
          "[experts][domain_valid]") {
  testing::TestBot bot("experts.domain_valid.expert",
                       {{"tlds_domains_list", Value::string(tlds())},
                        {"domain_field", Value::string("destination.fqdn")}});
  CHECK(passes(bot, "destination.fqdn", "example.info"));
  CHECK_FALSE(passes(bot, "source.fqdn", "example.info"));
  CHECK_THROWS_AS(testing::TestBot("experts.domain_valid.expert",
                                   {{"tlds_domains_list", Value::string("/nonexistent/tlds.txt")}}),
                  ConfigError);
}
