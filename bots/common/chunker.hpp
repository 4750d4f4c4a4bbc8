// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Report splitting of IntelMQ's `intelmq.lib.splitreports` (core.md §6.3),
/// used by the file and mail-URL collectors: the input is cut into pieces of
/// at most `chunk_size` bytes ending at `\n` (a longer line stays whole);
/// optionally the first line is replicated at the start of every piece.
/// The input is read in `chunk_size` steps exactly as the reference does, so
/// piece boundaries are identical.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intelflow::bots::chunker {

/// `split_chunks`: splits `data` at `\n` into pieces of at most `chunk_size`
/// bytes where possible. Concatenated they equal `data`; all but the last end
/// in `\n`.
std::vector<std::string_view> split_chunks(std::string_view data, std::size_t chunk_size);

/// A byte source: reads up to `max` bytes into `buf`, returns the count (0 = end).
using ReadFn = std::function<std::size_t(char* buf, std::size_t max)>;
/// Receives the raw payload of one report.
using EmitFn = std::function<void(std::string_view payload)>;

/// `generate_reports`: without `chunk_size`, the whole input is one payload
/// (none if empty). With it, the first line (incl. `\n`) is taken as header
/// when `copy_header_line`, and each piece of the rest → header + piece.
void generate(const ReadFn& read, std::optional<std::size_t> chunk_size, bool copy_header_line,
              const EmitFn& emit);
/// The same over a buffer already in memory.
void generate(std::string_view data, std::optional<std::size_t> chunk_size, bool copy_header_line,
              const EmitFn& emit);

}  // namespace intelflow::bots::chunker
