// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once
/// One benchmark run: prepares the pipeline file of a variant, starts the
/// child process (`intelflow run` or bench_baseline, plus redis-server when
/// the variant uses Redis), releases the feed, waits for the end, collects
/// rusage and the child's stats file and checks the run against counts.json
/// and the baseline's output.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intelflow::bench {

/// counts.json of the generated feed (see ../shared/bench/README.md).
struct FeedCounts {
  std::uint64_t lines = 0, seed = 0, malformed = 0, duplicates = 0, expected_events_out = 0;
  std::string sha256;
};

/// One configuration of the pipeline.
struct Variant {
  std::string name;
  std::string fsync = "always";
  bool redis = false;
  int threads = 2;
  std::optional<std::uint64_t> batch_size;  ///< unset: the engine's default
  double rate = 0;        ///< events/s released (fixed-rate mode); 0 = whole feed at once
  double rate_limit = 0;  ///< collector poll interval override in s; 0 = the pipeline's own
};

/// What every run shares.
struct Context {
  std::string bench_dir;     ///< ../shared/bench
  std::string work;          ///< scratch directory of this invocation
  std::string self_exe;      ///< the intelflow binary (child runs)
  std::string baseline_exe;  ///< bench_baseline; empty = no baseline
  std::string feed;          ///< generated feed (checked against counts.sha256)
  bool feed_ok = false;      ///< feed's SHA-256 equals counts.sha256
  FeedCounts counts;
  std::string template_text;  ///< pipeline.yaml.in
  std::string reference;      ///< baseline output every run is compared with; empty = none
  double timeout_s = 900;
  bool keep = false;  ///< keep run directories
  std::string observation_time = "2024-07-01T00:00:00+00:00";
};

/// Figures and checks of one run.
struct RunResult {
  bool correct = false;
  std::vector<std::string> problems;  ///< why the run does not reconcile
  std::uint64_t events_out = 0;
  double events_per_s = 0;          ///< events out / (last output write - release)
  double proc_events_per_s = 0;     ///< events out / (last output write - first admission)
  double pickup_s = 0;              ///< release -> first admission (collector poll delay)
  double elapsed_s = 0;             ///< release -> last output write
  double cpu_s = 0;                 ///< intelflow (or baseline) user+sys from release to exit
  double peak_rss_mb = 0;           ///< intelflow (or baseline) ru_maxrss
  double redis_cpu_s = 0;           ///< redis-server user+sys from release to the end
  double redis_rss_mb = 0;          ///< redis-server VmHWM
  double p50_ms = -1, p99_ms = -1;  ///< WAL-durable -> written; -1 = not measured
  bool latency_from_engine = false;
  std::string output;  ///< output file kept for comparison (baseline), else empty
};

/// Generates the feed (before any timing) and fills ctx.feed, ctx.counts,
/// ctx.feed_ok. Returns false with a message in `error` on failure.
bool prepare_feed(Context& ctx, std::uint64_t lines, std::uint64_t seed, std::string& error);

/// One run of the engine.
RunResult run_engine(const Context& ctx, const Variant& v, int rep);
/// One run of the plain baseline (no engine). `keep_output`: the output file
/// stays (its path in RunResult::output) to serve as ctx.reference.
RunResult run_baseline(const Context& ctx, int rep, bool keep_output);

/// Compares two JSON-lines files as sorted multisets of lines (byte
/// equality). nullopt when equal, else a description of the first difference.
std::optional<std::string> compare_sorted_lines(const std::string& a, const std::string& b);

/// SHA-256 of a file, hex; empty if unreadable.
std::string sha256_file(const std::string& path);

}  // namespace intelflow::bench
