// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// `intelflow bench`: the end-to-end benchmark harness (docs/performance.md).
/// Generates the feed of ../shared/bench, runs the 7-bot pipeline in a child
/// `intelflow run` process per repetition and variant, checks every run
/// against counts.json and the plain baseline (build/bin/bench_baseline), and
/// prints median and spread of each figure; the last line is the summary of
/// the default configuration.

#include <iosfwd>
#include <string>
#include <vector>

namespace intelflow::bench {

/// Runs the harness with the arguments after `bench`; returns the exit status
/// (0: every run reconciled, 1: a run did not, 2: usage or setup error).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace intelflow::bench
