// What this machine charges for the alert path's hand-offs alone, with no work done at
// any of them: the floor under `npm run bench:floor`.
// A probe alert crosses ten hand-offs between processes: the feed's publish to the XMPP
// server, its notification to the engine, three Redis round trips (outbox create, `fired`
// record, `sent` record), the alert to the XMPP server and on to the trader's client. Here
// four processes stand for them (B: the benchmark, feed and client; S: the server; E: the
// engine; R: Redis), connected over loopback TCP with Nagle off, and each forwards a line
// to the next process of its route at once. Probes take the alert's route
// B→S→E→R→E→R→E→R→E→S→B, 50 a second; 950 a second take the other ticks' route B→S→E
// (the notification) and B→S→B (the publish's reply), as in bench:floor. A second row
// sends only the probes.
// Run: node --conditions=tickdesk-source --import tsx test/bench/handoff-floor.ts (TICKDESK_BENCH_SECONDS, default 15)
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { writeSection } from './report.js';
import { percentile } from './bench-desk.js';

const NAMES = ['S', 'E', 'R'] as const;
const ALERT_ROUTE = 'S E R E R E R E S B';
const role = process.argv[2];

/** One process of the path: listens, connects to the others it is given, forwards each line to the next hop of its route. */
async function relay(name: string): Promise<void> {
  const peers = new Map<string, Socket>();
  const forward = (line: string) => {
    // `<route> <index> <payload>`: the hop after this one, or nothing when the route ends here.
    const [route, index, payload] = line.split('|') as [string, string, string];
    const hops = route.split(' ');
    const next = Number(index) + 1;
    if (next < hops.length) peers.get(hops[next]!)!.write(`${route}|${next}|${payload}\n`);
  };
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    createInterface({ input: socket }).on('line', forward);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  process.send!({ name, port });
  const [ports] = (await once(process, 'message')) as [Record<string, number>];
  for (const [peer, p] of Object.entries(ports)) {
    const s = connect(p, '127.0.0.1');
    s.setNoDelay(true);
    await once(s, 'connect');
    peers.set(peer, s);
  }
  process.send!({ ready: name });
}

async function run(withBackground: boolean, seconds: number): Promise<string> {
  const children: ChildProcess[] = NAMES.map((n) =>
    fork(fileURLToPath(import.meta.url), [n], { execArgv: process.execArgv }),
  );
  const arrived = new Map<number, bigint>();
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    createInterface({ input: socket }).on('line', (line) => {
      const [route, , payload] = line.split('|') as [string, string, string];
      if (route === ALERT_ROUTE) arrived.set(Number(payload), process.hrtime.bigint());
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ports: Record<string, number> = { B: (server.address() as { port: number }).port };
  for (const c of children) {
    const [m] = (await once(c, 'message')) as [{ name: string; port: number }];
    ports[m.name] = m.port;
  }
  for (const c of children) c.send(ports);
  for (const c of children) await once(c, 'message');
  const toS = connect(ports.S!, '127.0.0.1');
  toS.setNoDelay(true);
  await once(toS, 'connect');

  const sentAt = new Map<number, bigint>();
  const load = loadavg()[0]!;
  const t0 = process.hrtime.bigint();
  const PROBES_PER_SECOND = 50;
  const RATE = 1_000;
  let probes = 0;
  let background = 0;
  const total = seconds * PROBES_PER_SECOND;
  while (probes < total) {
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e3;
    while (probes < total && probes * (1e6 / PROBES_PER_SECOND) <= elapsed) {
      probes += 1;
      sentAt.set(probes, process.hrtime.bigint());
      toS.write(`${ALERT_ROUTE}|0|${probes}\n`);
    }
    while (withBackground && (background + probes) * (1e6 / RATE) <= elapsed) {
      background += 1;
      toS.write(`S E|0|t${background}\nS B|0|r${background}\n`);
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise((r) => setTimeout(r, 1_000));
  const lat = [...sentAt]
    .slice(Math.floor(sentAt.size * 0.1))
    .filter(([i]) => arrived.has(i))
    .map(([i, t]) => Number(arrived.get(i)! - t) / 1e6)
    .sort((a, b) => a - b);
  for (const c of children) c.kill();
  toS.destroy();
  server.close();
  const name = withBackground ? 'alert route among 1,000 messages/s' : 'alert route alone, 50 messages/s';
  return `| ${name} | ${lat.length} | ${percentile(lat, 50).toFixed(2)} | ${percentile(lat, 90).toFixed(2)} | ${percentile(lat, 99).toFixed(2)} | ${lat.at(-1)!.toFixed(2)} | ${load.toFixed(1)} |`;
}

if (role && (NAMES as readonly string[]).includes(role)) {
  await relay(role);
} else {
  const seconds = Number(process.env.TICKDESK_BENCH_SECONDS ?? 15);
  const rows = [await run(true, seconds), await run(false, seconds)];
  for (const r of rows) process.stdout.write(r + '\n');
  const [cpu] = cpus();
  writeSection(
    join(fileURLToPath(new URL('../../', import.meta.url)), 'docs/benchmarks.md'),
    'handoff-floor',
    [
      `Machine: ${cpus().length} × ${cpu?.model ?? 'cpu'}, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z. Command: \`npm run bench:handoffs\` (${seconds} s per row, the first 10 % of probes discarded; load: the 1-minute load average before the row).`,
      '',
      '| ten hand-offs, no work at any | probes | p50 ms | p90 ms | p99 ms | max ms | load |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
  process.exit(0);
}
