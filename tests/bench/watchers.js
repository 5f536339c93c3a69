// N WebSocket watchers in one Node.js process. Frames are matched with a regex (no JSON
// parsing) so the load generator stays cheap. Bench comments carry "bench <i> <sent ms>".
// Usage: node watchers.js <url> <n> <origin> <ready-file>
// Prints one JSON summary line on SIGTERM/SIGINT or when stdin closes.
"use strict";
const WebSocket = require("ws");
const fs = require("fs");

const [url, nArg, origin, readyFile] = process.argv.slice(2);
const n = parseInt(nArg, 10);
const BENCH = /bench (\d+) (\d+)/;
const SEQ = /"seq":(\d+)/;
const latencies = [];
const perWatcher = [];
let ready = 0;
let failed = 0;

function open(i) {
  return new Promise((resolve) => {
    const state = { got: 0, gaps: 0, lastSeq: null, seen: new Set() };
    perWatcher[i] = state;
    const ws = new WebSocket(url, { origin, perMessageDeflate: false });
    let counted = false;
    ws.on("message", (data) => {
      const text = data.toString();
      if (!counted) { counted = true; ready += 1; resolve(); }
      const b = BENCH.exec(text);
      if (!b) return;
      const now = Date.now();
      const s = SEQ.exec(text);
      if (s) {
        const seq = parseInt(s[1], 10);
        if (state.lastSeq !== null && seq !== state.lastSeq + 1) state.gaps += 1;
        state.lastSeq = seq;
      }
      if (state.seen.has(b[1])) return;
      state.seen.add(b[1]);
      state.got += 1;
      latencies.push(now - parseInt(b[2], 10));
    });
    ws.on("error", () => { if (!counted) { counted = true; failed += 1; resolve(); } });
    ws.on("close", () => { if (!counted) { counted = true; failed += 1; resolve(); } });
  });
}

async function main() {
  const batch = 50;
  for (let i = 0; i < n; i += batch) {
    const opening = [];
    for (let j = i; j < Math.min(n, i + batch); j++) opening.push(open(j));
    await Promise.all(opening);
  }
  fs.writeFileSync(readyFile, JSON.stringify({ ready, failed }));
}

function finish() {
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null;
  const got = perWatcher.map((w) => (w ? w.got : 0));
  const summary = {
    watchers: n, ready, failed,
    deliveries: latencies.length,
    p50: pct(0.5), p99: pct(0.99), max: latencies.length ? latencies[latencies.length - 1] : null,
    min_got: Math.min(...got), max_got: Math.max(...got),
    gaps: perWatcher.reduce((a, w) => a + (w ? w.gaps : 0), 0),
  };
  process.stdout.write(JSON.stringify(summary) + "\n", () => process.exit(0));
}
process.on("SIGTERM", finish);
process.on("SIGINT", finish);
process.stdin.on("end", finish);
process.stdin.resume();
main();
