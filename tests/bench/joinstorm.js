// A join storm: N sockets opening on one URL, spread evenly over a window (a link shared on
// a neighbourhood group). Each counts as joined when its first frame (`hello`) arrives.
// Usage: node joinstorm.js <url>[,<url>...] <n> <origin> <window ms>
// Prints one JSON line: joined, failed, the time from the first open to the last hello, and
// the handshake-to-hello latencies.
"use strict";
const WebSocket = require("ws");

const [urlArg, nArg, origin, windowArg] = process.argv.slice(2);
const urls = urlArg.split(",");
const n = parseInt(nArg, 10);
const windowMs = parseInt(windowArg, 10);
const sockets = [];
const waits = [];
const codes = {};
let joined = 0;
let failed = 0;
let lastJoin = 0;
const start = Date.now();

function done() {
  waits.sort((a, b) => a - b);
  const pct = (p) => (waits.length ? waits[Math.min(waits.length - 1, Math.floor(p * waits.length))] : null);
  process.stdout.write(JSON.stringify({
    n, joined, failed, codes, window_ms: windowMs,
    all_joined_ms: joined === n ? lastJoin - start : null,
    last_join_ms: lastJoin ? lastJoin - start : null,
    wait_p50: pct(0.5), wait_p99: pct(0.99), wait_max: waits.length ? waits[waits.length - 1] : null,
  }) + "\n", () => {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  });
}

function settle() { if (joined + failed === n) done(); }

function open(i) {
  const began = Date.now();
  const ws = new WebSocket(urls[i % urls.length], { origin, perMessageDeflate: false, handshakeTimeout: 30000 });
  sockets.push(ws);
  let counted = false;
  const fail = (why) => {
    if (counted) return;
    counted = true; failed += 1; codes[why] = (codes[why] || 0) + 1; settle();
  };
  ws.on("message", () => {
    if (counted) return;
    counted = true; joined += 1;
    const now = Date.now();
    lastJoin = Math.max(lastJoin, now);
    waits.push(now - began);
    settle();
  });
  ws.on("unexpected-response", (_req, res) => fail("http " + res.statusCode));
  ws.on("error", (err) => fail(err.code || String(err.message).slice(0, 40)));
  ws.on("close", (code) => fail("close " + code));
}

for (let i = 0; i < n; i++) setTimeout(() => open(i), Math.floor((i * windowMs) / n));
setTimeout(done, windowMs + 60000);
