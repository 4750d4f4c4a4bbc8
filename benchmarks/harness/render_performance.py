#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Renders `intelflow bench --json` output into docs/performance.md and an SVG.

usage: render_performance.py DATA.json PERFORMANCE.md GRAPH.svg

Replaces the text between the markers `<!-- bench-table:begin -->` and
`<!-- bench-table:end -->` in PERFORMANCE.md with the run's description and a
table of every variant, and writes GRAPH.svg: events/s (median, min-max bars)
against the batch size. Standard library only (no gnuplot needed).
"""
import json
import math
import sys

BEGIN, END = "<!-- bench-table:begin -->", "<!-- bench-table:end -->"


def fig(v, key, prec=0):
    f = (v.get("figures") or {}).get(key)
    if not f:
        return "–"
    if f["min"] == f["max"]:
        return f"{f['median']:,.{prec}f}"
    return f"{f['median']:,.{prec}f} ({f['min']:,.{prec}f}–{f['max']:,.{prec}f})"


def table(d):
    m = d.get("machine", {})
    s = d.get("summary", {})
    c = d.get("counts", {})
    out = []
    out.append(
        f"Measured {d.get('date')} on {m.get('cores')} cores {m.get('cpu')}, "
        f"{m.get('memory_gib')} GiB, {m.get('os')} (kernel {m.get('kernel')}); "
        f"{d.get('lines'):,} lines, seed {d.get('seed')}, {d.get('repeats')} repetitions per "
        f"variant; {c.get('expected_events_out'):,} events out, {c.get('malformed'):,} malformed, "
        f"{c.get('duplicates'):,} duplicates. Median (min–max) over the repetitions.")
    out.append("")
    out.append("| variant | fsync | cache | threads | batch | events/s end to end | "
               "events/s processing | pick-up s | CPU s | peak RSS MB | p50 ms | p99 ms | correct |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for v in d.get("variants", []):
        name = v["name"]
        if name == "default-half-rate":
            name = f"default at half rate ({v.get('rate', 0):,.0f} events/s, poll {v.get('rate_limit', 0):g} s)"
        out.append(
            f"| {name} | {v.get('fsync', 'always')} | {v.get('cache', 'embedded')} | "
            f"{v.get('threads', 2)} | {v.get('batch_size', 128)} | {fig(v, 'events_per_s')} | "
            f"{fig(v, 'processing_events_per_s')} | {fig(v, 'pickup_s', 3)} | {fig(v, 'cpu_s', 2)} | "
            f"{fig(v, 'peak_rss_mb')} | {fig(v, 'p50_ms', 1)} | {fig(v, 'p99_ms', 1)} | "
            f"{'yes' if v.get('correct') else '**no**'} |")
        if v.get("cache") == "redis" and (v.get("figures") or {}).get("redis_cpu_s"):
            out.append(
                f"| … its redis-server | | | | | | | | {fig(v, 'redis_cpu_s', 2)} | "
                f"{fig(v, 'redis_peak_rss_mb', 1)} | | | |")
    b = d.get("baseline")
    if b:
        out.append(
            f"| **baseline** (bench_baseline, inline, no WAL) | – | embedded | 1 | – | "
            f"{fig(b, 'events_per_s')} | {fig(b, 'events_per_s')} | – | {fig(b, 'cpu_s', 2)} | "
            f"{fig(b, 'peak_rss_mb')} | – | – | {'yes' if b.get('correct') else '**no**'} |")
    out.append("")
    out.append("Summary line of that run:")
    out.append("")
    out.append("```")
    out.append(
        f"bench: events_per_s={s.get('events_per_s', 0):.0f} "
        f"ratio_to_baseline={s.get('ratio_to_baseline', 0):.3f} cpu_s={s.get('cpu_s', 0):.2f} "
        f"peak_rss_mb={s.get('peak_rss_mb', 0):.1f} p99_ms={s.get('p99_ms', -1):.2f} "
        f"correct={'yes' if s.get('correct') else 'no'}")
    out.append("```")
    return "\n".join(out)


def svg(d):
    pts = []
    for v in d.get("variants", []):
        if v["name"] == "default" or v["name"].startswith("batch-"):
            f = (v.get("figures") or {}).get("events_per_s")
            if f:
                pts.append((int(v.get("batch_size", 128)), f["median"], f["min"], f["max"]))
    pts.sort()
    b = ((d.get("baseline") or {}).get("figures") or {}).get("events_per_s")
    W, H, L, R, T, B = 640, 400, 80, 20, 40, 50
    ymax = max([p[3] for p in pts] + ([b["max"]] if b else []) + [1]) * 1.15
    mag = 10 ** math.floor(math.log10(ymax))
    step = next(s * mag for s in (0.1, 0.2, 0.25, 0.5, 1, 2) if ymax / (s * mag) <= 8)
    ymax = math.ceil(ymax / step) * step
    xs = [0, 10]  # log2 of 1 .. 1024

    def X(batch):
        return L + (math.log2(batch) - xs[0]) / (xs[1] - xs[0]) * (W - L - R)

    def Y(val):
        return H - B - val / ymax * (H - T - B)

    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{W / 2}" y="20" text-anchor="middle" font-size="14">'
         f'intelflow bench: end-to-end events/s against batch size '
         f'({d.get("lines"):,} lines, fsync always, 2 threads)</text>']
    y = 0.0
    while y <= ymax + 1e-9:
        e.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(y):.1f}" y2="{Y(y):.1f}" stroke="#ddd"/>')
        e.append(f'<text x="{L - 6}" y="{Y(y) + 4:.1f}" text-anchor="end">{y:,.0f}</text>')
        y += step
    for k in range(0, 11):
        e.append(f'<line x1="{X(2 ** k):.1f}" x2="{X(2 ** k):.1f}" y1="{H - B}" y2="{H - B + 4}" '
                 f'stroke="black"/>')
        e.append(f'<text x="{X(2 ** k):.1f}" y="{H - B + 18}" text-anchor="middle">{2 ** k}</text>')
    e.append(f'<line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="black"/>')
    e.append(f'<line x1="{L}" x2="{L}" y1="{T}" y2="{H - B}" stroke="black"/>')
    e.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">'
             f'engine.batch_size (messages per batch, log scale)</text>')
    e.append(f'<text x="16" y="{(T + H - B) / 2}" text-anchor="middle" '
             f'transform="rotate(-90 16 {(T + H - B) / 2})">events/s (median, min–max)</text>')
    if b:
        e.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(b["median"]):.1f}" y2="{Y(b["median"]):.1f}" '
                 f'stroke="#c33" stroke-dasharray="6,4"/>')
        e.append(f'<text x="{W - R - 4}" y="{Y(b["median"]) - 6:.1f}" text-anchor="end" '
                 f'fill="#c33">plain baseline (1 thread, no WAL): {b["median"]:,.0f}</text>')
    if pts:
        path = " ".join(f"{'M' if i == 0 else 'L'}{X(p[0]):.1f},{Y(p[1]):.1f}"
                        for i, p in enumerate(pts))
        e.append(f'<path d="{path}" fill="none" stroke="#236" stroke-width="2"/>')
        for bs, med, lo, hi in pts:
            x = X(bs)
            e.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{Y(lo):.1f}" y2="{Y(hi):.1f}" '
                     f'stroke="#236"/>')
            e.append(f'<circle cx="{x:.1f}" cy="{Y(med):.1f}" r="4" fill="#236"/>')
            e.append(f'<text x="{x + 6:.1f}" y="{Y(med) - 6:.1f}" font-size="10">{med:,.0f}</text>')
    e.append("</svg>")
    return "\n".join(e) + "\n"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    data, md, graph = sys.argv[1:]
    with open(data) as f:
        d = json.load(f)
    with open(md) as f:
        text = f.read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit(f"{md}: markers {BEGIN} / {END} not found")
    text = text[:i + len(BEGIN)] + "\n" + table(d) + "\n" + text[j:]
    with open(md, "w") as f:
        f.write(text)
    with open(graph, "w") as f:
        f.write(svg(d))


if __name__ == "__main__":
    main()
