// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// CRC-32C (Castagnoli), as used by the WAL record framing. Uses the SSE4.2
/// instruction when the CPU has it, else a slicing-by-8 table. Thread-safe.

#include <cstddef>
#include <cstdint>

namespace intelflow::wal {

std::uint32_t crc32c(const void* data, std::size_t len, std::uint32_t crc = 0) noexcept;

}  // namespace intelflow::wal
