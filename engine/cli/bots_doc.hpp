// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// Bot documentation generated from the registry's ParamSpec tables.

#include <ostream>
#include <string>

namespace intelflow::cli {

/// One Markdown page per bot (`<module>.md`) plus `README.md` (index) in `dir`.
int write_bot_docs(const std::string& dir, std::ostream& out);
/// The page of one bot.
std::string bot_doc_markdown(const std::string& module);
int list_bots(std::ostream& out);

}  // namespace intelflow::cli
