// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Conversion of vector-file JSON into harm::Value, capture of what a call
/// returned or threw, and the comparison rules of VECTORS.md "How to compare"
/// producing readable field-level diffs.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harmonization/errors.hpp"
#include "harmonization/value.hpp"
#include "tests/conformance/suite.hpp"

namespace intelflow::conformance {

/// A tagged value the port does not take as input ($ip_address, $datetime, ...).
class Unsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// JSON → Value: ints stay Int (or BigInt beyond int64), floats Float, objects
/// keep their order, `{"$float": "NaN"}` → special float, `{"$bigint": "..."}` →
/// BigInt, `{"$bytes_b64": "..."}` → Bytes. Other `$` tags throw Unsupported.
harm::Value to_value(const Json& j);

/// Readable rendering of a value for diffs: JSON-like, strings quoted and
/// escaped, floats always with a '.' or exponent, kinds annotated where
/// JSON would hide them (bigint, bytes).
std::string render(const harm::Value& v);
std::string render(const Json& j);
/// A one-line, length-limited rendering of JSON (op arguments, inputs).
std::string brief(const Json& j, std::size_t max_len = 160);
std::string kind_label(const harm::Value& v);

/// What a call did: returned a value, threw HarmonizationError, or threw something else.
struct Outcome {
  enum class State : std::uint8_t { Returned, HarmError, OtherError };
  State state = State::Returned;
  harm::ErrorKind kind = harm::ErrorKind::ValueError;
  std::string what;
  harm::Value value;

  bool threw() const noexcept { return state != State::Returned; }
  std::string describe_error() const;

  template <class F>
  static Outcome capture(F&& f) {
    Outcome o;
    try {
      o.value = f();
    } catch (const harm::HarmonizationError& e) {
      o.state = State::HarmError;
      o.kind = e.kind();
      o.what = e.what();
    } catch (const std::exception& e) {
      o.state = State::OtherError;
      o.what = e.what();
    }
    return o;
  }
};

/// Whether a thrown error satisfies a recorded Python exception name
/// (VECTORS.md error table). Sets `why` when it does not.
bool error_matches(std::string_view recorded, const Outcome& got, std::string& why);

/// Compares an expected JSON value with an actual Value, appending one diff per
/// differing leaf to `diffs` (prefixed by `path`). Objects are compared
/// order-insensitively, lists in order, numbers by value and int/float kind,
/// strings byte for byte. `json_text`: the strings are JSON texts (serialize,
/// to_json, ...); a mismatch that is only structurally equal says so.
bool compare_value(const Json& expected, const harm::Value& actual, const std::string& path,
                   std::vector<std::string>& diffs, bool json_text = false);

/// Compares a recorded (result, error) pair with an Outcome: the error kind if
/// one was recorded (error may be null/absent), else the value.
bool compare_outcome(const Json& expected_value, const Json* expected_error, const Outcome& got,
                     const std::string& label, std::vector<std::string>& diffs,
                     bool json_text = false);

/// "2024-06-15T12:00:00+00:00" → epoch seconds (UTC offset honoured).
std::optional<std::int64_t> parse_clock(std::string_view iso);

}  // namespace intelflow::conformance
