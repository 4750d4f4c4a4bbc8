// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/wal/fault.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace intelflow::wal {

namespace {
struct Armed {
  std::string name;
  long due = 0;
  std::atomic<long> hits{0};
  bool on = false;
  Armed() {
    const char* env = std::getenv("INTELFLOW_FAULT");
    if (env == nullptr || *env == '\0') return;
    std::string s(env);
    auto colon = s.find(':');
    name = s.substr(0, colon);
    due = colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1);
    if (due < 1) due = 1;
    on = true;
  }
};
Armed& armed() {
  static Armed a;
  return a;
}
}  // namespace

bool fault_due(std::string_view name) noexcept {
  Armed& a = armed();
  if (!a.on || name != a.name) return false;
  return a.hits.fetch_add(1) + 1 == a.due;
}

void fault_kill() noexcept {
  static constexpr char kMsg[] = "intelflow: fault point hit, killing the process\n";
  (void)!::write(2, kMsg, sizeof kMsg - 1);
  ::kill(::getpid(), SIGKILL);
  ::_exit(137);  // not reached
}

void fault_point(std::string_view name) noexcept {
  if (fault_due(name)) fault_kill();
}

}  // namespace intelflow::wal
