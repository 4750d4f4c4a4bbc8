// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// A dynamically typed value with the distinctions IntelMQ (Python) makes:
/// None, bool, int (int64, or a "big int" held as decimal digits), float,
/// str (UTF-8), bytes, list and dict (insertion ordered). Messages store
/// values of this type; harmonization types sanitize and validate them.
/// Plain value type: no shared state, safe to copy between threads.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace intelflow::harm {

enum class Kind : std::uint8_t { Null, Bool, Int, BigInt, Float, String, Bytes, List, Dict };

class Value {
 public:
  using List = std::vector<Value>;
  using Dict = std::vector<std::pair<std::string, Value>>;

  Value() noexcept : kind_(Kind::Null), i_(0) {}
  static Value null() { return Value(); }
  static Value boolean(bool b) {
    Value v;
    v.kind_ = Kind::Bool;
    v.b_ = b;
    return v;
  }
  static Value integer(std::int64_t i) {
    Value v;
    v.kind_ = Kind::Int;
    v.i_ = i;
    return v;
  }
  /// An integer outside int64, as optional '-' and decimal digits.
  static Value big_integer(std::string digits) {
    Value v;
    v.kind_ = Kind::BigInt;
    v.s_ = std::move(digits);
    return v;
  }
  static Value floating(double f) {
    Value v;
    v.kind_ = Kind::Float;
    v.f_ = f;
    return v;
  }
  static Value string(std::string s) {
    Value v;
    v.kind_ = Kind::String;
    v.s_ = std::move(s);
    return v;
  }
  static Value string(std::string_view s) { return string(std::string(s)); }
  static Value string(const char* s) { return string(std::string(s)); }
  static Value bytes(std::string b) {
    Value v;
    v.kind_ = Kind::Bytes;
    v.s_ = std::move(b);
    return v;
  }
  static Value list(List l) {
    Value v;
    v.list_ = new List(std::move(l));
    v.kind_ = Kind::List;
    return v;
  }
  static Value dict(Dict d) {
    Value v;
    v.dict_ = new Dict(std::move(d));
    v.kind_ = Kind::Dict;
    return v;
  }

  Value(const Value& o) : kind_(o.kind_), i_(o.i_), s_(o.s_) {
    if (o.kind_ == Kind::List)
      list_ = new List(*o.list_);
    else if (o.kind_ == Kind::Dict)
      dict_ = new Dict(*o.dict_);
  }
  /// Leaves `o` null when it held a list or dict (it keeps scalars).
  Value(Value&& o) noexcept : kind_(o.kind_), i_(o.i_), s_(std::move(o.s_)) {
    if (kind_ == Kind::List || kind_ == Kind::Dict) o.kind_ = Kind::Null;
  }
  Value& operator=(const Value& o) {
    if (this != &o) {
      Value tmp(o);
      *this = std::move(tmp);
    }
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      release();
      kind_ = o.kind_;
      i_ = o.i_;
      s_ = std::move(o.s_);
      if (kind_ == Kind::List || kind_ == Kind::Dict) o.kind_ = Kind::Null;
    }
    return *this;
  }
  ~Value() { release(); }

  Kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == Kind::Null; }
  bool is_bool() const noexcept { return kind_ == Kind::Bool; }
  bool is_int() const noexcept { return kind_ == Kind::Int; }
  bool is_bigint() const noexcept { return kind_ == Kind::BigInt; }
  bool is_float() const noexcept { return kind_ == Kind::Float; }
  /// int, big int or float; not bool (Python's bool is an int subclass: check is_bool separately).
  bool is_number() const noexcept {
    return kind_ == Kind::Int || kind_ == Kind::BigInt || kind_ == Kind::Float;
  }
  bool is_string() const noexcept { return kind_ == Kind::String; }
  bool is_bytes() const noexcept { return kind_ == Kind::Bytes; }
  bool is_list() const noexcept { return kind_ == Kind::List; }
  bool is_dict() const noexcept { return kind_ == Kind::Dict; }

  bool as_bool() const noexcept { return b_; }
  std::int64_t as_int() const noexcept { return i_; }
  double as_float() const noexcept { return f_; }
  /// Text of a String, the bytes of Bytes, or the digits of a BigInt.
  const std::string& as_string() const noexcept { return s_; }
  std::string& mutable_string() noexcept { return s_; }
  /// Makes this value the String `s`, reusing the storage of its text.
  void assign_string(std::string_view s) {
    release();
    kind_ = Kind::String;
    s_.assign(s.data(), s.size());
  }
  const List& as_list() const noexcept { return *list_; }
  List& as_list() noexcept { return *list_; }
  const Dict& as_dict() const noexcept { return *dict_; }
  Dict& as_dict() noexcept { return *dict_; }

  /// Python truthiness (None, False, 0, 0.0, "", b"", [], {} are false).
  bool truthy() const noexcept;

  /// Python `==`: bool/int/float compare by numeric value (True == 1 == 1.0),
  /// str never equals bytes, lists element-wise, dicts as unordered maps.
  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  /// Frees a held list or dict (the kind is left as it was).
  void release() noexcept {
    if (kind_ == Kind::List)
      delete list_;
    else if (kind_ == Kind::Dict)
      delete dict_;
  }

  // 48 bytes: the kind, one word (scalar or the container), the text.
  Kind kind_;
  union {
    bool b_;
    std::int64_t i_;
    double f_;
    List* list_;
    Dict* dict_;
  };
  std::string s_;
};

}  // namespace intelflow::harm
