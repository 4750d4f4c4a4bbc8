// SPDX-License-Identifier: AGPL-3.0-or-later
#include "engine/dumptool/dumptool.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "engine/config/graph_config.hpp"
#include "engine/dumptool/spool.hpp"
#include "engine/graph/dump.hpp"
#include "engine/wal/fault.hpp"
#include "harmonization/harmonization.hpp"
#include "harmonization/message.hpp"
#include "harmonization/pyfmt.hpp"
#include "harmonization/value.hpp"

namespace intelflow::dumptool {

namespace fs = std::filesystem;
using graph::DumpEntry;
using graph::DumpFile;
using graph::DumpLock;
using harm::Value;

std::string usage() {
  return "usage: intelflow dump [GRAPH] [--state-dir DIR] [--log-dir DIR] [--json]\n"
         "       intelflow dump [GRAPH] [--state-dir DIR] BOT [ACTION [IDS...]] [options]\n"
         "\n"
         "Inspect and repair the dump files of failed messages (<log_dir>/<bot>.dump,\n"
         "IntelMQ's format). The dump directory is the graph's engine log_dir (default\n"
         "<state_dir>/log, state_dir default /var/lib/intelflow); give GRAPH or --state-dir.\n"
         "Without BOT: every dump file (entries, first and last time) and the re-injections\n"
         "still waiting for the daemon.\n"
         "\n"
         "actions (IDS: entry numbers as listed, ranges 2-5, comma lists, timestamps, or 'all'):\n"
         "  show [IDS]          without IDS: one line per entry (number, time, last error line);\n"
         "                      with IDS: the entries in full, message pretty-printed\n"
         "  delete IDS|all      remove entries (the file is deleted when it becomes empty)\n"
         "  edit ID             open the message in $EDITOR (JSON, indent 4, sorted keys; a\n"
         "                      base64 entry is decoded); saved only if it is a valid message\n"
         "                      under the harmonization; a base64 entry becomes a plain one\n"
         "  reinject IDS|all    send entries back into the bot's own input: they leave the dump\n"
         "                      and are handed to the daemon through <state_dir>/reinject/\n"
         "                      (picked up within a second by a running daemon, else at its\n"
         "                      next start); exactly once across crashes of either side.\n"
         "                      Entries that are not valid messages are refused (edit them)\n"
         "  recover IDS|all     the same as reinject (IntelMQ's name)\n"
         "\n"
         "options:\n"
         "  --filter TEXT       only entries whose error text contains TEXT "
         "(show/delete/reinject;\n"
         "                      without IDS: every matching entry)\n"
         "  --json              machine-readable output (overview and show)\n"
         "  --raw               show: the message as stored, not pretty-printed\n"
         "  --truncate N        show: cut the message's raw field (or base64 text) after N\n"
         "                      characters (default 1000, 0: never)\n"
         "  --wait SECONDS      reinject: wait until the daemon took the entries over\n"
         "exit status: 0 done, 1 some entries refused, 2 usage or file error\n";
}

namespace {

// ---------------------------------------------------------------------------------
// Small helpers

/// Python's base64.b64decode (non-alphabet characters are skipped).
std::optional<std::string> b64decode(std::string_view in) {
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      continue;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone sextet: bad padding
  return out;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

/// json.dumps(v, indent=4, sort_keys=True) (ASCII escapes).
void pretty(std::string& out, const Value& v, int depth) {
  auto pad = [&](int d) { out.append(static_cast<std::size_t>(d) * 4, ' '); };
  if (v.is_dict()) {
    const auto& d = v.as_dict();
    if (d.empty()) {
      out += "{}";
      return;
    }
    std::vector<const std::pair<std::string, Value>*> items;
    for (const auto& kv : d) items.push_back(&kv);
    std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
    out += "{\n";
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i) out += ",\n";
      pad(depth + 1);
      harm::py::append_json_string(out, items[i]->first);
      out += ": ";
      pretty(out, items[i]->second, depth + 1);
    }
    out += '\n';
    pad(depth);
    out += '}';
  } else if (v.is_list()) {
    const auto& l = v.as_list();
    if (l.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < l.size(); ++i) {
      if (i) out += ",\n";
      pad(depth + 1);
      pretty(out, l[i], depth + 1);
    }
    out += '\n';
    pad(depth);
    out += ']';
  } else {
    harm::py::append_json(out, v);
  }
}

std::string pretty(const Value& v) {
  std::string s;
  pretty(s, v, 0);
  return s;
}

std::string truncated(const std::string& s, std::size_t n) {
  if (n == 0 || s.size() <= n) return s;
  return s.substr(0, n) + "...[truncated]";
}

std::string last_error_line(const std::string& tb) {
  std::string_view t(tb);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
  auto nl = t.rfind('\n');
  std::string line(nl == std::string_view::npos ? t : t.substr(nl + 1));
  if (line.size() > 200) line = line.substr(0, 100) + "..." + line.substr(line.size() - 100);
  return line;
}

/// The message text of an entry: the stored JSON, or the decoded base64 bytes.
/// nullopt if base64 that does not decode to UTF-8 text.
std::optional<std::string> message_text(const DumpEntry& e) {
  if (!e.base64) return e.message;
  auto d = b64decode(e.message);
  if (!d || !valid_utf8(*d)) return std::nullopt;
  return d;
}

// ---------------------------------------------------------------------------------
// Context: where the dumps are

struct Ctx {
  std::string state_dir, log_dir, wal_dir, spool_dir;
  std::string graph_file;
  std::optional<config::GraphConfig> graph;
  std::shared_ptr<const harm::Harmonization> harmonization;
  std::ostream* out;
  std::ostream* err;

  std::string dump_path(const std::string& bot) const { return log_dir + "/" + bot + ".dump"; }
  std::shared_ptr<const harm::Harmonization> harm() {
    if (!harmonization) {
      std::string file = graph ? graph->engine.harmonization : std::string();
      harmonization = file.empty() ? harm::Harmonization::default_instance()
                                   : harm::Harmonization::from_file(file);
    }
    return harmonization;
  }
};

/// Validates a message text; returns the canonical serialization or throws
/// with the reason.
std::string validate_message(Ctx& c, const std::string& text) {
  Value v;
  if (!harm::py::json_loads(text, v)) throw std::runtime_error("not valid JSON");
  if (!v.is_dict()) throw std::runtime_error("not a JSON object");
  bool typed = false;
  for (const auto& [k, f] : v.as_dict())
    if (k == "__type") typed = true;
  if (!typed) throw std::runtime_error("no \"__type\" (\"Event\" or \"Report\")");
  auto msg = harm::Message::unserialize(text, c.harm());
  return msg.serialize();
}

// ---------------------------------------------------------------------------------
// Selecting entries

struct Selection {
  std::vector<std::size_t> idx;  ///< sorted, unique
  std::vector<std::string> errors;
};

Selection select(const std::vector<DumpEntry>& entries, const std::vector<std::string>& ids,
                 const std::string& filter) {
  Selection s;
  std::set<std::size_t> chosen;
  bool any = false;
  auto add = [&](std::size_t i) {
    if (filter.empty() || entries[i].traceback.find(filter) != std::string::npos) chosen.insert(i);
  };
  for (const auto& arg : ids) {
    std::string_view rest(arg);
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string tok(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (tok.empty()) continue;
      any = true;
      if (tok == "all") {
        for (std::size_t i = 0; i < entries.size(); ++i) add(i);
        continue;
      }
      auto is_num = [](const std::string& t) {
        return !t.empty() && t.size() < 10 && std::all_of(t.begin(), t.end(), ::isdigit);
      };
      auto dash = tok.find('-');
      if (is_num(tok)) {
        auto i = std::stoul(tok);
        if (i < entries.size())
          add(i);
        else
          s.errors.push_back(fmt::format("no entry {} (the dump has {} entries: 0..{})", tok,
                                         entries.size(), entries.empty() ? 0 : entries.size() - 1));
      } else if (dash != std::string::npos && is_num(tok.substr(0, dash)) &&
                 is_num(tok.substr(dash + 1))) {
        auto a = std::stoul(tok.substr(0, dash)), b = std::stoul(tok.substr(dash + 1));
        if (a > b || b >= entries.size())
          s.errors.push_back(
              fmt::format("bad range {} (the dump has {} entries)", tok, entries.size()));
        else
          for (auto i = a; i <= b; ++i) add(i);
      } else {
        bool found = false;
        for (std::size_t i = 0; i < entries.size(); ++i)
          if (entries[i].timestamp == tok) {
            add(i);
            found = true;
          }
        if (!found) s.errors.push_back("no entry '" + tok + "'");
      }
    }
  }
  if (!any && !filter.empty())
    for (std::size_t i = 0; i < entries.size(); ++i) add(i);
  s.idx.assign(chosen.begin(), chosen.end());
  return s;
}

// ---------------------------------------------------------------------------------
// Overview

std::string spool_state_text(const Ctx& c) {
  return daemon_running(c.wal_dir) ? "the running daemon takes it over within a second"
                                   : "waiting for the daemon (none is running on this state dir)";
}

int overview(Ctx& c, bool json) {
  struct Row {
    std::string bot, file, first, last, problem;
    std::size_t count = 0;
  };
  std::vector<Row> rows;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(c.log_dir, ec)) {
    if (de.path().extension() != ".dump") continue;
    Row r;
    r.bot = de.path().stem().string();
    r.file = de.path().string();
    try {
      auto entries = DumpFile::read(r.file);
      r.count = entries.size();
      if (!entries.empty()) {
        r.first = entries.front().timestamp;
        r.last = entries.back().timestamp;
      }
    } catch (const std::exception& e) {
      r.problem = std::string("unable to load JSON: ") + e.what();
    }
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.bot < b.bot; });
  std::vector<std::pair<SpoolFile, std::optional<Spool>>> spools;
  for (auto& f : list_spools(c.spool_dir)) {
    std::optional<Spool> s;
    try {
      s = read_spool(f.path);
    } catch (const std::exception&) {
    }
    spools.emplace_back(f, std::move(s));
  }
  const bool running = daemon_running(c.wal_dir);
  auto& out = *c.out;
  if (json) {
    std::string j = "{\n    \"daemon_running\": ";
    j += running ? "true" : "false";
    j += ",\n    \"dump_dir\": ";
    harm::py::append_json_string(j, c.log_dir);
    j += ",\n    \"dumps\": [";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      j += i ? ",\n        {" : "\n        {";
      j += fmt::format("\"bot_id\": {}, \"count\": {}, \"file\": {}, \"first\": {}, \"last\": {}",
                       harm::py::json_dumps(Value::string(r.bot)), r.count,
                       harm::py::json_dumps(Value::string(r.file)),
                       harm::py::json_dumps(Value::string(r.first)),
                       harm::py::json_dumps(Value::string(r.last)));
      if (!r.problem.empty())
        j += ", \"problem\": " + harm::py::json_dumps(Value::string(r.problem));
      j += "}";
    }
    j += rows.empty() ? "]" : "\n    ]";
    j += ",\n    \"pending_reinjection\": [";
    for (std::size_t i = 0; i < spools.size(); ++i) {
      const auto& [f, s] = spools[i];
      j += i ? ",\n        {" : "\n        {";
      j += fmt::format("\"bot_id\": {}, \"count\": {}, \"spool\": {}, \"state\": \"{}\"}}",
                       harm::py::json_dumps(Value::string(s ? s->bot_id : std::string())),
                       s ? s->entries.size() : 0, harm::py::json_dumps(Value::string(f.path)),
                       f.state == SpoolState::Ready ? "ready" : "prepared");
    }
    j += spools.empty() ? "]" : "\n    ]";
    j += "\n}\n";
    out << j;
    return 0;
  }
  if (rows.empty()) {
    out << "No dump files in " << c.log_dir << ".\n";
  } else {
    out << "Dump files in " << c.log_dir << ":\n";
    out << fmt::format("  {:<28} {:>6}  {:<26}  {:<26}  {}\n", "bot", "dumps", "first", "last",
                       "file");
    for (const auto& r : rows) {
      if (!r.problem.empty())
        out << fmt::format("  {:<28} {}  {}\n", r.bot, r.problem, r.file);
      else if (r.count == 0)
        out << fmt::format("  {:<28} empty file  {}\n", r.bot, r.file);
      else
        out << fmt::format("  {:<28} {:>6}  {:<26}  {:<26}  {}\n", r.bot, r.count, r.first, r.last,
                           r.file);
    }
  }
  if (!spools.empty()) {
    out << "Pending re-injection ("
        << (running ? "the running daemon takes them over"
                    : "waiting for the daemon: none is running")
        << "):\n";
    for (const auto& [f, s] : spools)
      out << fmt::format("  {:<28} {:>6}  {}{}\n", s ? s->bot_id : std::string("?"),
                         s ? s->entries.size() : 0, f.path,
                         f.state == SpoolState::Prepared ? " (prepared: dump file locked)" : "");
  }
  return 0;
}

// ---------------------------------------------------------------------------------
// show

Value message_value(const DumpEntry& e, std::size_t trunc, bool& decoded) {
  decoded = false;
  auto text = message_text(e);
  Value v;
  if (text && harm::py::json_loads(*text, v) && v.is_dict()) {
    decoded = true;
    for (auto& [k, f] : v.as_dict())
      if (k == "raw" && f.is_string()) f = Value::string(truncated(f.as_string(), trunc));
    return v;
  }
  return Value::string(truncated(e.message, trunc));
}

int show(Ctx& c, const std::string& bot, const std::vector<DumpEntry>& entries,
         const Selection& sel, bool listing, bool json, bool raw, std::size_t trunc) {
  auto& out = *c.out;
  if (json) {
    std::string j = "[";
    bool first = true;
    for (auto i : sel.idx) {
      const auto& e = entries[i];
      bool decoded;
      Value m = raw ? Value::string(e.message) : message_value(e, trunc, decoded);
      Value::Dict d;
      d.emplace_back("index", Value::integer(static_cast<std::int64_t>(i)));
      d.emplace_back("timestamp", Value::string(e.timestamp));
      d.emplace_back("bot_id", Value::string(e.bot_id));
      d.emplace_back("source_queue", Value::string(e.source_queue));
      d.emplace_back("traceback", Value::string(e.traceback));
      d.emplace_back("message", std::move(m));
      if (e.base64) d.emplace_back("message_type", Value::string(std::string("base64")));
      std::string one;
      pretty(one, Value::dict(std::move(d)), 1);
      j += first ? "\n    " : ",\n    ";
      j += one;
      first = false;
    }
    j += first ? "]\n" : "\n]\n";
    out << j;
    return sel.errors.empty() ? 0 : 1;
  }
  if (listing) {
    out << fmt::format("Processing {}: {} dumps\n", bot, entries.size());
    for (auto i : sel.idx)
      out << fmt::format("  {}: {} {}\n", i, entries[i].timestamp,
                         last_error_line(entries[i].traceback));
    return sel.errors.empty() ? 0 : 1;
  }
  for (auto i : sel.idx) {
    const auto& e = entries[i];
    out << fmt::format("{}: {}\n", i, e.timestamp);
    out << "  bot_id: " << e.bot_id << "\n  source_queue: " << e.source_queue << "\n";
    if (e.base64) out << "  message_type: base64\n";
    out << "  traceback:\n";
    std::istringstream tb(e.traceback);
    for (std::string line; std::getline(tb, line);) out << "    " << line << "\n";
    out << "  message:\n";
    std::string text;
    if (raw) {
      text = e.message;
    } else {
      bool decoded;
      Value m = message_value(e, trunc, decoded);
      text = decoded ? pretty(m) : m.as_string();
    }
    std::istringstream ms(text);
    for (std::string line; std::getline(ms, line);) out << "    " << line << "\n";
  }
  return sel.errors.empty() ? 0 : 1;
}

// ---------------------------------------------------------------------------------
// edit

int run_editor(const std::string& file) {
  std::string editor;
  for (const char* var : {"EDITOR", "VISUAL"})
    if (const char* e = std::getenv(var); e && *e) {
      editor = e;
      break;
    }
  if (editor.empty())
    editor = ::access("/usr/bin/sensible-editor", X_OK) == 0 ? "sensible-editor" : "vi";
  std::cout.flush();
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::string cmd = editor + " \"$1\"";
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), "intelflow-dump-edit", file.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

int edit(Ctx& c, const std::string& path, const DumpEntry& e, std::size_t index) {
  auto& err = *c.err;
  auto text = message_text(e);
  if (!text) {
    err << fmt::format(
        "intelflow dump: entry {} holds bytes that are not UTF-8 text; it cannot be edited "
        "(delete it).\n",
        index);
    return 1;
  }
  Value v;
  std::string before =
      harm::py::json_loads(*text, v) && (v.is_dict() || v.is_list()) ? pretty(v) + "\n" : *text;
  char tmpl[] = "/tmp/intelflow-dump-edit-XXXXXX.json";
  int fd = ::mkstemps(tmpl, 5);
  if (fd < 0) {
    err << "intelflow dump: cannot create a temporary file\n";
    return 2;
  }
  ::close(fd);
  std::string tmp = tmpl;
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << before;
  }
  int rc = run_editor(tmp);
  if (rc != 0) {
    err << fmt::format("intelflow dump: the editor exited with status {}; nothing saved.\n", rc);
    fs::remove(tmp);
    return 1;
  }
  std::string after;
  {
    std::ifstream f(tmp, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    after = ss.str();
  }
  if (after == before) {
    *c.out << "No changes made.\n";
    fs::remove(tmp);
    return 0;
  }
  std::string canonical;
  try {
    canonical = validate_message(c, after);
  } catch (const std::exception& ex) {
    err << fmt::format(
        "intelflow dump: edit refused: not a valid message: {}\nThe dump is unchanged; your "
        "edit is kept in {}.\n",
        ex.what(), tmp);
    return 1;
  }
  DumpLock lock(path);
  auto entries = DumpFile::read(path);
  auto it = std::find(entries.begin(), entries.end(), e);
  if (it == entries.end()) {
    err << fmt::format(
        "intelflow dump: entry {} was changed or removed meanwhile; edit not saved (kept in "
        "{}).\n",
        e.timestamp, tmp);
    return 1;
  }
  it->message = canonical;
  it->base64 = false;
  DumpFile::write(path, entries);
  fs::remove(tmp);
  *c.out << fmt::format("Entry {} ({}) saved.\n", index, e.timestamp);
  return 0;
}

// ---------------------------------------------------------------------------------
// reinject

int reinject(Ctx& c, const std::string& bot, const std::string& path,
             const std::vector<std::string>& ids, const std::string& filter, double wait_s) {
  auto& out = *c.out;
  auto& err = *c.err;
  if (c.graph) {
    const auto* b = c.graph->find(bot);
    if (!b) {
      err << fmt::format("intelflow dump: bot '{}' is not in {}; cannot re-inject.\n", bot,
                         c.graph_file);
      return 2;
    }
    if (b->info && b->info->group == api::BotGroup::Collector) {
      err << fmt::format(
          "intelflow dump: bot '{}' is a collector: collector bots have no input queue.\n", bot);
      return 2;
    }
  }
  DumpLock lock(path, 60, [](const std::string&) {
    std::cerr << "Dump file is locked, waiting up to 60s.\n";
  });
  auto entries = DumpFile::read(path);
  auto sel = select(entries, ids, filter);
  for (const auto& e : sel.errors) err << "intelflow dump: " << e << "\n";
  Spool s;
  s.name = new_spool_name();
  s.bot_id = bot;
  s.dump_file = fs::absolute(path).lexically_normal().string();
  std::vector<std::size_t> taken;
  int rc = sel.errors.empty() ? 0 : 1;
  for (auto i : sel.idx) {
    const auto& e = entries[i];
    auto text = message_text(e);
    if (!text) {
      err << fmt::format(
          "intelflow dump: entry {}: base64 bytes that are not UTF-8 text, not a message; "
          "refused (delete it).\n",
          i);
      rc = 1;
      continue;
    }
    try {
      s.entries.push_back(SpoolEntry{e, validate_message(c, *text)});
      taken.push_back(i);
    } catch (const std::exception& ex) {
      err << fmt::format(
          "intelflow dump: entry {}: not a valid message ({}); refused — fix it with "
          "'intelflow dump {} edit {}' or delete it.\n",
          i, ex.what(), bot, i);
      rc = 1;
    }
  }
  if (s.entries.empty()) {
    out << "Nothing to re-inject.\n";
    return rc == 0 ? 1 : rc;
  }
  write_spool(spool_path(c.spool_dir, s.name, SpoolState::Prepared), s);
  INTELFLOW_FAULT_POINT("dump.after_spool");
  commit_prepared(c.spool_dir, s);
  for (auto i : taken) out << fmt::format("Recovered dump {}.\n", i);
  out << fmt::format("{} entr{} queued for re-injection into bot '{}' ({}): {}.\n",
                     s.entries.size(), s.entries.size() == 1 ? "y" : "ies", bot,
                     spool_path(c.spool_dir, s.name, SpoolState::Ready), spool_state_text(c));
  if (wait_s > 0) {
    auto ready = spool_path(c.spool_dir, s.name, SpoolState::Ready);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_s);
    while (fs::exists(ready) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (fs::exists(ready)) {
      out << "Not yet taken over by the daemon; the entries stay pending.\n";
      return rc == 0 ? 1 : rc;
    }
    out << "Taken over by the daemon.\n";
  }
  return rc;
}

int remove_entries(Ctx& c, const std::string& path, const std::vector<std::string>& ids,
                   const std::string& filter) {
  DumpLock lock(path);
  auto entries = DumpFile::read(path);
  auto sel = select(entries, ids, filter);
  for (const auto& e : sel.errors) *c.err << "intelflow dump: " << e << "\n";
  if (sel.idx.empty()) {
    *c.out << "Nothing deleted.\n";
    return 1;
  }
  std::vector<DumpEntry> keep;
  std::size_t k = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (k < sel.idx.size() && sel.idx[k] == i) {
      ++k;
      continue;
    }
    keep.push_back(std::move(entries[i]));
  }
  DumpFile::write(path, keep);
  *c.out << fmt::format("Deleted {} entr{}.\n", sel.idx.size(), sel.idx.size() == 1 ? "y" : "ies");
  if (keep.empty()) *c.out << "Deleting empty file " << path << "\n";
  return sel.errors.empty() ? 0 : 1;
}

bool is_graph_file(const std::string& a) {
  auto ext = fs::path(a).extension().string();
  return (ext == ".yaml" || ext == ".yml" || ext == ".conf") && fs::is_regular_file(a);
}

}  // namespace

bool daemon_running(const std::string& wal_dir) {
  struct stat st {};
  if (::stat((wal_dir + "/LOCK").c_str(), &st) != 0) return false;
  std::ifstream locks("/proc/locks");
  std::string line;
  const std::string dev = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev),
                                      static_cast<unsigned long long>(st.st_ino));
  while (std::getline(locks, line)) {
    std::istringstream is(line);
    std::vector<std::string> f;
    for (std::string w; is >> w;) f.push_back(w);
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" ("->" marks a waiter)
    if (f.size() < 6 || f[1] == "->" || f[1] != "FLOCK") continue;
    if (f[5] == dev) return true;
  }
  return false;
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Ctx c;
  c.out = &out;
  c.err = &err;
  std::optional<std::string> state_dir, log_dir;
  std::vector<std::string> pos;
  bool json = false, raw = false;
  std::size_t trunc = 1000;
  std::string filter;
  double wait_s = 0;
  try {
    for (std::size_t i = 0; i < args.size(); ++i) {
      const auto& a = args[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= args.size()) throw std::invalid_argument(a + " needs a value");
        return args[++i];
      };
      if (a == "-h" || a == "--help") {
        out << usage();
        return 0;
      } else if (a == "--state-dir") {
        state_dir = value();
      } else if (a == "--log-dir") {
        log_dir = value();
      } else if (a == "--graph") {
        c.graph_file = value();
      } else if (a == "--json") {
        json = true;
      } else if (a == "--raw") {
        raw = true;
      } else if (a == "--truncate" || a == "-t") {
        trunc = std::stoul(value());
      } else if (a == "--filter") {
        filter = value();
      } else if (a == "--wait") {
        wait_s = std::stod(value());
      } else if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1]))) {
        throw std::invalid_argument("unknown option " + a);
      } else if (pos.empty() && c.graph_file.empty() && is_graph_file(a)) {
        c.graph_file = a;
      } else {
        pos.push_back(a);
      }
    }
  } catch (const std::exception& e) {
    err << "intelflow dump: " << e.what() << "\n" << usage();
    return 2;
  }

  if (!c.graph_file.empty()) {
    config::LoadOptions lo;
    lo.state_dir = state_dir;
    auto r = config::load_graph(c.graph_file, lo);
    if (!r.ok()) {
      for (const auto& i : r.issues)
        if (i.level == config::ConfigIssue::Level::Error) err << i.format() << "\n";
      err << "intelflow dump: " << c.graph_file << " has errors (see above).\n";
      return 2;
    }
    c.graph = std::move(*r.graph);
    c.state_dir = c.graph->engine.state_dir;
    c.log_dir = c.graph->engine.log_dir;
    c.wal_dir = c.graph->engine.wal_dir;
  } else {
    c.state_dir = state_dir.value_or("/var/lib/intelflow");
    c.log_dir = c.state_dir + "/log";
    c.wal_dir = c.state_dir + "/wal";
  }
  if (log_dir) c.log_dir = *log_dir;
  c.spool_dir = spool_dir_of(c.state_dir);

  try {
    // A re-injection interrupted between its spool and the dump rewrite is
    // finished first (decision 0004).
    std::vector<std::string> problems;
    auto n = roll_forward(c.spool_dir, /*wait=*/true, &problems);
    for (const auto& p : problems) err << "intelflow dump: interrupted re-injection: " << p << "\n";
    if (n > 0 && !json)
      out << fmt::format("Finished {} interrupted re-injection{}.\n", n, n == 1 ? "" : "s");

    if (pos.empty()) return overview(c, json);
    const std::string bot = pos[0];
    std::string action = pos.size() > 1 ? pos[1] : "show";
    std::vector<std::string> ids(pos.begin() + std::min<std::ptrdiff_t>(2, pos.size()), pos.end());
    static const std::set<std::string> kActions{"show", "s",        "delete", "d",       "edit",
                                                "e",    "reinject", "r",      "recover", "a"};
    if (!kActions.count(action)) {
      // `intelflow dump BOT 3 5` = show 3 5
      ids.insert(ids.begin(), action);
      action = "show";
    }
    const std::string path = c.dump_path(bot);
    if (!fs::exists(path)) {
      err << fmt::format("intelflow dump: no dump file for bot '{}' ({}).\n", bot, path);
      return 2;
    }
    if (action == "show" || action == "s") {
      auto entries = DumpFile::read(path);
      bool listing = ids.empty() && !raw;
      auto sel = ids.empty() ? select(entries, {"all"}, filter) : select(entries, ids, filter);
      for (const auto& e : sel.errors) err << "intelflow dump: " << e << "\n";
      if (ids.empty() && !json && !raw) listing = true;
      return show(c, bot, entries, sel, listing, json, raw, trunc);
    }
    if (action == "delete" || action == "d") {
      if (ids.empty() && filter.empty()) {
        err << "intelflow dump: delete needs entry numbers or 'all'\n";
        return 2;
      }
      return remove_entries(c, path, ids, filter);
    }
    if (action == "edit" || action == "e") {
      if (ids.size() != 1) {
        err << "intelflow dump: edit takes exactly one entry\n";
        return 2;
      }
      auto entries = DumpFile::read(path);
      auto sel = select(entries, ids, "");
      if (!sel.errors.empty() || sel.idx.size() != 1) {
        for (const auto& e : sel.errors) err << "intelflow dump: " << e << "\n";
        return 2;
      }
      return edit(c, path, entries[sel.idx[0]], sel.idx[0]);
    }
    // reinject / recover
    if (action == "a") ids = {"all"};
    if (ids.empty() && filter.empty()) {
      err << "intelflow dump: reinject needs entry numbers or 'all'\n";
      return 2;
    }
    return reinject(c, bot, path, ids, filter, wait_s);
  } catch (const std::exception& e) {
    err << "intelflow dump: " << e.what() << "\n";
    return 2;
  }
}

}  // namespace intelflow::dumptool
