// SPDX-License-Identifier: AGPL-3.0-or-later
#include <catch2/catch.hpp>

#include "harmonization/value.hpp"

using intelflow::harm::Value;

TEST_CASE("value: numbers compare by value across bool, int and float", "[value]") {
  CHECK(Value::integer(1) == Value::floating(1.0));
  CHECK(Value::boolean(true) == Value::integer(1));
  CHECK_FALSE(Value::integer(2) == Value::floating(2.5));
}

TEST_CASE("value: str never equals bytes", "[value]") {
  CHECK_FALSE(Value::string("a") == Value::bytes("a"));
  CHECK(Value::string("a") == Value::string("a"));
}

TEST_CASE("value: dicts compare as unordered maps, copies are deep", "[value]") {
  Value a = Value::dict({{"x", Value::integer(1)}, {"y", Value::string("b")}});
  Value b = Value::dict({{"y", Value::string("b")}, {"x", Value::integer(1)}});
  CHECK(a == b);
  Value c = a;
  c.as_dict()[0].second = Value::integer(2);
  CHECK_FALSE(a == c);
  CHECK(a.as_dict()[0].second == Value::integer(1));
}

TEST_CASE("value: Python truthiness", "[value]") {
  CHECK_FALSE(Value().truthy());
  CHECK_FALSE(Value::integer(0).truthy());
  CHECK_FALSE(Value::string("").truthy());
  CHECK_FALSE(Value::list({}).truthy());
  CHECK(Value::string(" ").truthy());
  CHECK(Value::floating(0.5).truthy());
}
