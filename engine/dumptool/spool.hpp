// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Re-injection spool files (docs/decisions/0004-dump-tool.md): how dump
/// entries travel from `intelflow dump reinject` to the running daemon,
/// exactly once, across crashes of either.
///
/// `<state_dir>/reinject/<name>.prep` — prepared: written durably under the
/// dump file's lock *before* the entries are removed from the dump. It is
/// the journal of that move: whoever finds it (the next `intelflow dump`, the
/// daemon) rolls it forward under the same lock — removes the entries from the
/// dump if still there — and renames it to
/// `<state_dir>/reinject/<name>.json` — ready: the entries are no longer in
/// the dump; the daemon injects them (WAL records tagged `<name>#<k>`) and
/// unlinks the file. Names never contain '#' or '\n'.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "engine/graph/dump.hpp"

namespace intelflow::dumptool {

/// One entry of a spool: the dump entry as it was in the dump file, and the
/// message text to inject (the entry's message, base64 decoded if needed).
struct SpoolEntry {
  graph::DumpEntry original;
  std::string message;
};

/// The content of one spool file.
struct Spool {
  std::string name;  ///< file name without extension
  std::string bot_id;
  std::string dump_file;  ///< the dump the entries came from
  std::vector<SpoolEntry> entries;
};

/// Where a spool file is in its life.
enum class SpoolState { Prepared, Ready };

/// A spool file found in the spool directory.
struct SpoolFile {
  std::string path;
  std::string name;
  SpoolState state;
};

std::string spool_dir_of(const std::string& state_dir);
/// A fresh, unique, time-ordered name.
std::string new_spool_name();
std::string spool_path(const std::string& dir, const std::string& name, SpoolState state);
/// Every `.prep` / `.json` spool in `dir`, oldest first (none if `dir` is missing).
std::vector<SpoolFile> list_spools(const std::string& dir);
/// Reads a spool file. Throws std::runtime_error if it is unreadable.
Spool read_spool(const std::string& path);
/// Writes a spool file durably (tmp + fsync + rename + fsync of the dir).
void write_spool(const std::string& path, const Spool& s);
/// fsync of a directory.
void sync_dir(const std::string& dir);

/// Moves a prepared spool to ready: removes its entries from its dump file (if
/// still there) and renames it. The caller holds the dump file's lock.
/// Fault points (tests): `dump.after_rewrite` between the two.
void commit_prepared(const std::string& dir, const Spool& s);

/// Rolls every prepared spool of `dir` forward. wait=false: a spool whose
/// dump file is locked now is skipped (the daemon retries every second).
/// Returns the number rolled forward; problems go to `errors` (if given).
std::size_t roll_forward(const std::string& dir, bool wait,
                         std::vector<std::string>* errors = nullptr);

}  // namespace intelflow::dumptool
