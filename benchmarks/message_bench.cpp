// SPDX-License-Identifier: AGPL-3.0-or-later
// Micro-benchmark of the message layer (not a test): events/s on one core for
// (a) unserialize + validate and (b) serialize, each beside a plain baseline
// measured in the same run (simdjson on-demand parse of the same bytes; memcpy
// of the same bytes). Events look like the bench pipeline's output. Rates use
// the thread's CPU time, so they are per core even on a busy machine.
//
// A fourth case (c) builds the bench pipeline's event the way the generic CSV
// parser and the experts do (event_from_report, add by FieldSpec, extra.comment,
// raw, taxonomy, url2fqdn), then hashes it as the deduplicator does and writes
// to_json without raw, as the file output does.
//
// usage: message_bench [seconds-per-measurement=1.0] [distinct-events=1024] [only: a|b|h|c]
// A negative seconds value -N runs each measurement for exactly N passes over
// the distinct events (for callgrind: --toggle-collect='*run_case*' and divide
// the instruction count by the printed number of events).

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "harmonization/message.hpp"

using namespace intelflow::harm;

namespace {

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string b64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (in.size() - i == 1) {
    unsigned v = (unsigned char)in[i] << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

/// An event as the bench pipeline's parser + experts produce it.
Message make_event(std::uint64_t& seed, const std::shared_ptr<const Harmonization>& harm) {
  static const char* types[] = {"malware-distribution", "phishing", "c2-server", "scanner", "spam"};
  static const char* taxonomies[] = {"malicious-code", "fraud", "malicious-code",
                                     "information-gathering", "abusive-content"};
  static const char* comments[] = {"seen in campaign 42", "reported by partner, verified",
                                   "\"quoted\" lure page", "automated detection", "sinkhole hit"};
  static const char* hosts[] = {"login.example-bank.com", "cdn.files-host.net",
                                "secure.account-verify.org", "update.softdl.io",
                                "mail.spam-relay.biz"};
  const unsigned r = static_cast<unsigned>(splitmix(seed));
  const int k = static_cast<int>(r % 5);
  char ip[32], when[64], url[160], asn[16], csv[512];
  std::snprintf(ip, sizeof ip, "%u.%u.%u.%u", 1 + (r >> 3) % 222, (r >> 8) & 255, (r >> 16) & 255,
                1 + ((r >> 24) % 254));
  std::snprintf(when, sizeof when, "2024-06-%02uT%02u:%02u:%02u+00:00", 1 + (r >> 5) % 30,
                (r >> 7) % 24, (r >> 11) % 60, (r >> 17) % 60);
  std::snprintf(url, sizeof url, "http%s://%s/dl/%u/payload.exe", (r & 1) ? "s" : "", hosts[k],
                r % 100000);
  std::snprintf(asn, sizeof asn, "%u", 64496 + r % 50);
  std::snprintf(csv, sizeof csv, "%s,%s,%s,%s,%s,\"%s\"", when, ip, url, asn, types[k],
                comments[k]);

  Message m(MessageKind::Event, harm);
  AddOptions raw_opts;
  raw_opts.sanitize = false;
  m.add("feed.accuracy", Value::floating(90.0));
  m.add("feed.name", Value::string("Bench Feed"));
  m.add("feed.provider", Value::string("intelflow-bench"));
  m.add("time.observation", Value::string("2024-07-01T08:00:00+00:00"));
  m.add("raw", Value::string(b64(csv)), raw_opts);
  m.add("time.source", Value::string(when));
  m.add("source.ip", Value::string(ip));
  m.add("source.url", Value::string(url));
  m.add("source.asn", Value::string(asn));
  m.add("classification.type", Value::string(types[k]));
  m.add("extra.comment", Value::string(comments[k]));
  m.add("classification.taxonomy", Value::string(taxonomies[k]));
  m.add("source.fqdn", Value::string(hosts[k]));
  m.add("protocol.application", Value::string((r & 1) ? "https" : "http"));
  m.add("source.port", Value::integer((r & 1) ? 443 : 80));
  m.add("protocol.transport", Value::string("tcp"));
  if (k == 0) m.add("malware.name", Value::string("payload"));
  if (k == 1) m.add("event_description.text", Value::string("phishing lure on a login host"));
  return m;
}

/// CPU time of this thread: the figures are per core even on a shared machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

/// One pass over the distinct events of a case (kept out of line so that
/// callgrind can collect exactly these calls).
[[gnu::noinline]] void run_case(const std::function<void()>& f) {
  f();
}

std::size_t g_events = 0;  ///< events processed by the last rate() (warm-up excluded)

double rate(double seconds, std::size_t batch, const std::function<void()>& f,
            bool measured_case = true) {
  f();  // warm-up
  std::size_t iters = 0;
  const double start = cpu_seconds();
  double elapsed = 0;
  if (seconds < 0) {
    for (int i = 0; i < static_cast<int>(-seconds); ++i) {
      if (measured_case)
        run_case(f);
      else
        f();
      iters += batch;
    }
    elapsed = cpu_seconds() - start;
  } else {
    do {
      if (measured_case)
        run_case(f);
      else
        f();
      iters += batch;
      elapsed = cpu_seconds() - start;
    } while (elapsed < seconds);
  }
  g_events = iters;
  return static_cast<double>(iters) / elapsed;
}

/// The bench feed's CSV line of an event (as the parser's raw holds it).
struct CsvRow {
  std::string time, ip, url, asn, type, comment, raw;
};

std::vector<CsvRow> make_rows(std::size_t n) {
  static const char* types[] = {"malware-distribution", "phishing", "c2-server", "scanner", "spam"};
  static const char* comments[] = {"seen in campaign 42", "reported by partner, verified",
                                   "\"quoted\" lure page", "automated detection", "sinkhole hit"};
  static const char* hosts[] = {"login.example-bank.com", "cdn.files-host.net",
                                "secure.account-verify.org", "update.softdl.io",
                                "mail.spam-relay.biz"};
  std::uint64_t seed = 7;
  std::vector<CsvRow> rows;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned r = static_cast<unsigned>(splitmix(seed));
    const int k = static_cast<int>(r % 5);
    char buf[160];
    CsvRow row;
    std::snprintf(buf, sizeof buf, "2024-06-%02uT%02u:%02u:%02u+00:00", 1 + (r >> 5) % 30,
                  (r >> 7) % 24, (r >> 11) % 60, (r >> 17) % 60);
    row.time = buf;
    std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", 1 + (r >> 3) % 222, (r >> 8) & 255,
                  (r >> 16) & 255, 1 + ((r >> 24) % 254));
    row.ip = buf;
    std::snprintf(buf, sizeof buf, "http%s://%s/dl/%u/payload.exe", (r & 1) ? "s" : "", hosts[k],
                  r % 100000);
    row.url = buf;
    row.asn = std::to_string(64496 + r % 50);
    row.type = types[k];
    row.comment = comments[k];
    row.raw = "time,ip,url,asn,type,comment\r\n" + row.time + "," + row.ip + "," + row.url + "," +
              row.asn + "," + row.type + ",\"" + row.comment + "\"\r\n";
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::size_t distinct = argc > 2 ? static_cast<std::size_t>(std::atol(argv[2])) : 1024;
  const std::string only = argc > 3 ? argv[3] : "";
  auto harm = Harmonization::default_instance();
  auto want = [&](const char* c) { return only.empty() || only == c; };

  std::uint64_t seed = 1;
  std::vector<Message> events;
  std::vector<std::string> wire;
  std::vector<simdjson::padded_string> padded;
  std::size_t bytes = 0, fields = 0;
  for (std::size_t i = 0; i < distinct; ++i) {
    events.push_back(make_event(seed, harm));
    wire.push_back(events.back().serialize());
    padded.emplace_back(wire.back());
    bytes += wire.back().size();
    fields += events.back().size();
  }
  std::printf("message_bench: %zu distinct events, avg %.0f bytes, avg %.1f fields\n", distinct,
              static_cast<double>(bytes) / static_cast<double>(distinct),
              static_cast<double>(fields) / static_cast<double>(distinct));
  if (only.empty()) std::printf("sample: %s\n", wire[0].c_str());
  std::size_t sink = 0;

  if (want("a")) {
    double a = rate(seconds, distinct, [&] {
      for (const auto& w : wire) sink += Message::unserialize(w, harm).size();
    });
    const std::size_t n = g_events;
    simdjson::ondemand::parser parser;
    double base = rate(
        seconds, distinct,
        [&] {
          for (const auto& p : padded) {
            auto doc = parser.iterate(p);
            for (auto field : doc.get_object()) {
              std::string_view key = field.unescaped_key().value();
              std::string_view raw = field.value().raw_json_token().value();
              sink += key.size() + raw.size();
            }
          }
        },
        false);
    std::printf(
        "(a) unserialize+validate: %12.0f events/s   baseline simdjson on-demand parse: %12.0f "
        "events/s   [%zu events]\n",
        a, base, n);
  }

  if (want("b")) {
    std::string out;
    double b = rate(seconds, distinct, [&] {
      for (const auto& m : events) {
        out.clear();
        m.serialize_to(out);
        sink += out.size();
      }
    });
    const std::size_t n = g_events;
    std::vector<char> buf(1 << 16);
    double base = rate(
        seconds, distinct,
        [&] {
          for (const auto& w : wire) {
            std::memcpy(buf.data(), w.data(), w.size());
            sink += static_cast<unsigned char>(buf[w.size() / 2]);
          }
        },
        false);
    std::printf(
        "(b) serialize:            %12.0f events/s   baseline memcpy of the same bytes:  %12.0f "
        "events/s   [%zu events]\n",
        b, base, n);
  }

  if (want("h")) {
    const std::vector<std::string> filter = {"raw", "time.observation"};
    double h = rate(seconds, distinct, [&] {
      for (const auto& m : events) sink += m.hash(filter).size();
    });
    std::printf("    hash (blacklist raw,time.observation): %12.0f events/s   [%zu events]\n", h,
                g_events);
  }

  if (want("c")) {
    // The report a file collector sends (its raw is not copied into events).
    Message report(MessageKind::Report, harm);
    report.add("feed.name", Value::string("Bench Feed"));
    report.add("feed.provider", Value::string("intelflow-bench"));
    report.add("feed.accuracy", Value::integer(90));
    report.add("time.observation", Value::string("2024-07-01T08:00:00+00:00"));
    report.add("raw", Value::string(std::string(4096, 'x')));
    const std::vector<CsvRow> rows = make_rows(distinct);
    const FieldSpec* f_time = harm->find(MessageKind::Event, "time.source");
    const FieldSpec* f_ip = harm->find(MessageKind::Event, "source.ip");
    const FieldSpec* f_url = harm->find(MessageKind::Event, "source.url");
    const FieldSpec* f_asn = harm->find(MessageKind::Event, "source.asn");
    const FieldSpec* f_type = harm->find(MessageKind::Event, "classification.type");
    const FieldSpec* f_raw = harm->find(MessageKind::Event, "raw");
    AddOptions soft;
    soft.raise_failure = false;
    const std::vector<std::string> filter = {"raw", "time.observation"};
    std::string out;
    double c = rate(seconds, distinct, [&] {
      for (const CsvRow& row : rows) {
        // parser: new_event + one add per column + raw
        Message ev = Message::event_from_report(report);
        ev.add(*f_time, Value::string(row.time), soft);
        ev.add(*f_ip, Value::string(row.ip), soft);
        ev.add(*f_url, Value::string(row.url), soft);
        ev.add(*f_asn, Value::string(row.asn), soft);
        ev.add(*f_type, Value::string(row.type), soft);
        ev.add("extra.comment", Value::string(row.comment), soft);
        ev.add(*f_raw, Value::string(row.raw));
        // taxonomy: classification.type -> classification.taxonomy
        if (const Value* t = ev.find("classification.type"); t && t->is_string())
          ev.add("classification.taxonomy",
                 Value::string(t->as_string() == "phishing" ? "fraud" : "malicious-code"));
        // url2fqdn: host of source.url -> source.fqdn
        if (const Value* u = ev.find("source.url"); u && !ev.contains("source.fqdn")) {
          std::string_view s = u->as_string();
          s.remove_prefix(s.find("://") + 3);
          ev.add("source.fqdn", Value::string(s.substr(0, s.find('/'))));
        }
        // deduplicator, then file output without raw
        sink += ev.hash(filter).size();
        ev.erase("raw");
        out.clear();
        ev.to_json_to(out);
        sink += out.size();
      }
    });
    std::printf(
        "(c) CSV-parser event build + hash + to_json: %12.0f events/s   [%zu events]   "
        "sample: %s\n",
        c, g_events, only.empty() ? "" : out.c_str());
  }
  std::printf("(sink %zu)\n", sink % 10);
  return 0;
}
