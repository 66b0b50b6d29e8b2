// Federation benchmark: a partner desk's subscriber beside a local one, in one run. Two
// desks started by `tickdesk up` from dist/ (test/federation/peered-desks.ts: temporary
// folders, free 127.0.0.1 ports, peered both ways over s2s). Desk A's analyst `ana` is
// entitled to every instrument over REST (/v1/entitlements), desk B's `ana` over
// /v1/remote-entitlements; both subscribe to every ticks/ node of desk A. A publisher (the
// real feed core, synthetic source, test/bench/feed-worker.ts) publishes on desk A at each
// offered rate for a bounded time. Per run and side: ticks/s received, ticks lost (published
// − received) and missing by seq, p50/p99 latency (ingest → received), and each Prosody's CPU.
// Prints a table and rewrites the federation section of docs/benchmarks.md.
// Run: npx turbo run build --output-logs=errors-only && npm run bench:federation
// Settings (env): TICKDESK_FEDERATION_RATES (200,1000,5000), TICKDESK_BENCH_SECONDS (10),
// TICKDESK_BENCH_REPEAT (3), TICKDESK_FEDERATION_MAX_S (whole run, 900),
// TICKDESK_FEDERATION_SECTION (federation; `none` writes nothing).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { startPeeredDesks, type PeeredDesk, type PeeredDesks } from '../federation/peered-desks.js';
import { median } from './bench-desk.js';
import { startTally, type TallyReport } from './federation-tally.js';
import { cpuMeter } from './process-cpu.js';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RATES = (process.env.TICKDESK_FEDERATION_RATES ?? '200,1000,5000').split(',').filter(Boolean).map(Number);
const SECONDS = Number(process.env.TICKDESK_BENCH_SECONDS ?? 10);
const REPEAT = Number(process.env.TICKDESK_BENCH_REPEAT ?? 3);
const MAX_S = Number(process.env.TICKDESK_FEDERATION_MAX_S ?? 900);
const SECTION = process.env.TICKDESK_FEDERATION_SECTION ?? 'federation';
if (RATES.some((r) => !(r >= 1 && r <= 50_000)) || !(SECONDS >= 4 && SECONDS <= 120) || !(REPEAT >= 1 && REPEAT <= 10))
  throw new Error('TICKDESK_FEDERATION_RATES 1–50000 each, TICKDESK_BENCH_SECONDS 4–120, TICKDESK_BENCH_REPEAT 1–10');
const WARMUP_S = 2;
const DRAIN_MS = 5000;
const REMOTE = 'ana@deskb.localhost';
const log = pino({ level: 'warn' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

let desks: PeeredDesks | undefined;
let publisher: ChildProcess | undefined;
const abort = (why: string) => {
  process.stderr.write(`${why}\n`);
  publisher?.kill('SIGKILL');
  void (desks?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
};
process.once('uncaughtException', (err) => abort(err.stack ?? String(err)));
process.once('unhandledRejection', (err) => abort(String(err)));
process.once('SIGINT', () => abort('interrupted'));
setTimeout(
  () => abort(`federation benchmark: over TICKDESK_FEDERATION_MAX_S=${MAX_S} s, stopped`),
  MAX_S * 1000,
).unref();

/** Each desk's XMPP server process, as its supervisor wrote it in desk.json. */
function prosodyPids(list: PeeredDesk[]): number[] {
  return list.map((d) => {
    const state = JSON.parse(readFileSync(join(d.home, 'desk.json'), 'utf8')) as { parts: { xmpp?: { pid?: number } } };
    if (!state.parts.xmpp?.pid) throw new Error(`desk.json of ${d.domain} names no xmpp pid`);
    return state.parts.xmpp.pid;
  });
}

/** Desk A's admin entitles its own analyst and desk B's to every instrument, over REST. */
async function grantBoth(a: PeeredDesk): Promise<void> {
  const body = JSON.stringify({ jid: `admin@${a.domain}`, password: a.account('admin').password });
  const headers = { 'content-type': 'application/json' };
  const { token } = (await (await fetch(`${a.apiUrl}/v1/auth/token`, { method: 'POST', headers, body })).json()) as {
    token: string;
  };
  for (const { symbol } of DEFAULT_INSTRUMENTS)
    for (const path of [`/v1/entitlements/ana/${symbol}`, `/v1/remote-entitlements/${REMOTE}/${symbol}`]) {
      const res = await fetch(`${a.apiUrl}${path}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
    }
}

type Tally = Awaited<ReturnType<typeof startTally>>;
interface Side {
  received: number;
  lost: number;
  missing: number;
  p50: number;
  p99: number;
}
interface Run {
  published: number;
  local: Side;
  remote: Side;
  cpuA: number;
  cpuB: number;
  load: number;
}

/** One run: the publisher at `rate` for SECONDS; the middle of it measured. */
async function runOnce(a: PeeredDesk, rate: number, tallies: { local: Tally; remote: Tally }, pids: number[]) {
  const load = loadavg()[0]!;
  tallies.local.reset();
  tallies.remote.reset();
  const args = [`xmpp://127.0.0.1:${a.ports.xmpp}`, a.domain, a.caPath, join(a.home, 'credentials.json')];
  const worker = (publisher = spawn(
    process.execPath,
    [
      '--conditions=tickdesk-source',
      '--import',
      'tsx',
      join(root, 'test/bench/feed-worker.ts'),
      ...args,
      String(rate),
      String(SECONDS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  ));
  let stdout = '';
  worker.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise((r) => worker.once('exit', r));
  await sleep(1500 + WARMUP_S * 1000);
  const meters = pids.map(cpuMeter);
  meters.forEach((m) => m.start());
  tallies.local.measure(true);
  tallies.remote.measure(true);
  const t0 = performance.now();
  await sleep((SECONDS - WARMUP_S - 1) * 1000);
  tallies.local.measure(false);
  tallies.remote.measure(false);
  const elapsed = (performance.now() - t0) / 1000;
  const [cpuA, cpuB] = meters.map((m) => m.stop()) as [number, number];
  await exited;
  publisher = undefined;
  const summary = stdout.split('\n').find((l) => l.startsWith('{"accepted"'));
  if (!summary) throw new Error(`the publisher at ${rate} ticks/s reported nothing`);
  const feed = JSON.parse(summary) as { accepted: number };
  const done = () => tallies.local.report().total >= feed.accepted && tallies.remote.report().total >= feed.accepted;
  for (const end = Date.now() + DRAIN_MS; Date.now() < end && !done();) await sleep(250);
  const side = (r: TallyReport): Side => ({
    received: r.measured / elapsed,
    lost: feed.accepted - r.total,
    missing: r.missing,
    p50: r.p50,
    p99: r.p99,
  });
  return {
    published: feed.accepted / SECONDS,
    local: side(tallies.local.report()),
    remote: side(tallies.remote.report()),
    cpuA,
    cpuB,
    load,
  } satisfies Run;
}

const cells = (s: Side) =>
  `${fmt(s.received)} | ${fmt(s.lost)} / ${fmt(s.missing)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)}`;
/** What the link adds: remote p50 − local p50 (ms) and remote p99 / local p99, from the same run. */
const extra = (r: Run) => ({ p50: r.remote.p50 - r.local.p50, p99: r.remote.p99 / r.local.p99 });
const row = (label: string, r: Run, link = extra(r)) =>
  `| ${label} | ${fmt(r.published)} | ${cells(r.local)} | ${cells(r.remote)} | ${link.p50.toFixed(1)} | ${link.p99.toFixed(2)} | ${r.cpuA.toFixed(2)} / ${r.cpuB.toFixed(2)} | ${r.load.toFixed(1)} |`;
const mid = (runs: Run[], f: (r: Run) => number) => median(runs.map(f));
const midSide = (runs: Run[], k: 'local' | 'remote'): Side => ({
  received: mid(runs, (r) => r[k].received),
  lost: mid(runs, (r) => r[k].lost),
  missing: mid(runs, (r) => r[k].missing),
  p50: mid(runs, (r) => r[k].p50),
  p99: mid(runs, (r) => r[k].p99),
});

const out = (s: string) => process.stdout.write(s + '\n');
const started = new Date();
// Desk A's own feed at its minimum, so the benchmark's publisher is what the nodes carry.
desks = await startPeeredDesks({ env: { a: { TICKDESK_FEED_RATE: '1' }, b: { TICKDESK_FEED_RATE: '1' } } });
const { a, b } = desks;
await grantBoth(a);
const localClient = await a.connect('ana', 'bench-local');
const remoteClient = await b.connect('ana', 'bench-remote');
const tallies = {
  local: await startTally({ client: localClient, service: `pubsub.${a.domain}`, log }),
  remote: await startTally({ client: remoteClient, service: `pubsub.${a.domain}`, log }),
};
const pids = prosodyPids([a, b]);
const rows: string[] = [];
for (const rate of RATES) {
  const runs: Run[] = [];
  for (let i = 1; i <= REPEAT; i++) {
    runs.push(await runOnce(a, rate, tallies, pids));
    rows.push(row(`${fmt(rate)} ticks/s, run ${i}`, runs[runs.length - 1]!));
    out(rows[rows.length - 1]!);
  }
  if (REPEAT > 1) {
    const m: Run = {
      published: mid(runs, (r) => r.published),
      local: midSide(runs, 'local'),
      remote: midSide(runs, 'remote'),
      cpuA: mid(runs, (r) => r.cpuA),
      cpuB: mid(runs, (r) => r.cpuB),
      load: mid(runs, (r) => r.load),
    };
    // The link's columns of a median row are the medians of each run's own difference and ratio.
    rows.push(
      row(`**${fmt(rate)} ticks/s, median of ${REPEAT}**`, m, {
        p50: mid(runs, (r) => extra(r).p50),
        p99: mid(runs, (r) => extra(r).p99),
      }),
    );
    out(rows[rows.length - 1]!);
  }
}
await Promise.all([tallies.local.stop(), tallies.remote.stop()]);
await Promise.all([localClient.stop(), remoteClient.stop()]);
await desks.stop();
desks = undefined;

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Prosody on both desks, ${started.toISOString().slice(0, 16)}Z`;
const env = Object.entries(process.env)
  .filter(([k]) => /^TICKDESK_(BENCH|FEDERATION)_/.test(k) && !/_(SECTION|MAX_S)$/.test(k))
  .map(([k, v]) => `${k}=${v} `)
  .join('');
if (SECTION !== 'none') {
  writeSection(
    join(root, 'docs/benchmarks.md'),
    SECTION,
    [
      `Machine: ${machine}. Command: \`${env}npm run bench:federation\` (${SECONDS} s per run, first ${WARMUP_S} s and last 1 s not measured). Shared machine: the last column is the 1-minute load average before the run.`,
      '',
      '| case: offered ticks/s | published ticks/s | local: received ticks/s | local: lost / missing by seq | local: p50 ms | local: p99 ms | remote: received ticks/s | remote: lost / missing by seq | remote: p50 ms | remote: p99 ms | p50 remote − local ms | p99 remote / local | CPU cores: Prosody A / Prosody B | load |',
      '|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|',
      ...rows,
    ].join('\n'),
  );
  out('docs/benchmarks.md updated');
}
process.exit(0);
