// SPDX-License-Identifier: AGPL-3.0-or-later
#define PCRE2_CODE_UNIT_WIDTH 8
#include "bots/common/pyregex.hpp"

#include <pcre2.h>

namespace intelflow::bots {

struct PyRegex::Code {
  pcre2_code* code = nullptr;
  ~Code() {
    if (code != nullptr) pcre2_code_free(code);
  }
};

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// Per-thread match data, grown to the largest pattern seen.
struct MatchData {
  pcre2_match_data* md = nullptr;
  std::uint32_t pairs = 0;
  ~MatchData() {
    if (md != nullptr) pcre2_match_data_free(md);
  }
  pcre2_match_data* get(std::uint32_t need) {
    if (md == nullptr || pairs < need) {
      if (md != nullptr) pcre2_match_data_free(md);
      pairs = need < 16 ? 16 : need;
      md = pcre2_match_data_create(pairs, nullptr);
      if (md == nullptr) throw std::bad_alloc();
    }
    return md;
  }
};

}  // namespace

std::string PyRegex::translate(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 8);
  bool in_class = false;
  std::size_t class_start = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == 'Z' && !in_class) {
        out += "\\z";
        ++i;
        continue;
      }
      if (n == 'u' && i + 6 <= p.size()) {
        bool ok = true;
        for (std::size_t k = 2; k < 6; ++k) ok = ok && is_hex(p[i + k]);
        if (ok) {
          out += "\\x{";
          out.append(p.substr(i + 2, 4));
          out += '}';
          i += 5;
          continue;
        }
      }
      if (n == 'U' && i + 10 <= p.size()) {
        bool ok = true;
        for (std::size_t k = 2; k < 10; ++k) ok = ok && is_hex(p[i + k]);
        if (ok) {
          out += "\\x{";
          out.append(p.substr(i + 2, 8));
          out += '}';
          i += 9;
          continue;
        }
      }
      out += c;
      out += n;
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']' && i > class_start) in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      class_start = i + 1;
      if (class_start < p.size() && p[class_start] == '^') ++class_start;
      out += c;
      continue;
    }
    if (c == '{' && i + 1 < p.size() && p[i + 1] == ',') {
      // Python 3.11: x{,n} == x{0,n}
      std::size_t j = i + 2;
      while (j < p.size() && p[j] >= '0' && p[j] <= '9') ++j;
      if (j > i + 2 && j < p.size() && p[j] == '}') {
        out += "{0";
        continue;  // the ',' and digits are copied by the next iterations
      }
    }
    out += c;
  }
  return out;
}

PyRegex::PyRegex(std::string_view pattern, bool ignore_case)
    : code_(std::make_unique<Code>()), pattern_(pattern) {
  std::string translated = translate(pattern);
  pcre2_compile_context* cctx = pcre2_compile_context_create(nullptr);
  if (cctx == nullptr) throw std::bad_alloc();
  pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
  std::uint32_t opts = PCRE2_UTF | PCRE2_UCP;
  if (ignore_case) opts |= PCRE2_CASELESS;
  int err = 0;
  PCRE2_SIZE erroff = 0;
  code_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                              opts, &err, &erroff, cctx);
  pcre2_compile_context_free(cctx);
  if (code_->code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    throw RegexError("bad regular expression '" + pattern_ + "': " +
                     reinterpret_cast<const char*>(buf) + " at offset " + std::to_string(erroff));
  }
  pcre2_jit_compile(code_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter
  std::uint32_t n = 0;
  pcre2_pattern_info(code_->code, PCRE2_INFO_CAPTURECOUNT, &n);
  captures_ = static_cast<int>(n);
}

PyRegex::~PyRegex() = default;

bool PyRegex::search(std::string_view subject, std::vector<std::size_t>* groups) const {
  thread_local MatchData tl;
  pcre2_match_data* md = tl.get(static_cast<std::uint32_t>(captures_) + 1);
  int rc = pcre2_match(code_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                       0, md, nullptr);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(rc, buf, sizeof buf);
    throw RegexError(std::string("regular expression match failed: ") +
                     reinterpret_cast<const char*>(buf));
  }
  if (groups != nullptr) {
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    std::size_t n = 2 * (static_cast<std::size_t>(captures_) + 1);
    groups->resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      // pairs beyond rc are unset
      (*groups)[i] = i / 2 < static_cast<std::size_t>(rc) ? ov[i] : kRegexUnset;
    }
  }
  return true;
}

std::optional<int> PyRegex::group_number(std::string_view name) const {
  std::string n(name);
  int rc = pcre2_substring_number_from_name(code_->code, reinterpret_cast<PCRE2_SPTR>(n.c_str()));
  if (rc < 0) return std::nullopt;
  return rc;
}

}  // namespace intelflow::bots
