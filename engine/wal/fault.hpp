// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Named crash points for the crash test suite. Compiled in with the CMake
/// option INTELFLOW_FAULT_POINTS (on by default; a release build for
/// production may turn it off). Armed by the environment:
///   INTELFLOW_FAULT=<name>[:<n>]   kill the process with SIGKILL the n-th
///                                   time (default 1st) point <name> is hit.
/// Unarmed cost: one relaxed atomic load per hit.

#include <string_view>

namespace intelflow::wal {

/// Returns only if the point is not armed (or not yet due).
void fault_point(std::string_view name) noexcept;

/// Counts a hit of point `name`; true when it is armed and this is the due
/// hit. For points that must do something before dying (`wal.power_loss`
/// discards the un-synced tail of the log first), then call fault_kill().
bool fault_due(std::string_view name) noexcept;

/// Kills the process with SIGKILL, saying so on stderr.
[[noreturn]] void fault_kill() noexcept;

}  // namespace intelflow::wal

#if defined(INTELFLOW_WITH_FAULT_POINTS)
#define INTELFLOW_FAULT_POINT(name) ::intelflow::wal::fault_point(name)
#define INTELFLOW_FAULT_DUE(name) ::intelflow::wal::fault_due(name)
#else
#define INTELFLOW_FAULT_POINT(name) ((void)0)
#define INTELFLOW_FAULT_DUE(name) false
#endif
