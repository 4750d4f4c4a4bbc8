// SPDX-License-Identifier: AGPL-3.0-or-later
// `intelflow bench`: options, variants, repetitions, report (docs/performance.md).

#include "benchmarks/harness/bench.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "benchmarks/harness/runner.hpp"
#include "engine/config/graph_config.hpp"

namespace intelflow::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// The engine's batch size when the graph file sets none.
std::uint64_t default_batch() {
  return config::EngineConfig{}.batch_size;
}

constexpr const char* kUsage = R"(usage: intelflow bench [options]

Runs the end-to-end benchmark of ../shared/bench (feed -> 7-bot pipeline -> JSON
lines) in child `intelflow run` processes, beside the plain single-threaded
baseline (bench_baseline), checks every run against counts.json and the
baseline's output, and prints median [min-max] of every figure. The last line
is the summary of the default configuration (see docs/performance.md).

options:
  --lines N          data lines of the generated feed (default 1000000)
  --seed S           generator seed (default 1)
  --repeats R        repetitions of every variant (default 5)
  --all              every variant: fsync never, Redis cache, batch size 1, 16, 64,
                     256, 1024, 1 thread (default: only the default configuration)
  --variant NAME     run this variant only (repeatable; names as printed by --all)
  --rate EV_PER_S    fixed-rate mode: release the feed in small files at this rate
                     (events/s) with the collector polling every 0.005 s
  --no-latency       skip the half-rate latency runs of the default configuration
  --rate-limit S     collector poll interval for every run (default: the pipeline's 1 s)
  --json FILE        write every figure of every run and variant as JSON
  --bench-dir DIR    the shared bench directory (gen_feed.py, pipeline.yaml.in,
                     modify-rules.json); default $INTELFLOW_BENCH_DIR, else
                     <source>/../shared/bench, else a shared/bench directory next
                     to an ancestor of the binary or of the working directory
  --work-dir DIR     scratch directory (default $TMPDIR/intelflow-bench-<pid>, on the
                     file system the WAL is fsynced to; removed unless --keep or a
                     run failed)
  --baseline PATH    the baseline binary (default: bench_baseline beside intelflow)
  --no-baseline      no baseline (ratio 0, no output comparison)
  --timeout S        give up on a run after S seconds (default 900)
  --keep             keep the scratch directory and every run's files
)";

struct Options {
  std::uint64_t lines = 1'000'000, seed = 1;
  int repeats = 5;
  bool all = false, latency = true, keep = false, baseline = true;
  std::vector<std::string> only;
  double rate = 0, rate_limit = 0, timeout = 900;
  std::string json_file, bench_dir, work_dir, baseline_exe;
};

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

bool is_bench_dir(const fs::path& d) {
  std::error_code ec;
  return fs::exists(d / "gen_feed.py", ec) && fs::exists(d / "pipeline.yaml.in", ec);
}

/// --bench-dir, $INTELFLOW_BENCH_DIR, <source>/../shared/bench, then
/// <ancestor>/shared/bench for every ancestor of the binary and of the cwd.
std::string find_bench_dir(const std::string& opt) {
  if (!opt.empty()) return opt;
  if (const char* e = std::getenv("INTELFLOW_BENCH_DIR"); e && *e) return e;
#ifdef INTELFLOW_SOURCE_DIR
  if (fs::path p = fs::path(INTELFLOW_SOURCE_DIR) / ".." / "shared" / "bench"; is_bench_dir(p))
    return fs::weakly_canonical(p).string();
#endif
  for (fs::path start : {fs::path(self_exe()).parent_path(), fs::current_path()}) {
    for (fs::path a = start; !a.empty(); a = a.parent_path()) {
      if (is_bench_dir(a / "shared" / "bench")) return (a / "shared" / "bench").string();
      if (a == a.parent_path()) break;
    }
  }
  return "";
}

std::string read_text(const std::string& p) {
  std::ifstream f(p);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

json machine() {
  json m;
  std::istringstream cpu(read_text("/proc/cpuinfo"));
  for (std::string line; std::getline(cpu, line);)
    if (line.rfind("model name", 0) == 0) {
      m["cpu"] = line.substr(line.find(':') + 2);
      break;
    }
  m["cores"] = std::thread::hardware_concurrency();
  std::istringstream mem(read_text("/proc/meminfo"));
  for (std::string line; std::getline(mem, line);)
    if (line.rfind("MemTotal:", 0) == 0) {
      m["memory_gib"] = std::round(std::stod(line.substr(9)) / 1024.0 / 1024.0 * 10) / 10;
      break;
    }
  std::istringstream os(read_text("/etc/os-release"));
  for (std::string line; std::getline(os, line);)
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      std::string v = line.substr(12);
      if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
      m["os"] = v;
    }
  utsname u{};
  if (::uname(&u) == 0) m["kernel"] = u.release;
  return m;
}

std::string today() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  return buf;
}

/// Median and spread of one figure over the correct runs.
struct Spread {
  double median = 0, min = 0, max = 0;
  int n = 0;
};

Spread spread(const std::vector<RunResult>& runs, double RunResult::*f) {
  std::vector<double> v;
  for (const auto& r : runs)
    if (r.correct && r.*f >= 0) v.push_back(r.*f);
  Spread s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = static_cast<int>(v.size());
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.min = v.front();
  s.max = v.back();
  return s;
}

bool all_correct(const std::vector<RunResult>& runs) {
  return !runs.empty() &&
         std::all_of(runs.begin(), runs.end(), [](const RunResult& r) { return r.correct; });
}

std::string fmt_spread(const Spread& s, int prec) {
  if (s.n == 0) return "-";
  return fmt::format("{:.{}f} [{:.{}f}-{:.{}f}]", s.median, prec, s.min, prec, s.max, prec);
}

json run_json(const RunResult& r) {
  json j = {{"correct", r.correct},
            {"problems", r.problems},
            {"events_out", r.events_out},
            {"events_per_s", r.events_per_s},
            {"processing_events_per_s", r.proc_events_per_s},
            {"pickup_s", r.pickup_s},
            {"elapsed_s", r.elapsed_s},
            {"cpu_s", r.cpu_s},
            {"peak_rss_mb", r.peak_rss_mb},
            {"p50_ms", r.p50_ms},
            {"p99_ms", r.p99_ms}};
  if (r.redis_rss_mb > 0) {
    j["redis_cpu_s"] = r.redis_cpu_s;
    j["redis_peak_rss_mb"] = r.redis_rss_mb;
  }
  return j;
}

json spread_json(const std::vector<RunResult>& runs, double RunResult::*f) {
  Spread s = spread(runs, f);
  if (s.n == 0) return nullptr;
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"n", s.n}};
}

json figures_json(const std::vector<RunResult>& runs) {
  json j = {{"events_per_s", spread_json(runs, &RunResult::events_per_s)},
            {"processing_events_per_s", spread_json(runs, &RunResult::proc_events_per_s)},
            {"pickup_s", spread_json(runs, &RunResult::pickup_s)},
            {"cpu_s", spread_json(runs, &RunResult::cpu_s)},
            {"peak_rss_mb", spread_json(runs, &RunResult::peak_rss_mb)},
            {"p50_ms", spread_json(runs, &RunResult::p50_ms)},
            {"p99_ms", spread_json(runs, &RunResult::p99_ms)}};
  if (std::any_of(runs.begin(), runs.end(),
                  [](const RunResult& r) { return r.redis_rss_mb > 0; })) {
    j["redis_cpu_s"] = spread_json(runs, &RunResult::redis_cpu_s);
    j["redis_peak_rss_mb"] = spread_json(runs, &RunResult::redis_rss_mb);
  }
  return j;
}

void print_run(std::ostream& out, const std::string& label, int rep, const RunResult& r) {
  if (!r.correct) {
    out << fmt::format("  {} #{}: correct=no\n", label, rep);
    for (const auto& p : r.problems) out << "      " << p << "\n";
    return;
  }
  std::string lat =
      r.p99_ms >= 0 ? fmt::format(", p50/p99 {:.2f}/{:.2f} ms", r.p50_ms, r.p99_ms) : std::string();
  std::string pick = r.pickup_s >= 0 ? fmt::format(", pick-up {:.3f} s", r.pickup_s) : "";
  std::string redis = r.redis_rss_mb > 0 ? fmt::format(", redis cpu {:.2f} s rss {:.0f} MB",
                                                       r.redis_cpu_s, r.redis_rss_mb)
                                         : "";
  out << fmt::format(
      "  {} #{}: {:.0f} events/s ({:.3f} s{}; processing {:.0f}/s), cpu {:.2f} s, rss {:.0f} "
      "MB{}{}, correct=yes\n",
      label, rep, r.events_per_s, r.elapsed_s, pick, r.proc_events_per_s, r.cpu_s, r.peak_rss_mb,
      lat, redis);
  out.flush();
}

std::vector<Variant> all_variants() {
  auto make = [](std::string name) {
    Variant v;
    v.name = std::move(name);
    return v;
  };
  std::vector<Variant> v;
  v.push_back(make("default"));
  v.push_back(make("fsync-never"));
  v.back().fsync = "never";
  v.push_back(make("redis"));
  v.back().redis = true;
  for (std::uint64_t b : {1, 16, 64, 256, 1024}) {
    v.push_back(make(fmt::format("batch-{}", b)));
    v.back().batch_size = b;
  }
  v.push_back(make("threads-1"));
  v.back().threads = 1;
  return v;
}

std::string describe(const Variant& v) {
  return fmt::format(
      "fsync={} cache={} threads={} batch={}{}", v.fsync, v.redis ? "redis" : "embedded", v.threads,
      fmt::format("{}{}", v.batch_size.value_or(default_batch()),
                  v.batch_size ? "" : " (engine default)"),
      v.rate > 0 ? fmt::format(" rate={:.0f}/s poll={}s", v.rate, v.rate_limit) : "");
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
      return args[++i];
    };
    try {
      if (a == "-h" || a == "--help") {
        out << kUsage;
        return 0;
      } else if (a == "--lines") {
        o.lines = std::stoull(next());
      } else if (a == "--seed") {
        o.seed = std::stoull(next());
      } else if (a == "--repeats") {
        o.repeats = std::max(1, std::stoi(next()));
      } else if (a == "--all") {
        o.all = true;
      } else if (a == "--variant") {
        o.only.push_back(next());
      } else if (a == "--rate") {
        o.rate = std::stod(next());
      } else if (a == "--rate-limit") {
        o.rate_limit = std::stod(next());
      } else if (a == "--no-latency") {
        o.latency = false;
      } else if (a == "--json") {
        o.json_file = next();
      } else if (a == "--bench-dir") {
        o.bench_dir = next();
      } else if (a == "--work-dir") {
        o.work_dir = next();
      } else if (a == "--baseline") {
        o.baseline_exe = next();
      } else if (a == "--no-baseline") {
        o.baseline = false;
      } else if (a == "--timeout") {
        o.timeout = std::stod(next());
      } else if (a == "--keep") {
        o.keep = true;
      } else {
        err << "intelflow bench: unknown option " << a << "\n" << kUsage;
        return 2;
      }
    } catch (const std::exception& e) {
      err << "intelflow bench: " << a << ": " << e.what() << "\n";
      return 2;
    }
  }

  Context ctx;
  ctx.self_exe = self_exe();
  ctx.bench_dir = find_bench_dir(o.bench_dir);
  if (ctx.bench_dir.empty() || !is_bench_dir(ctx.bench_dir)) {
    err << "intelflow bench: no bench directory (gen_feed.py, pipeline.yaml.in) found; use "
           "--bench-dir or INTELFLOW_BENCH_DIR\n";
    return 2;
  }
  ctx.bench_dir = fs::canonical(ctx.bench_dir).string();
  ctx.template_text = read_text(ctx.bench_dir + "/pipeline.yaml.in");
  ctx.timeout_s = o.timeout;
  ctx.keep = o.keep;
  if (o.baseline) {
    ctx.baseline_exe = !o.baseline_exe.empty()
                           ? o.baseline_exe
                           : (fs::path(ctx.self_exe).parent_path() / "bench_baseline").string();
    if (!fs::exists(ctx.baseline_exe)) {
      err << "intelflow bench: baseline " << ctx.baseline_exe
          << " not found (build target bench_baseline, or --no-baseline)\n";
      return 2;
    }
  }
  if (o.work_dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    o.work_dir = fmt::format("{}/intelflow-bench-{}", tmp && *tmp ? tmp : "/tmp", ::getpid());
  }
  ctx.work = fs::absolute(o.work_dir).string();
  fs::create_directories(ctx.work);

  std::vector<Variant> variants;
  for (auto& v : all_variants())
    if (o.only.empty() ? (o.all || v.name == "default")
                       : std::find(o.only.begin(), o.only.end(), v.name) != o.only.end())
      variants.push_back(v);
  if (variants.empty()) {
    err << "intelflow bench: no such variant\n";
    return 2;
  }
  for (auto& v : variants) {
    if (o.rate > 0) {
      v.rate = o.rate;
      v.rate_limit = o.rate_limit > 0 ? o.rate_limit : 0.005;
    } else {
      v.rate_limit = o.rate_limit;
    }
  }

  json report;
  report["machine"] = machine();
  report["date"] = today();
  report["lines"] = o.lines;
  report["seed"] = o.seed;
  report["repeats"] = o.repeats;
  // Relative to the source tree (the JSON is committed in docs/): no path of
  // the measuring machine in it.
  report["bench_dir"] = fs::path(ctx.bench_dir)
                            .lexically_relative(fs::weakly_canonical(INTELFLOW_SOURCE_DIR))
                            .string();
  out << fmt::format("intelflow bench: {} lines, seed {}, {} repetition(s), {}\n", o.lines, o.seed,
                     o.repeats, report["date"].get<std::string>());
  out << fmt::format("machine: {} core(s) {}, {} GiB, {}, kernel {}\n",
                     report["machine"].value("cores", 0), report["machine"].value("cpu", "?"),
                     report["machine"].value("memory_gib", 0.0), report["machine"].value("os", "?"),
                     report["machine"].value("kernel", "?"));
  out << "bench dir: " << ctx.bench_dir << "; scratch: " << ctx.work << "\n";

  std::string error;
  if (!prepare_feed(ctx, o.lines, o.seed, error)) {
    err << "intelflow bench: " << error << "\n";
    return 2;
  }
  const auto& c = ctx.counts;
  out << fmt::format(
      "feed: {} lines, sha256 {} ({}); expected: {} malformed, {} duplicates, {} events out\n",
      c.lines, c.sha256.substr(0, 16), ctx.feed_ok ? "matches counts.json" : "DOES NOT MATCH",
      c.malformed, c.duplicates, c.expected_events_out);
  report["counts"] = {{"lines", c.lines},           {"malformed", c.malformed},
                      {"duplicates", c.duplicates}, {"expected_events_out", c.expected_events_out},
                      {"sha256", c.sha256},         {"feed_sha256_ok", ctx.feed_ok}};
  bool any_failure = !ctx.feed_ok;

  // The plain baseline first: its first correct output is the reference every
  // engine run is compared with (sorted lines, byte for byte).
  std::vector<RunResult> base;
  if (!ctx.baseline_exe.empty()) {
    out << "baseline (bench_baseline: same bots inline, one thread, no engine, no WAL):\n";
    for (int k = 1; k <= o.repeats; ++k) {
      auto r = run_baseline(ctx, k, ctx.reference.empty());
      if (r.correct && ctx.reference.empty() && !r.output.empty()) ctx.reference = r.output;
      print_run(out, "baseline", k, r);
      any_failure |= !r.correct;
      base.push_back(std::move(r));
    }
    json b = {{"runs", json::array()}, {"correct", all_correct(base)}};
    for (auto& r : base) b["runs"].push_back(run_json(r));
    b["figures"] = figures_json(base);
    report["baseline"] = b;
    if (ctx.reference.empty()) {
      out << "  no correct baseline run: engine outputs are not compared\n";
    }
  }
  const Spread base_eps = spread(base, &RunResult::events_per_s);

  // The variants.
  struct Done {
    Variant v;
    std::vector<RunResult> runs;
  };
  std::vector<Done> done;
  std::vector<RunResult> latency_runs;
  double latency_rate = 0;
  for (const auto& v : variants) {
    out << v.name << " (" << describe(v) << "):\n";
    Done d{v, {}};
    for (int k = 1; k <= o.repeats; ++k) {
      auto r = run_engine(ctx, v, k);
      print_run(out, v.name, k, r);
      any_failure |= !r.correct;
      d.runs.push_back(std::move(r));
    }
    // Default configuration, feed released at once: then the latency runs at
    // half the measured maximum rate.
    if (v.name == "default" && v.rate == 0 && o.latency) {
      // The maximum rate: the processing rate (first admission -> last
      // write), which the collector's pick-up delay does not dilute.
      Spread eps = spread(d.runs, &RunResult::proc_events_per_s);
      if (eps.n == 0 || eps.median <= 0) eps = spread(d.runs, &RunResult::events_per_s);
      if (eps.n > 0) {
        Variant half = v;
        half.name = "default-half-rate";
        half.rate = eps.median / 2;
        half.rate_limit = 0.005;
        latency_rate = half.rate;
        out << half.name << " (" << describe(half) << "):\n";
        for (int k = 1; k <= o.repeats; ++k) {
          auto r = run_engine(ctx, half, k);
          print_run(out, half.name, k, r);
          any_failure |= !r.correct;
          latency_runs.push_back(std::move(r));
        }
      }
    }
    done.push_back(std::move(d));
  }

  // Table.
  out << "\n"
      << fmt::format("{:<18} {:>6} {:>8} {:>3} {:>5}  {:<30} {:<26} {:<19} {:<15} {:<24} {}\n",
                     "variant", "fsync", "cache", "thr", "batch", "events/s median [min-max]",
                     "processing events/s", "cpu s", "peak rss MB", "p99 ms", "ok");
  auto row = [&](const std::string& name, const Variant& v, const std::vector<RunResult>& runs) {
    out << fmt::format("{:<18} {:>6} {:>8} {:>3} {:>5}  {:<30} {:<26} {:<19} {:<15} {:<24} {}\n",
                       name, v.fsync, v.redis ? "redis" : "embedded", v.threads,
                       v.fsync == "-" ? std::string("-")
                       : v.batch_size ? std::to_string(*v.batch_size)
                                      : std::to_string(default_batch()),
                       fmt_spread(spread(runs, &RunResult::events_per_s), 0),
                       fmt_spread(spread(runs, &RunResult::proc_events_per_s), 0),
                       fmt_spread(spread(runs, &RunResult::cpu_s), 2),
                       fmt_spread(spread(runs, &RunResult::peak_rss_mb), 0),
                       fmt_spread(spread(runs, &RunResult::p99_ms), 1),
                       all_correct(runs) ? "yes" : "NO");
  };
  for (const auto& d : done) row(d.v.name, d.v, d.runs);
  if (!latency_runs.empty()) row("default-half-rate", done.front().v, latency_runs);
  if (!base.empty()) {
    Variant bv;
    bv.fsync = "-";
    bv.threads = 1;
    row("baseline", bv, base);
  }
  for (const auto& d : done)
    if (d.v.redis) {
      out << fmt::format("redis-server (variant {}): cpu s {}, peak rss MB {}\n", d.v.name,
                         fmt_spread(spread(d.runs, &RunResult::redis_cpu_s), 2),
                         fmt_spread(spread(d.runs, &RunResult::redis_rss_mb), 1));
    }

  // Summary of the default configuration.
  const Done* def = nullptr;
  for (const auto& d : done)
    if (d.v.name == "default") def = &d;
  json variants_json = json::array();
  for (const auto& d : done) {
    json vj = {{"name", d.v.name},
               {"fsync", d.v.fsync},
               {"cache", d.v.redis ? "redis" : "embedded"},
               {"threads", d.v.threads},
               {"batch_size", d.v.batch_size.value_or(default_batch())},
               {"rate", d.v.rate},
               {"rate_limit", d.v.rate_limit},
               {"correct", all_correct(d.runs)},
               {"runs", json::array()}};
    for (auto& r : d.runs) vj["runs"].push_back(run_json(r));
    vj["figures"] = figures_json(d.runs);
    variants_json.push_back(vj);
  }
  if (!latency_runs.empty()) {
    json vj = {{"name", "default-half-rate"},   {"fsync", "always"},
               {"cache", "embedded"},           {"threads", 2},
               {"batch_size", default_batch()}, {"rate", latency_rate},
               {"rate_limit", 0.005},           {"correct", all_correct(latency_runs)},
               {"runs", json::array()}};
    for (auto& r : latency_runs) vj["runs"].push_back(run_json(r));
    vj["figures"] = figures_json(latency_runs);
    variants_json.push_back(vj);
  }
  report["variants"] = variants_json;

  double eps = 0, ratio = 0, cpu = 0, rss = 0, p99 = -1;
  bool correct = false;
  if (def != nullptr) {
    correct = ctx.feed_ok && all_correct(def->runs) &&
              (latency_runs.empty() || all_correct(latency_runs)) &&
              (ctx.baseline_exe.empty() || all_correct(base));
    if (correct) {
      eps = spread(def->runs, &RunResult::events_per_s).median;
      ratio = base_eps.n > 0 && base_eps.median > 0 ? eps / base_eps.median : 0;
      cpu = spread(def->runs, &RunResult::cpu_s).median;
      rss = spread(def->runs, &RunResult::peak_rss_mb).median;
      // p99 at half the maximum rate; with --rate, at that rate.
      const auto& lat = latency_runs.empty() ? def->runs : latency_runs;
      if (!latency_runs.empty() || def->v.rate > 0) {
        Spread l = spread(lat, &RunResult::p99_ms);
        if (l.n > 0) p99 = l.median;
      }
    }
  }
  report["summary"] = {{"events_per_s", eps}, {"ratio_to_baseline", ratio},
                       {"cpu_s", cpu},        {"peak_rss_mb", rss},
                       {"p99_ms", p99},       {"latency_rate_events_per_s", latency_rate},
                       {"correct", correct},  {"any_failure", any_failure}};
  if (!o.json_file.empty()) {
    std::ofstream f(o.json_file, std::ios::trunc);
    f << report.dump(2) << "\n";
    if (!f) err << "intelflow bench: cannot write " << o.json_file << "\n";
  }
  if (any_failure || o.keep)
    out << "scratch directory kept: " << ctx.work << "\n";
  else
    fs::remove_all(ctx.work);
  if (latency_rate > 0)
    out << fmt::format(
        "p99_ms: default configuration at half the maximum (processing) rate, {:.0f} events/s\n",
        latency_rate);
  out << fmt::format(
      "bench: events_per_s={:.0f} ratio_to_baseline={:.3f} cpu_s={:.2f} peak_rss_mb={:.1f} "
      "p99_ms={:.2f} correct={}\n",
      eps, ratio, cpu, rss, p99, correct ? "yes" : "no");
  return any_failure || !correct ? 1 : 0;
}

}  // namespace intelflow::bench
