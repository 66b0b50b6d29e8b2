// Audit-chain benchmark: append N records (1,000,000 by default) to a private Redis, then
// stream them all with iterate() and check them all with verify(), sampling the process's
// RSS as it goes to show that reading and verifying run in constant memory. Prints a
// table and rewrites the `audit-chain` section of docs/benchmarks.md. Run:
//   node --expose-gc --conditions=tickdesk-source --import tsx test/bench/audit-export.ts
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createAuditChain, type AuditEntry } from '@tickdesk/alerts';
import { AUDIT_EVENTS } from '@tickdesk/schemas';
import { freePort, newRedisPassword, REDIS_ADMIN_RULES, startRedis } from '@tickdesk/infra';
import { writeSection } from './report.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const N = Number(process.env.TICKDESK_BENCH_AUDIT_RECORDS ?? 1_000_000);
const PAGE = Number(process.env.TICKDESK_BENCH_AUDIT_PAGE ?? 1_000);
const IN_FLIGHT = 4_096;
const out = (s: string) => process.stdout.write(s + '\n');
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const dir = mkdtempSync(join(tmpdir(), 'tickdesk-bench-audit-'));
const server = await startRedis({
  dir,
  port: await freePort(),
  users: [{ name: 'bench', password: newRedisPassword(), rules: REDIS_ADMIN_RULES }],
});
const redis = new Redis(server.url);
const dispose = async () => {
  redis.disconnect();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.once('unhandledRejection', (err) => {
  process.stderr.write(`${String(err)}\n`);
  void dispose().finally(() => process.exit(1));
});

const TRADERS = Array.from({ length: 20 }, (_, i) => `trader${i}`);
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'EURUSD', 'MSFT', 'AAPL', 'SOLUSDT', 'GBPUSD', 'NVDA'];
const entry = (i: number): AuditEntry => ({
  alertId: `a${(i >> 3).toString(16).padStart(24, '0')}`,
  trader: TRADERS[i % TRADERS.length]!,
  symbol: SYMBOLS[i % SYMBOLS.length]!,
  event: AUDIT_EVENTS[i % AUDIT_EVENTS.length]!,
  stanzaHash: i % 3 === 0 ? '' : (i * 2654435761).toString(16).padStart(64, '0').slice(-64),
  ...(i % 4 === 0 ? { detail: `attempt=${i % 7} to=trader${i % 20}` } : {}),
});

/** Peak RSS while `job` runs, sampled every 20 ms and at every `mark()`; plus RSS at chosen progress points. */
async function measure<T>(
  job: (mark: () => void) => Promise<T>,
): Promise<{ value: T; seconds: number; peak: number; start: number }> {
  global.gc?.();
  const start = process.memoryUsage.rss();
  let peak = start;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage.rss());
  };
  const timer = setInterval(sample, 20);
  const t0 = performance.now();
  try {
    const value = await job(sample);
    return { value, seconds: (performance.now() - t0) / 1000, peak, start };
  } finally {
    clearInterval(timer);
    sample();
  }
}

// Keyed, as a desk's chain is: each record's hash is an HMAC-SHA256.
const chain = createAuditChain({ redis, key: { key: randomBytes(32).toString('base64url'), keyedFrom: 1 } });

out(`appending ${fmt(N)} records …`);
const appended = await measure(async () => {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < N) await chain.append(entry(next++));
    }),
  );
});
const info = await redis.info('memory');
const redisBytes = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
await redis.bgrewriteaof().catch(() => undefined);

out('iterate() …');
const checkpoints: Array<[number, number]> = [];
const iterated = await measure(async (mark) => {
  let n = 0;
  for await (const r of chain.iterate({ pageSize: PAGE })) {
    n++;
    if (r.seq !== n) throw new Error(`iterate: seq ${r.seq} where ${n} expected`);
    if (n % (N / 10) === 0) {
      mark();
      checkpoints.push([n, process.memoryUsage.rss()]);
    }
  }
  return n;
});

out('verify() …');
const verified = await measure(() => chain.verify({ pageSize: PAGE }));
if (!verified.value.ok) throw new Error(`verify failed: ${JSON.stringify(verified.value)}`);

// One page at the start, the middle and the end of the chain costs the same: O(page), not O(offset).
const pageMs = async (q: Parameters<typeof chain.range>[0]) => {
  const t0 = performance.now();
  for (let i = 0; i < 20; i++) await chain.range(q);
  return (performance.now() - t0) / 20;
};
const firstPage = await pageMs({ limit: 100 });
const lastPage = await pageMs({ limit: 100, afterSeq: N - 100 });
const traderPage = await pageMs({ limit: 100, trader: 'trader7', afterSeq: Math.floor(N * 0.9) });
const [middle] = await chain.range({ limit: 1, afterSeq: Math.floor(N / 2) });
const timePage = await pageMs({ limit: 100, fromTime: middle!.time, symbol: 'MSFT' });
for (
  let i = 0;
  i < 600 && /aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(await redis.info('persistence'));
  i++
) {
  await new Promise((r) => setTimeout(r, 100));
}
const aofBytes = readdirSync(join(dir, 'data', 'appendonly')).reduce(
  (s, f) => s + statSync(join(dir, 'data', 'appendonly', f)).size,
  0,
);
await dispose();

const rows = [
  ['append (EVALSHA, 256 per pipeline)', appended, N],
  ['iterate(), pages of ' + fmt(PAGE), iterated, iterated.value],
  ['verify(), pages of ' + fmt(PAGE), verified, verified.value.records],
] as const;
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const md = [
  `Machine: ${machine}. Command: \`node --expose-gc --conditions=tickdesk-source --import tsx test/bench/audit-export.ts\` (\`TICKDESK_BENCH_AUDIT_RECORDS\`, \`TICKDESK_BENCH_AUDIT_PAGE\` adjust it). One run, Redis on the same machine; the machine is shared, so read ratios, not absolutes.`,
  '',
  '| phase | records | seconds | records/s | RSS before MiB | peak RSS MiB |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    ([name, m, n]) =>
      `| ${name} | ${fmt(n)} | ${m.seconds.toFixed(1)} | ${fmt(n / m.seconds)} | ${mib(m.start)} | ${mib(m.peak)} |`,
  ),
  '',
  `RSS of the benchmark process during iterate(), after each tenth of the chain (MiB): ${checkpoints.map(([, rss]) => mib(rss)).join(', ')}.`,
  `One 100-record page: first ${firstPage.toFixed(2)} ms, last ${lastPage.toFixed(2)} ms; by trader past 90 % of the chain ${traderPage.toFixed(2)} ms; by symbol from the middle record's time ${timePage.toFixed(2)} ms.`,
  `Redis memory for ${fmt(N)} records with their indexes: ${mib(redisBytes)} MiB (${fmt(redisBytes / N)} bytes per record); AOF after rewrite ${mib(aofBytes)} MiB.`,
].join('\n');
out('\n' + md);
writeSection(process.env.TICKDESK_BENCH_REPORT ?? join(root, 'docs/benchmarks.md'), 'audit-chain', md);
out('docs/benchmarks.md updated');
process.exit(0);
