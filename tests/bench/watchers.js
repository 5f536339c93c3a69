// N WebSocket watchers in one Node.js process. Frames are matched with a regex (no JSON
// parsing) so the load generator stays cheap. Bench comments carry "bench <i> <sent ms>".
// Usage: node watchers.js <url>[,<url>...] <n> <origin> <ready-file> [idle]
// Watcher i connects to url[i % urls]. With "idle" it only holds the sockets open.
// Prints one JSON summary line on SIGTERM/SIGINT or when stdin closes.
"use strict";
const WebSocket = require("ws");
const fs = require("fs");

const [urlArg, nArg, origin, readyFile, mode] = process.argv.slice(2);
const urls = urlArg.split(",");
const n = parseInt(nArg, 10);
const idle = mode === "idle";
const BENCH = /bench (\d+) (\d+)/;
const SEQ = /"seq":(\d+)/;
const COUNTERS = /"type":"ticket\.counters"/;
const latencies = [];
const perWatcher = [];
const countersSeconds = new Map(); // second -> counters frames seen by watcher 0
let countersTotal = 0;
let ready = 0;
let failed = 0;
let firstMs = null;
let lastMs = null;
let closedAfterReady = 0;

function open(i) {
  return new Promise((resolve) => {
    const state = { got: 0, gaps: 0, dups: 0, lastSeq: null, seen: new Set() };
    perWatcher[i] = state;
    const ws = new WebSocket(urls[i % urls.length], { origin, perMessageDeflate: false });
    let counted = false;
    ws.on("message", (data) => {
      if (!counted) { counted = true; ready += 1; resolve(); }
      if (idle) return;
      const text = data.toString();
      if (COUNTERS.test(text)) {
        countersTotal += 1;
        if (i === 0) {
          const sec = Math.floor(Date.now() / 1000);
          countersSeconds.set(sec, (countersSeconds.get(sec) || 0) + 1);
        }
        return;
      }
      const b = BENCH.exec(text);
      if (!b) return;
      const now = Date.now();
      const s = SEQ.exec(text);
      if (s) {
        const seq = parseInt(s[1], 10);
        if (state.lastSeq !== null && seq !== state.lastSeq + 1) state.gaps += 1;
        state.lastSeq = seq;
      }
      if (state.seen.has(b[1])) { state.dups += 1; return; }
      state.seen.add(b[1]);
      state.got += 1;
      const sent = parseInt(b[2], 10);
      if (firstMs === null || sent < firstMs) firstMs = sent;
      if (lastMs === null || now > lastMs) lastMs = now;
      latencies.push(now - sent);
    });
    ws.on("error", () => { if (!counted) { counted = true; failed += 1; resolve(); } });
    ws.on("close", () => {
      if (!counted) { counted = true; failed += 1; resolve(); } else closedAfterReady += 1;
    });
  });
}

async function main() {
  const batch = 100;
  for (let i = 0; i < n; i += batch) {
    const opening = [];
    for (let j = i; j < Math.min(n, i + batch); j++) opening.push(open(j));
    await Promise.all(opening);
  }
  fs.writeFileSync(readyFile, JSON.stringify({ ready, failed }));
  // Progress for the harness: deliveries so far, every 200 ms.
  setInterval(() => fs.writeFileSync(readyFile + ".n", String(latencies.length)), 200);
}

function summary() {
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null;
  const got = perWatcher.map((w) => (w ? w.got : 0));
  const result = {
    watchers: n, ready, failed, closed: closedAfterReady,
    deliveries: latencies.length,
    p50: pct(0.5), p99: pct(0.99), max: latencies.length ? latencies[latencies.length - 1] : null,
    min_got: got.length ? Math.min(...got) : 0, max_got: got.length ? Math.max(...got) : 0,
    gaps: perWatcher.reduce((a, w) => a + (w ? w.gaps : 0), 0),
    dups: perWatcher.reduce((a, w) => a + (w ? w.dups : 0), 0),
    first_ms: firstMs, last_ms: lastMs,
    counters_total: countersTotal,
    counters_max_per_s: countersSeconds.size ? Math.max(...countersSeconds.values()) : 0,
    counters_seconds: countersSeconds.size,
  };
  return JSON.stringify(result) + "\n";
}

// "report" on stdin: print the summary and start counting afresh on the same sockets.
function reset() {
  latencies.length = 0;
  countersSeconds.clear();
  countersTotal = 0;
  firstMs = null;
  lastMs = null;
  for (const w of perWatcher) if (w) { w.got = 0; w.gaps = 0; w.dups = 0; w.seen = new Set(); }
}

function finish() {
  process.stdout.write(summary(), () => process.exit(0));
}
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf("\n")) >= 0) {
    const line = pending.slice(0, nl).trim();
    pending = pending.slice(nl + 1);
    if (line === "report") { process.stdout.write(summary()); reset(); }
  }
});
process.on("SIGTERM", finish);
process.on("SIGINT", finish);
process.stdin.on("end", finish);
process.stdin.resume();
main();
