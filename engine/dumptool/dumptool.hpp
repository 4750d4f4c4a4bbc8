// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// `intelflow dump`: inspect and repair dump files (IntelMQ's intelmqdump for
/// one daemon, core.md §7.4): overview of the dumps of a graph, show, delete,
/// edit (in $EDITOR, validated against the harmonization), re-inject into the
/// bot's input through the re-injection spool (spool.hpp; the daemon picks it
/// up, see engine/runtime/reinject.hpp). Non-interactive: one action per call.

#include <iosfwd>
#include <string>
#include <vector>

namespace intelflow::dumptool {

/// Runs `intelflow dump ARGS...` (`args` without "dump"); returns the exit status:
/// 0 success, 1 some entries could not be handled (invalid, refused edit),
/// 2 usage or environment error (bad arguments, unreadable dump file, graph errors).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// The usage text of `intelflow dump --help`.
std::string usage();

/// Whether a process holds the flock of `<wal_dir>/LOCK` (a daemon runs on
/// this state dir), read from /proc/locks without taking the lock.
bool daemon_running(const std::string& wal_dir);

}  // namespace intelflow::dumptool
