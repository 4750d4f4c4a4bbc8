#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Writes the demo feed (sample-feed.csv): a small, deterministic abuse feed
with a few malformed lines and some duplicates, in the shape of a typical CSV
blocklist. Run again to regenerate; the output only depends on this file."""
import random

rng = random.Random(20261123)
types = ["malware", "phish", "cnc", "scan", "spam"]
words = ["login", "secure", "account", "verify", "cdn", "files", "update", "mail", "shop", "news"]
tlds = ["com", "net", "org", "info", "example"]
comments = ["seen by sensor A", "reported, \"confirmed\"", "", "botnet, wave 3", "honeypot hit"]
lines = ["time,ip,url,asn,type,comment"]
seen = []
for i in range(3000):
    r = rng.random()
    if r < 0.01:  # malformed: bad IP or bad time
        if rng.random() < 0.5:
            lines.append("2024-06-02T10:00:00Z,300.1.2.3,http://bad.example/,64496,scan,bad ip")
        else:
            lines.append("yesterday-ish,198.51.100.7,,64496,scan,bad time")
        continue
    if r < 0.08 and seen:  # exact duplicate of an earlier line
        lines.append(rng.choice(seen[-200:]))
        continue
    day = rng.randint(1, 28)
    t = f"2024-06-{day:02d}T{rng.randint(0,23):02d}:{rng.randint(0,59):02d}:{rng.randint(0,59):02d}Z"
    ip = f"{rng.choice([23, 45, 77, 91, 103, 185, 198])}.{rng.randint(0,255)}.{rng.randint(0,255)}.{rng.randint(1,254)}"
    typ = rng.choice(types)
    if typ == "scan" and rng.random() < 0.6:
        url = ""
    else:
        host = f"{rng.choice(words)}.{rng.choice(words)}{rng.randint(1,99)}.{rng.choice(tlds)}"
        port = f":{rng.choice([8080, 8443, 81])}" if rng.random() < 0.1 else ""
        path = rng.choice(["/", "", "/index.php", f"/files/{rng.choice(['emotet','qakbot','icedid'])}.exe", "/login?session=1"])
        url = f"{rng.choice(['http', 'https'])}://{host}{port}{path}"
    asn = rng.choice([3320, 16509, 13335, 24940, 14061, 64496])
    c = rng.choice(comments)
    if "," in c or '"' in c:
        c = '"' + c.replace('"', '""') + '"'
    line = f"{t},{ip},{url},{asn},{typ},{c}"
    seen.append(line)
    lines.append(line)
with open("input/sample-feed.csv", "w", newline="") as f:
    f.write("\n".join(lines) + "\n")
