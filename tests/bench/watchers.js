// N WebSocket watchers in one Node.js process. Frames are matched with a regex (no JSON
// parsing) so the load generator stays cheap. Bench comments carry "bench <i> <sent ms>".
// Usage: node watchers.js <url>[,<url>...] <n> <origin> <ready-file> [idle]
// Watcher i connects to url[i % urls]. With "idle" it only holds the sockets open.
// Like the ticket page (static/js/ticket-live.js): a watcher whose socket closes reconnects
// after a "full jitter" delay (uniform in 0..min(30 s, 2 s × 2^attempt)) with since=<last seq>,
// and drops a frame it has already counted; `dropped`, `back` and `back_ms` (drop → hello)
// say how a reconnect storm went.
// Prints one JSON summary line on SIGTERM/SIGINT or when stdin closes.
// Environment (both optional, used by test_reconnect_storm.py):
// - WATCHERS_SOURCES=k: watcher i opens its sockets from 127.0.0.(2 + i % k), as k client
//   addresses (nginx's per-address limits then see k clients, not one);
// - WATCHERS_TIMELINE=<file>: keep the epoch ms of every reconnect attempt, drop, hello after a
//   drop and catch-up (the first frame at or past that hello's seq), put them in the summary
//   as `timeline`, and write the sockets' state to <file> every 200 ms.
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
let back = 0; // reconnected sockets (hello received again)
let backMs = 0; // the longest drop → hello
let attemptsFailed = 0;
let stopping = false;
const HELLO = /"type":"hello"/;
const SOURCES = parseInt(process.env.WATCHERS_SOURCES || "0", 10);
const TIMELINE = process.env.WATCHERS_TIMELINE || "";
const timeline = { attempts: [], drops: [], backs: [], caught: [] };
let dupsSeq = 0; // frames at or below the last seq (a replay overlap: dropped, as the page does)
let dupsBody = 0; // a new seq carrying a comment already shown: shown twice
const failures = new Map(); // why reconnect attempts failed: message or close code -> count

function backoff(n) {
  return Math.random() * Math.min(30000, 2000 * Math.pow(2, n));
}

function open(i) {
  return new Promise((resolve) => {
    const state = {
      got: 0, gaps: 0, dups: 0, lastSeq: null, seen: new Set(), droppedAt: null, attempt: 0,
      target: null, // after a reconnect: the hello's seq, until this socket has it
    };
    perWatcher[i] = state;
    connectOnce(i, state, resolve);
  });
}

function connectOnce(i, state, resolve) {
    const since = state.lastSeq !== null && !idle ? "?since=" + state.lastSeq : "";
    const options = { origin, perMessageDeflate: false };
    if (SOURCES > 0) options.localAddress = "127.0.0." + (2 + (i % SOURCES));
    if (TIMELINE && !resolve) timeline.attempts.push(Date.now());
    const ws = new WebSocket(urls[i % urls.length] + since, options);
    let counted = false;
    let live = false;
    ws.on("message", (data) => {
      if (!counted) { counted = true; if (resolve) { ready += 1; resolve(); } }
      if (!live) {
        live = true;
        state.attempt = 0;
        if (state.droppedAt !== null) {
          back += 1;
          backMs = Math.max(backMs, Date.now() - state.droppedAt);
          state.droppedAt = null;
          if (TIMELINE) {
            const now = Date.now();
            timeline.backs.push(now);
            const h = SEQ.exec(data.toString());
            state.target = h ? parseInt(h[1], 10) : null;
            if (state.target === null || (state.lastSeq !== null && state.lastSeq >= state.target)) {
              timeline.caught.push(now);
              state.target = null;
            }
          }
        }
      }
      if (idle) return;
      const text = data.toString();
      if (HELLO.test(text)) {
        const h = SEQ.exec(text);
        if (h && state.lastSeq === null) state.lastSeq = parseInt(h[1], 10);
        return;
      }
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
        if (state.lastSeq !== null && seq <= state.lastSeq) { state.dups += 1; dupsSeq += 1; return; }
        if (state.lastSeq !== null && seq !== state.lastSeq + 1) state.gaps += 1;
        state.lastSeq = seq;
        if (state.target !== null && seq >= state.target) { timeline.caught.push(now); state.target = null; }
      }
      if (state.seen.has(b[1])) { state.dups += 1; dupsBody += 1; return; }
      state.seen.add(b[1]);
      state.got += 1;
      const sent = parseInt(b[2], 10);
      if (firstMs === null || sent < firstMs) firstMs = sent;
      if (lastMs === null || now > lastMs) lastMs = now;
      latencies.push(now - sent);
    });
    ws.on("error", (err) => {
      // "close" follows; a reconnect's failure is counted by its reason.
      if (TIMELINE && !live) failures.set(String(err.message), (failures.get(String(err.message)) || 0) + 1);
    });
    ws.on("close", (code) => {
      if (TIMELINE && !live && !resolve) {
        const why = "close " + code;
        failures.set(why, (failures.get(why) || 0) + 1);
      }
      if (resolve && !counted) { counted = true; failed += 1; resolve(); return; }
      if (stopping) return;
      if (live) {
        closedAfterReady += 1;
        state.droppedAt = Date.now();
        if (TIMELINE) timeline.drops.push(state.droppedAt);
      } else { attemptsFailed += 1; }
      const delay = backoff(state.attempt);
      state.attempt += 1;
      setTimeout(() => connectOnce(i, state, null), delay);
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
  if (TIMELINE) setInterval(() => fs.writeFileSync(TIMELINE, JSON.stringify(sockets())), 200);
}

// Where the sockets are: the lowest and highest last seq, who is away or still replaying.
function sockets() {
  let min = null;
  let max = null;
  let replaying = 0;
  for (const w of perWatcher) {
    if (!w) continue;
    if (w.lastSeq !== null) {
      min = min === null ? w.lastSeq : Math.min(min, w.lastSeq);
      max = max === null ? w.lastSeq : Math.max(max, w.lastSeq);
    }
    if (w.target !== null) replaying += 1;
  }
  return {
    at: Date.now(), dropped: closedAfterReady, back, attempts_failed: attemptsFailed,
    still_away: perWatcher.filter((w) => w && w.droppedAt !== null).length,
    replaying, min_last_seq: min, max_last_seq: max,
  };
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
    dropped: closedAfterReady, back, back_ms: backMs, attempts_failed: attemptsFailed,
    still_away: perWatcher.filter((w) => w && w.droppedAt !== null).length,
    counters_total: countersTotal,
    counters_max_per_s: countersSeconds.size ? Math.max(...countersSeconds.values()) : 0,
    counters_seconds: countersSeconds.size,
    dups_seq: dupsSeq, dups_body: dupsBody,
  };
  if (TIMELINE) Object.assign(result, sockets(), { timeline, failures: Object.fromEntries(failures) });
  return JSON.stringify(result) + "\n";
}

// "report" on stdin: print the summary and start counting afresh on the same sockets.
function reset() {
  latencies.length = 0;
  countersSeconds.clear();
  countersTotal = 0;
  firstMs = null;
  lastMs = null;
  dupsSeq = 0;
  dupsBody = 0;
  for (const w of perWatcher) if (w) { w.got = 0; w.gaps = 0; w.dups = 0; w.seen = new Set(); }
}

function finish() {
  stopping = true;
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
