// SPDX-License-Identifier: AGPL-3.0-or-later
// A non-allocating validator with the grammar of Python's json.loads (C scanner,
// strict=True): NaN/Infinity/-Infinity, ASCII digits, no control characters in
// strings, integers limited to 4300 digits (int() max_str_digits).
#include "harmonization/types_detail.hpp"

namespace intelflow::harm::detail {

namespace {

/// Python raises RecursionError somewhere below 1000 nested containers.
constexpr int kMaxDepth = 990;

class JsonValidator {
 public:
  explicit JsonValidator(std::string_view s) : s_(s) {}

  JsonShape run() {
    if (s_.size() >= 3 && s_.compare(0, 3, "\xEF\xBB\xBF") == 0) return JsonShape::Invalid;
    skip_ws();
    JsonShape shape = JsonShape::Other;
    if (!value(0, &shape)) return JsonShape::Invalid;
    skip_ws();
    if (i_ != s_.size()) return JsonShape::Invalid;
    return shape;
  }

 private:
  bool at(char c) const noexcept { return i_ < s_.size() && s_[i_] == c; }
  void skip_ws() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  bool literal(std::string_view lit) noexcept {
    if (s_.compare(i_, lit.size(), lit) != 0) return false;
    i_ += lit.size();
    return true;
  }
  static bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool hex(char c) noexcept {
    return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  bool string() noexcept {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          if (i_ + 4 >= s_.size()) return false;
          for (int k = 1; k <= 4; ++k)
            if (!hex(s_[i_ + static_cast<std::size_t>(k)])) return false;
          i_ += 5;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
            e != 't')
          return false;
        ++i_;
        continue;
      }
      ++i_;
    }
    return false;  // unterminated
  }

  bool number() noexcept {
    if (at('-')) ++i_;
    std::size_t digits = 0;
    if (at('0')) {
      ++i_;
      digits = 1;
    } else if (i_ < s_.size() && s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && digit(s_[i_])) ++i_, ++digits;
    } else {
      return false;
    }
    bool is_float = false;
    if (at('.') && i_ + 1 < s_.size() && digit(s_[i_ + 1])) {
      is_float = true;
      ++i_;
      while (i_ < s_.size() && digit(s_[i_])) ++i_;
    }
    if (at('e') || at('E')) {
      std::size_t j = i_ + 1;
      if (j < s_.size() && (s_[j] == '+' || s_[j] == '-')) ++j;
      const std::size_t start = j;
      while (j < s_.size() && digit(s_[j])) ++j;
      if (j > start) {
        is_float = true;
        i_ = j;
      }
    }
    // int(text) refuses more than 4300 digits (ValueError).
    return is_float || digits <= 4300;
  }

  bool value(int depth, JsonShape* shape) {
    if (i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '"':
        return string();
      case '{':
        return object(depth + 1, shape);
      case '[':
        return array(depth + 1);
      case 'n':
        return literal("null");
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'N':
        return literal("NaN");
      case 'I':
        return literal("Infinity");
      case '-':
        if (s_.compare(i_, 9, "-Infinity") == 0) {
          i_ += 9;
          return true;
        }
        return number();
      default:
        return number();
    }
  }

  void check_depth(int depth) {
    if (depth > kMaxDepth) raise_value_error("RecursionError: maximum recursion depth exceeded");
  }

  bool object(int depth, JsonShape* shape) {
    check_depth(depth);
    ++i_;
    skip_ws();
    if (at('}')) {
      ++i_;
      if (shape) *shape = JsonShape::EmptyObject;
      return true;
    }
    while (true) {
      if (!at('"') || !string()) return false;
      skip_ws();
      if (!at(':')) return false;
      ++i_;
      skip_ws();
      if (!value(depth, nullptr)) return false;
      skip_ws();
      if (at('}')) {
        ++i_;
        if (shape) *shape = JsonShape::Object;
        return true;
      }
      if (!at(',')) return false;
      ++i_;
      skip_ws();
    }
  }

  bool array(int depth) {
    check_depth(depth);
    ++i_;
    skip_ws();
    if (at(']')) {
      ++i_;
      return true;
    }
    while (true) {
      if (!value(depth, nullptr)) return false;
      skip_ws();
      if (at(']')) {
        ++i_;
        return true;
      }
      if (!at(',')) return false;
      ++i_;
      skip_ws();
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

JsonShape json_shape(std::string_view text) {
  return JsonValidator(text).run();
}

}  // namespace intelflow::harm::detail
