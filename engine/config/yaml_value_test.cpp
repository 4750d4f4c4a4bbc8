// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/config/yaml_value.hpp"

#include <cmath>

#include <catch2/catch.hpp>

namespace intelflow::config {
namespace {

using harm::Kind;
using harm::Value;

Value one(const std::string& yaml_value) {
  return yaml_to_value(YAML::Load("k: " + yaml_value)["k"]);
}

// Expected types and values were taken from PyYAML 6 `yaml.safe_load`.
TEST_CASE("yaml: plain scalars are typed like PyYAML's safe_load", "[config]") {
  CHECK(one("true") == Value::boolean(true));
  CHECK(one("TRUE") == Value::boolean(true));
  CHECK(one("yes") == Value::boolean(true));
  CHECK(one("On") == Value::boolean(true));
  CHECK(one("off").is_bool());
  CHECK(one("NO") == Value::boolean(false));
  CHECK(one("tRue") == Value::string("tRue"));
  CHECK(one("y") == Value::string("y"));
  CHECK(one("n") == Value::string("n"));
  CHECK(one("~").is_null());
  CHECK(one("null").is_null());
  CHECK(one("NULL").is_null());
  CHECK(one("").is_null());
  CHECK(one("12").is_int());
  CHECK(one("12") == Value::integer(12));
  CHECK(one("+12") == Value::integer(12));
  CHECK(one("-0") == Value::integer(0));
  CHECK(one("0x1F") == Value::integer(31));
  CHECK(one("017") == Value::integer(15));
  CHECK(one("0b101") == Value::integer(5));
  CHECK(one("-0b11") == Value::integer(-3));
  CHECK(one("1_000") == Value::integer(1000));
  CHECK(one("1:30") == Value::integer(90));
  CHECK(one("08") == Value::string("08"));
  CHECK(one("0o17") == Value::string("0o17"));
  CHECK(one("1:60") == Value::string("1:60"));
  const Value big = one("9999999999999999999999");
  CHECK(big.kind() == Kind::BigInt);
  CHECK(big.as_string() == "9999999999999999999999");
  CHECK(one("-9223372036854775808") == Value::integer(INT64_MIN));
  CHECK(one("0xFFFFFFFFFFFFFFFFFF").as_string() == "4722366482869645213695");
  CHECK(one("1.5").kind() == Kind::Float);
  CHECK(one("1.5").as_float() == 1.5);
  CHECK(one(".5").as_float() == 0.5);
  CHECK(one("1.").as_float() == 1.0);
  CHECK(one("1.5e+5").as_float() == 150000.0);
  CHECK(one("1_2.5e-3").as_float() == Approx(0.0125));
  CHECK(one("-1:30.5").as_float() == -90.5);
  CHECK(one("1e5") == Value::string("1e5"));
  CHECK(one("1.0e5") == Value::string("1.0e5"));
  CHECK(one("-.5") == Value::string("-.5"));
  CHECK(std::isinf(one("-.inf").as_float()));
  CHECK(one("-.inf").as_float() < 0);
  CHECK(std::isnan(one(".NaN").as_float()));
  CHECK(one("2001-12-14") == Value::string("2001-12-14"));
  CHECK(one("127.0.0.1") == Value::string("127.0.0.1"));
}

TEST_CASE("yaml: quoted, block and !!str scalars are strings", "[config]") {
  CHECK(one("'1'") == Value::string("1"));
  CHECK(one("\"true\"") == Value::string("true"));
  CHECK(one("\"null\"") == Value::string("null"));
  CHECK(one("!!str 5") == Value::string("5"));
  CHECK(one("!!int '5'") == Value::integer(5));
  CHECK(one("!!float '5'").as_float() == 5.0);
  CHECK(yaml_to_value(YAML::Load("k: |\n  a\n  b\n")["k"]) == Value::string("a\nb\n"));
  CHECK_THROWS_AS(one("!custom x"), YamlValueError);
}

TEST_CASE("yaml: sequences and mappings keep file order, merge keys apply", "[config]") {
  Value v = yaml_to_value(YAML::Load("z: 1\na: [1, x, ~]\nm: {b: 2, a: 1}\n"));
  REQUIRE(v.is_dict());
  REQUIRE(v.as_dict().size() == 3);
  CHECK(v.as_dict()[0].first == "z");
  CHECK(v.as_dict()[1].second.as_list().at(2).is_null());
  CHECK(v.as_dict()[2].second.as_dict()[0].first == "b");

  Value m = yaml_to_value(
      YAML::Load("base: &b {x: 1, y: 2}\nother: &o {x: 9, w: 0}\nuse:\n  <<: [*b, *o]\n  y: 3\n"));
  const auto& use = m.as_dict()[2].second.as_dict();
  REQUIRE(use.size() == 3);  // PyYAML: {'x': 1, 'w': 0, 'y': 3}
  CHECK(use[0].first == "x");
  CHECK(use[0].second == Value::integer(1));  // the first merged mapping wins
  CHECK(use[1].first == "w");
  CHECK(use[2].second == Value::integer(3));  // own keys win over merged ones

  std::vector<std::pair<YAML::Node, YAML::Node>> dups;
  auto entries = yaml_map_entries(YAML::Load("a: 1\nb: 2\na: 3\n"), &dups);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].key == "a");
  CHECK(entries[0].value.Scalar() == "3");
  REQUIRE(dups.size() == 1);
  CHECK(dups[0].first.Mark().line == 0);
  CHECK(dups[0].second.Mark().line == 2);
}

}  // namespace
}  // namespace intelflow::config
