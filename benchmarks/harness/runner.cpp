// SPDX-License-Identifier: AGPL-3.0-or-later
#include "benchmarks/harness/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace intelflow::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_s(double s) {
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool write_file(const std::string& path, std::string_view text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(f.flush());
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
    s.replace(pos, from.size(), to);
}

/// A read-only mapping of a whole file (empty view for an empty or missing file).
class Mapped {
 public:
  explicit Mapped(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size > 0) {
      void* p =
          ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
      if (p != MAP_FAILED) {
        data_ = static_cast<const char*>(p);
        size_ = static_cast<std::size_t>(st.st_size);
      }
    }
    ::close(fd);
  }
  ~Mapped() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }
  Mapped(const Mapped&) = delete;
  Mapped& operator=(const Mapped&) = delete;
  std::string_view view() const { return {data_ ? data_ : "", size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

std::uint64_t count_lines(const std::string& path) {
  Mapped m(path);
  auto v = m.view();
  return static_cast<std::uint64_t>(std::count(v.begin(), v.end(), '\n'));
}

/// user+sys CPU seconds of a live process, from /proc (clock-tick resolution).
double proc_cpu_s(pid_t pid) {
  std::string s = read_file(fmt::format("/proc/{}/stat", pid));
  auto rp = s.rfind(')');
  if (rp == std::string::npos) return 0;
  std::istringstream is(s.substr(rp + 2));
  std::string field;
  double ticks = 0;
  // After the command: state(3) ... utime is field 14, stime 15 (1-based).
  for (int i = 3; i <= 15 && is >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// VmHWM of a live process in MiB.
double proc_hwm_mb(pid_t pid) {
  std::istringstream is(read_file(fmt::format("/proc/{}/status", pid)));
  std::string line;
  while (std::getline(is, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

double tv_s(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

/// A started child process: argv, extra environment, stdout+stderr to `log`.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env_add,
            const std::string& log) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("NOTIFY_SOCKET=") || kv.starts_with("WATCHDOG_") ||
        kv.starts_with("INTELFLOW_BENCH_"))
      continue;
    env.emplace_back(kv);
  }
  for (const auto& e : env_add) env.push_back(e);
  std::vector<char*> av, ev;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  for (const auto& e : env) ev.push_back(const_cast<char*>(e.c_str()));
  ev.push_back(nullptr);
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  pid_t pid = ::fork();
  if (pid == 0) {
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execvpe(av[0], av.data(), ev.data());
    std::fprintf(stderr, "exec %s: %s\n", av[0], std::strerror(errno));
    ::_exit(127);
  }
  if (fd >= 0) ::close(fd);
  return pid;
}

/// waitpid with a deadline; SIGKILL after it. Returns the status, fills ru.
int wait_child(pid_t pid, rusage& ru, double timeout_s) {
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    pid_t r = ::wait4(pid, &status, WNOHANG, &ru);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::wait4(pid, &status, 0, &ru);
      return -1;
    }
    sleep_s(0.005);
  }
}

/// Whether the child has exited (it stays waitable).
bool exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

/// A datagram socket receiving sd_notify messages of the child.
class NotifySocket {
 public:
  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  /// Waits for READY=1; false on timeout or if the child exits first.
  bool wait_ready(pid_t child, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        ssize_t n = ::recv(fd_, buf, sizeof(buf) - 1, 0);
        if (n > 0) {
          std::string_view m(buf, static_cast<std::size_t>(n));
          if (m == "READY=1" || m.starts_with("READY=1\n") || m.find("\nREADY=1") != m.npos)
            return true;
        }
      }
      if (exited(child)) return false;
    }
    return false;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool has_csv(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".csv") return true;
  return false;
}

std::int64_t file_size(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : -1;
}

std::int64_t mtime_ns(const std::string& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

/// The pipeline file of a variant: pipeline.yaml.in with its placeholders
/// replaced, plus `global:` and `engine:` sections.
std::string pipeline_text(const Context& ctx, const Variant& v, const std::string& cache_host) {
  std::string t = ctx.template_text;
  replace_all(t, "@INPUT_DIR@", ctx.work + "/input");
  replace_all(t, "@OUTPUT_FILE@", ctx.work + "/out.jsonl");
  replace_all(t, "@MODIFY_RULES@", ctx.bench_dir + "/modify-rules.json");
  replace_all(t, "@CACHE_HOST@", cache_host);  // "" = the embedded cache
  replace_all(t, "@CACHE_PORT@", "6379");
  if (v.rate_limit > 0) {
    auto pos = t.find("rate_limit: ");
    if (pos != std::string::npos) {
      auto eol = t.find('\n', pos);
      t.replace(pos, eol - pos, fmt::format("rate_limit: {}", v.rate_limit));
    }
  }
  t += "\nglobal:\n  error_procedure: pass\n  error_max_retries: 0\n";
  t += fmt::format("engine:\n  fsync: {}\n  threads: {}\n", v.fsync, v.threads);
  if (v.batch_size) t += fmt::format("  batch_size: {}\n", *v.batch_size);
  return t;
}

double quantile_ms(std::vector<std::pair<double, double>> us_count, double q) {
  double total = 0;
  for (auto& [us, n] : us_count) total += n;
  if (total <= 0) return -1;
  std::sort(us_count.begin(), us_count.end());
  double need = q * total, acc = 0;
  for (auto& [us, n] : us_count) {
    acc += n;
    if (acc >= need) return us / 1000.0;
  }
  return us_count.back().first / 1000.0;
}

/// Checks the per-bot counters of a stats file (engine or baseline) and the
/// output file against counts.json; appends problems.
void reconcile(const Context& ctx, const json& stats, std::uint64_t out_lines,
               std::vector<std::string>& problems) {
  const auto& c = ctx.counts;
  if (!ctx.feed_ok) problems.push_back("feed SHA-256 differs from counts.json");
  if (out_lines != c.expected_events_out)
    problems.push_back(
        fmt::format("output has {} lines, expected {}", out_lines, c.expected_events_out));
  if (!stats.contains("bots") || !stats["bots"].is_array() || stats["bots"].empty()) {
    problems.push_back("no per-bot counters in the stats file");
    return;
  }
  const auto& bots = stats["bots"];
  auto get = [](const json& b, const char* k) { return b.value(k, std::uint64_t{0}); };
  bool parser_seen = false, dedup_seen = false;
  for (std::size_t i = 0; i < bots.size(); ++i) {
    const auto& b = bots[i];
    const std::string id = b.value("id", "");
    if (get(b, "errors") != 0)
      problems.push_back(fmt::format("{}: {} error(s)", id, get(b, "errors")));
    if (id == "bench-csv-parser") {
      parser_seen = true;
      if (get(b, "dumped") != c.malformed)
        problems.push_back(fmt::format("parser dumped {} lines, expected {} malformed",
                                       get(b, "dumped"), c.malformed));
    }
    if (id == "bench-deduplicator-expert") {
      dedup_seen = true;
      if (get(b, "dropped") != c.duplicates)
        problems.push_back(fmt::format("deduplicator dropped {} events, expected {} duplicates",
                                       get(b, "dropped"), c.duplicates));
    }
    // The pipeline is a chain in file order: what one bot sent, the next received.
    if (i + 1 < bots.size() && get(b, "sent") != get(bots[i + 1], "received"))
      problems.push_back(fmt::format("queue {} -> {} not empty: sent {}, received {}", id,
                                     bots[i + 1].value("id", ""), get(b, "sent"),
                                     get(bots[i + 1], "received")));
    // Experts: every input was sent on, dropped or dumped.
    if (id != "bench-file-collector" && id != "bench-csv-parser" && i + 1 < bots.size() &&
        get(b, "received") != get(b, "sent") + get(b, "dropped") + get(b, "dumped"))
      problems.push_back(
          fmt::format("{}: received {} != sent + dropped + dumped", id, get(b, "received")));
  }
  if (get(bots.back(), "received") != out_lines)
    problems.push_back(fmt::format("output bot received {} events, file has {} lines",
                                   get(bots.back(), "received"), out_lines));
  if (!parser_seen || !dedup_seen) problems.push_back("parser or deduplicator missing in stats");
  if (stats.value("in_flight", std::uint64_t{1}) != 0)
    problems.push_back(
        fmt::format("{} message(s) still in flight", stats.value("in_flight", std::uint64_t{1})));
}

json load_json(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const std::exception&) {
    return json();
  }
}

std::string run_dir(const Context& ctx, const std::string& name, int rep) {
  std::string d = fmt::format("{}/runs/{}-{}", ctx.work, name, rep);
  fs::remove_all(d);
  fs::create_directories(d + "/state");
  return d;
}

void reset_io_dirs(const Context& ctx) {
  fs::remove_all(ctx.work + "/input");
  fs::remove_all(ctx.work + "/stage");
  fs::create_directories(ctx.work + "/input");
  fs::create_directories(ctx.work + "/stage");
  fs::remove(ctx.work + "/out.jsonl");
}

/// The output of a finished run: compared with the reference, then removed
/// (or kept in the run directory).
void check_output(const Context& ctx, const std::string& dir, RunResult& r, bool keep_output) {
  const std::string out = ctx.work + "/out.jsonl";
  if (!ctx.reference.empty() && r.problems.empty()) {
    if (auto d = compare_sorted_lines(ctx.reference, out))
      r.problems.push_back("output differs from the baseline's: " + *d);
  }
  if (keep_output || ctx.keep) {
    r.output = dir + "/out.jsonl";
    fs::rename(out, r.output);
    if (!keep_output) r.output.clear();
  } else {
    fs::remove(out);
  }
}

/// Splits the feed into files of `per_file` data lines (each with the header)
/// in `stage`, written and synced before the run. Returns their names in order.
std::vector<std::string> split_feed(const std::string& feed, const std::string& stage,
                                    std::uint64_t per_file) {
  std::vector<std::string> names;
  Mapped m(feed);
  std::string_view all = m.view();
  auto nl = all.find('\n');
  std::string_view header = all.substr(0, nl + 1);
  std::size_t pos = nl + 1;
  while (pos < all.size()) {
    std::size_t end = pos;
    for (std::uint64_t k = 0; k < per_file && end < all.size(); ++k) {
      auto e = all.find('\n', end);
      end = e == std::string_view::npos ? all.size() : e + 1;
    }
    std::string name = fmt::format("part-{:08}.csv", names.size());
    int fd = ::open((stage + "/" + name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) break;
    std::string body(header);
    body.append(all.substr(pos, end - pos));
    bool ok = ::write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
    ::fsync(fd);
    ::close(fd);
    if (!ok) break;
    names.push_back(name);
    pos = end;
  }
  return names;
}

}  // namespace

std::string sha256_file(const std::string& path) {
  Mapped m(path);
  auto v = m.view();
  if (v.empty() && file_size(path) != 0) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(v.data(), v.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::optional<std::string> compare_sorted_lines(const std::string& a, const std::string& b) {
  Mapped ma(a), mb(b);
  auto split = [](std::string_view v) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos < v.size()) {
      auto e = v.find('\n', pos);
      if (e == std::string_view::npos) e = v.size();
      lines.push_back(v.substr(pos, e - pos));
      pos = e + 1;
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto la = split(ma.view()), lb = split(mb.view());
  if (la.size() != lb.size()) return fmt::format("{} lines vs {}", la.size(), lb.size());
  for (std::size_t i = 0; i < la.size(); ++i)
    if (la[i] != lb[i]) {
      std::size_t k = 0;
      while (k < la[i].size() && k < lb[i].size() && la[i][k] == lb[i][k]) ++k;
      const std::size_t from = k > 80 ? k - 80 : 0;
      return fmt::format(
          "first difference (sorted order), at byte {} of a line:\n    baseline: ...{}\n    "
          "this run: ...{}",
          k, la[i].substr(from, 200), lb[i].substr(from, 200));
    }
  return std::nullopt;
}

bool prepare_feed(Context& ctx, std::uint64_t lines, std::uint64_t seed, std::string& error) {
  fs::create_directories(ctx.work);
  ctx.feed = ctx.work + "/feed.csv";
  const std::string counts = ctx.work + "/counts.json";
  pid_t pid = spawn({"python3", ctx.bench_dir + "/gen_feed.py", "--lines", std::to_string(lines),
                     "--seed", std::to_string(seed), "--out", ctx.feed, "--counts", counts},
                    {}, ctx.work + "/gen_feed.log");
  rusage ru{};
  int st = wait_child(pid, ru, 3600);
  if (st != 0) {
    error = "gen_feed.py failed: " + read_file(ctx.work + "/gen_feed.log");
    return false;
  }
  json c = load_json(counts);
  if (!c.is_object()) {
    error = "cannot read " + counts;
    return false;
  }
  auto u = [&](const char* k) { return c.value(k, std::uint64_t{0}); };
  ctx.counts = FeedCounts{
      u("lines"),           u("seed"), u("malformed"), u("duplicates"), u("expected_events_out"),
      c.value("sha256", "")};
  ctx.feed_ok = !ctx.counts.sha256.empty() && sha256_file(ctx.feed) == ctx.counts.sha256;
  // Written data must not be flushed by the kernel during a timed run.
  int fd = ::open(ctx.feed.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return true;
}

RunResult run_engine(const Context& ctx, const Variant& v, int rep) {
  RunResult r;
  const std::string dir = run_dir(ctx, v.name, rep);
  reset_io_dirs(ctx);

  // Redis (own server per run: every run starts with an empty cache).
  pid_t redis = -1;
  std::string cache_host;
  if (v.redis) {
    const std::string sock = dir + "/redis.sock";
    fs::create_directories(dir + "/redis");
    redis = spawn({"redis-server", "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
                   "--save", "", "--appendonly", "no", "--dir", dir + "/redis"},
                  {}, dir + "/redis.log");
    for (int i = 0; i < 200 && !fs::exists(sock); ++i) sleep_s(0.025);
    if (!fs::exists(sock)) {
      r.problems.push_back("redis-server did not start (see " + dir + "/redis.log)");
      if (!exited(redis)) ::kill(redis, SIGKILL);
      rusage ru{};
      wait_child(redis, ru, 10);
      return r;
    }
    cache_host = sock;
  }

  const std::string yaml = dir + "/pipeline.yaml";
  write_file(yaml, pipeline_text(ctx, v, cache_host));

  // Feed staged on the same file system: one hard link, or rate-sized parts.
  std::vector<std::string> parts;
  double part_interval = 0;
  if (v.rate > 0) {
    const double lines_per_event =
        static_cast<double>(ctx.counts.lines) /
        static_cast<double>(std::max<std::uint64_t>(1, ctx.counts.expected_events_out));
    const double lines_per_s = v.rate * lines_per_event;
    part_interval = 0.02;  // small reports: the latency of a part is its processing time
    auto per_file =
        static_cast<std::uint64_t>(std::max(1.0, std::round(lines_per_s * part_interval)));
    part_interval = static_cast<double>(per_file) / lines_per_s;
    parts = split_feed(ctx.feed, ctx.work + "/stage", per_file);
  } else {
    if (::link(ctx.feed.c_str(), (ctx.work + "/stage/feed.csv").c_str()) != 0) {
      r.problems.push_back(fmt::format("cannot link the feed: {}", std::strerror(errno)));
      return r;
    }
    parts.push_back("feed.csv");
  }

  NotifySocket notify(dir + "/notify.sock");
  const std::string stats_file = dir + "/stats.json";
  pid_t child = spawn({ctx.self_exe, "run", yaml, "--state-dir", dir + "/state", "--stats-json",
                       stats_file, "--quiet"},
                      {"NOTIFY_SOCKET=" + dir + "/notify.sock",
                       "INTELFLOW_BENCH_TIME_OBSERVATION=" + ctx.observation_time},
                      dir + "/child.log");
  auto finish_redis = [&] {
    if (redis > 0) {
      r.redis_rss_mb = proc_hwm_mb(redis);
      ::kill(redis, SIGTERM);
      rusage ru{};
      wait_child(redis, ru, 30);
    }
  };
  if (!notify.ok() || !notify.wait_ready(child, 120)) {
    r.problems.push_back("intelflow did not become ready (see " + dir + "/child.log)");
    ::kill(child, SIGKILL);
    rusage ru{};
    wait_child(child, ru, 30);
    finish_redis();
    return r;
  }
  sleep_s(0.2);  // every bot initialised, the collector's first (empty) round done

  const double cpu0 = proc_cpu_s(child);
  const double redis_cpu0 = redis > 0 ? proc_cpu_s(redis) : 0;
  const std::string stage = ctx.work + "/stage/", input = ctx.work + "/input/";
  const std::int64_t release_ns = realtime_ns();
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t released = 0;
  // Every part is released under the same name (input/feed.csv), so the
  // events carry the same feed.url as with the whole feed; the next part goes
  // in once the collector has deleted the previous one (never replacing it).
  auto release_due = [&] {
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    while (released < parts.size() && static_cast<double>(released) * part_interval <= now) {
      if (::renameat2(AT_FDCWD, (stage + parts[released]).c_str(), AT_FDCWD,
                      (input + "feed.csv").c_str(), RENAME_NOREPLACE) != 0)
        break;  // the previous part is not picked up yet
      ++released;
    }
  };
  release_due();

  // The end: everything released and picked up, and the output stopped
  // growing for 0.5 s. Then SIGTERM: the daemon drains whatever is left,
  // so an early stop cannot lose events (it only moves the last write).
  const std::string out = ctx.work + "/out.jsonl";
  std::int64_t last_size = -2;
  auto stable_since = std::chrono::steady_clock::now();
  bool timed_out = false, died = false;
  while (true) {
    release_due();
    const auto now = std::chrono::steady_clock::now();
    if (exited(child)) {
      died = true;
      break;
    }
    if (std::chrono::duration<double>(now - t0).count() > ctx.timeout_s) {
      timed_out = true;
      break;
    }
    if (released == parts.size() && !has_csv(ctx.work + "/input")) {
      std::int64_t sz = file_size(out);
      if (sz != last_size) {
        last_size = sz;
        stable_since = now;
      } else if (std::chrono::duration<double>(now - stable_since).count() >= 0.5) {
        break;
      }
    }
    sleep_s(0.002);  // fixed-rate mode: release the next part promptly
  }
  if (redis > 0) r.redis_cpu_s = proc_cpu_s(redis) - redis_cpu0;
  if (!died) ::kill(child, SIGTERM);
  rusage ru{};
  int status = wait_child(child, ru, 300);
  finish_redis();
  r.cpu_s = tv_s(ru.ru_utime) + tv_s(ru.ru_stime) - cpu0;
  r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  if (timed_out) r.problems.push_back(fmt::format("no end after {} s", ctx.timeout_s));
  if (died || status != 0)
    r.problems.push_back(fmt::format("intelflow exited with status {} (see {}/child.log)",
                                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir));

  // Counts, dumps, output.
  const json stats = load_json(stats_file);
  r.events_out = count_lines(out);
  if (!stats.is_object())
    r.problems.push_back("no stats file " + stats_file);
  else
    reconcile(ctx, stats, r.events_out, r.problems);
  const json dump = load_json(dir + "/state/log/bench-csv-parser.dump");
  const std::size_t dumped = dump.is_object() ? dump.size() : 0;
  if (dumped != ctx.counts.malformed)
    r.problems.push_back(fmt::format("parser dump file holds {} entries, expected {}", dumped,
                                     ctx.counts.malformed));
  if (has_csv(ctx.work + "/input")) r.problems.push_back("feed files left in the input directory");

  // Timing: the engine's measurements, else the output file's mtime.
  std::int64_t last_ns = mtime_ns(out), first_ns = 0;
  if (stats.is_object() && stats.contains("measurements")) {
    const auto& m = stats["measurements"];
    last_ns = m.value("last_output_unix_ns", last_ns);
    first_ns = m.value("first_admit_unix_ns", std::int64_t{0});
    std::vector<std::pair<double, double>> lat;
    if (m.contains("latency_us"))
      for (const auto& p : m["latency_us"])
        if (p.is_array() && p.size() == 2) lat.emplace_back(p[0].get<double>(), p[1].get<double>());
    if (!lat.empty()) {
      r.p50_ms = quantile_ms(lat, 0.50);
      r.p99_ms = quantile_ms(lat, 0.99);
      r.latency_from_engine = true;
    }
  }
  r.elapsed_s = static_cast<double>(last_ns - release_ns) / 1e9;
  if (r.elapsed_s > 0) r.events_per_s = static_cast<double>(r.events_out) / r.elapsed_s;
  if (first_ns > 0) {
    r.pickup_s = static_cast<double>(first_ns - release_ns) / 1e9;
    if (last_ns > first_ns)
      r.proc_events_per_s =
          static_cast<double>(r.events_out) / (static_cast<double>(last_ns - first_ns) / 1e9);
  } else {
    r.pickup_s = -1;
  }
  check_output(ctx, dir, r, false);
  r.correct = r.problems.empty();
  if (r.correct && !ctx.keep) fs::remove_all(dir);
  return r;
}

RunResult run_baseline(const Context& ctx, int rep, bool keep_output) {
  RunResult r;
  const std::string dir = run_dir(ctx, "baseline", rep);
  reset_io_dirs(ctx);
  Variant v;
  const std::string yaml = dir + "/pipeline.yaml";
  write_file(yaml, pipeline_text(ctx, v, ""));
  if (::link(ctx.feed.c_str(), (ctx.work + "/input/feed.csv").c_str()) != 0) {
    r.problems.push_back(fmt::format("cannot link the feed: {}", std::strerror(errno)));
    return r;
  }
  const std::string stats_file = dir + "/stats.json";
  pid_t child =
      spawn({ctx.baseline_exe, yaml, "--state-dir", dir + "/state", "--stats-json", stats_file},
            {"INTELFLOW_BENCH_TIME_OBSERVATION=" + ctx.observation_time}, dir + "/child.log");
  rusage ru{};
  int status = wait_child(child, ru, ctx.timeout_s);
  if (status != 0)
    r.problems.push_back(fmt::format("bench_baseline failed with status {} (see {}/child.log)",
                                     WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir));
  r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  const std::string out = ctx.work + "/out.jsonl";
  r.events_out = count_lines(out);
  const json stats = load_json(stats_file);
  if (!stats.is_object()) {
    r.problems.push_back("no stats file " + stats_file);
  } else {
    reconcile(ctx, stats, r.events_out, r.problems);
    const auto t0 = stats.value("start_unix_ns", std::int64_t{0});
    const auto t1 = stats.value("end_unix_ns", std::int64_t{0});
    r.elapsed_s = static_cast<double>(t1 - t0) / 1e9;
    if (r.elapsed_s > 0) r.events_per_s = static_cast<double>(r.events_out) / r.elapsed_s;
    r.proc_events_per_s = r.events_per_s;
    r.pickup_s = -1;  // no collector poll: reading starts at once
    r.cpu_s = stats.value("cpu_s", 0.0);
  }
  if (has_csv(ctx.work + "/input")) r.problems.push_back("feed file left in the input directory");
  check_output(ctx, dir, r, keep_output);
  r.correct = r.problems.empty();
  if (r.correct && !ctx.keep) {
    if (keep_output) {
      // keep only the output
      std::string kept = ctx.work + fmt::format("/baseline-out-{}.jsonl", rep);
      fs::rename(r.output, kept);
      r.output = kept;
    }
    fs::remove_all(dir);
  }
  return r;
}

}  // namespace intelflow::bench
