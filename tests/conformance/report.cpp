// SPDX-License-Identifier: AGPL-3.0-or-later
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <array>
#include <iostream>

#include "tests/conformance/suite.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace intelflow::conformance {

namespace {
/// Failure lines show this many diffs; --verbose shows all.
constexpr std::size_t kDiffsPerLine = 3;
}  // namespace

namespace {
char g_current[512] = "";
std::size_t g_current_len = 0;

extern "C" void on_crash(int sig) {
  static const char kHead[] = "\nintelflow-conformance: crashed (signal ";
  char num[8];
  std::size_t n = 0;
  int v = sig;
  do {
    num[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v && n < sizeof num);
  ssize_t ignored = ::write(2, kHead, sizeof kHead - 1);
  while (n) ignored = ::write(2, &num[--n], 1);
  static const char kMid[] = ") while running ";
  ignored = ::write(2, kMid, sizeof kMid - 1);
  ignored = ::write(2, g_current, g_current_len);
  ignored = ::write(2, "\n", 1);
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}
}  // namespace

void set_current_item(std::string_view id) noexcept {
  g_current_len = std::min(id.size(), sizeof g_current - 1);
  std::memcpy(g_current, id.data(), g_current_len);
}

void install_crash_reporter() {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_crash);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // Sanitizer reports end the process without a signal: name the item there too.
  __sanitizer_set_death_callback(+[] {
    std::fflush(stdout);
    std::fprintf(stderr, "intelflow-conformance: sanitizer stopped the run while running %.*s\n",
                 static_cast<int>(g_current_len), g_current);
  });
#endif
}

bool Options::selected(std::string_view id, std::string_view alt) const {
  if (filters.empty()) return true;
  const std::string a(id), b(alt);
  for (const auto& f : filters) {
    if (fnmatch(f.c_str(), a.c_str(), 0) == 0) return true;
    if (!b.empty() && fnmatch(f.c_str(), b.c_str(), 0) == 0) return true;
  }
  return false;
}

std::string_view status_name(Status s) noexcept {
  switch (s) {
    case Status::Passed:
      return "passed";
    case Status::Failed:
      return "failed";
    case Status::Skipped:
      return "skipped";
  }
  return "?";
}

void Report::pass(std::string id, std::string_view suite) {
  ++passed_;
  if (opts_.verbose) std::cout << "PASS " << id << std::endl;  // flushed: a crash shows where
  results_.push_back(Result{std::move(id), std::string(suite), Status::Passed, {}, {}, {}, {}});
}

void Report::fail(std::string id, std::string_view suite, std::vector<std::string> diffs,
                  std::string context) {
  ++failed_;
  if (diffs.empty()) diffs.emplace_back("failed (no detail)");
  std::string line = "FAIL " + id;
  if (!context.empty()) line += " (" + context + ")";
  line += ": ";
  const std::size_t shown = opts_.verbose ? diffs.size() : std::min(diffs.size(), kDiffsPerLine);
  for (std::size_t i = 0; i < shown; ++i) {
    if (i) line += opts_.verbose ? "\n    " : " | ";
    line += diffs[i];
  }
  if (shown < diffs.size())
    line += " | (+" + std::to_string(diffs.size() - shown) + " more; --verbose shows all)";
  std::cout << line << std::endl;
  results_.push_back(Result{std::move(id),
                            std::string(suite),
                            Status::Failed,
                            std::move(diffs),
                            {},
                            {},
                            std::move(context)});
}

void Report::skip(std::string id, std::string_view suite, std::string reason, std::string module) {
  ++skipped_;
  if (opts_.verbose) std::cout << "SKIP " << id << ": " << reason << std::endl;
  if (!module.empty()) ++skipped_modules_[module];
  results_.push_back(Result{std::move(id),
                            std::string(suite),
                            Status::Skipped,
                            {},
                            std::move(reason),
                            std::move(module),
                            {}});
}

std::map<std::string, std::array<std::size_t, 3>> Report::group_counts() const {
  std::map<std::string, std::array<std::size_t, 3>> out;
  for (const auto& r : results_) {
    // "IPAddress/012" → IPAddress, "scenario/001" → scenario, bot cases → their group.
    std::string group = r.id.substr(0, r.id.find('/'));
    ++out[group][static_cast<std::size_t>(r.status)];
  }
  return out;
}

std::string Report::group_table() const {
  std::string out;
  for (const auto& [group, c] : group_counts()) {
    out += "  " + group + ": " + std::to_string(c[0]) + " passed, " + std::to_string(c[1]) +
           " failed, " + std::to_string(c[2]) + " skipped\n";
  }
  return out;
}

std::string Report::summary_line() const {
  return "conformance: " + std::to_string(passed_) + " passed, " + std::to_string(failed_) +
         " failed, " + std::to_string(skipped_) + " skipped of " + std::to_string(total());
}

Json Report::to_json() const {
  Json j;
  j["dir"] = opts_.dir.string();
  j["filters"] = opts_.filters;
  j["counts"] = {
      {"passed", passed_}, {"failed", failed_}, {"skipped", skipped_}, {"total", total()}};
  Json mods = Json::array();
  for (const auto& [module, n] : skipped_modules_)
    mods.push_back({{"module", module}, {"cases", n}});
  j["skipped_modules"] = std::move(mods);
  Json groups = Json::object();
  for (const auto& [group, c] : group_counts()) {
    groups[group] = {{"passed", c[0]}, {"failed", c[1]}, {"skipped", c[2]}};
  }
  j["groups"] = std::move(groups);
  Json results = Json::array();
  for (const auto& r : results_) {
    Json e;
    e["id"] = r.id;
    e["suite"] = r.suite;
    e["status"] = status_name(r.status);
    e["diff"] = r.diffs;
    if (!r.reason.empty()) e["reason"] = r.reason;
    if (!r.module.empty()) e["module"] = r.module;
    if (!r.context.empty()) e["context"] = r.context;
    results.push_back(std::move(e));
  }
  j["results"] = std::move(results);
  return j;
}

}  // namespace intelflow::conformance
