// What one subscriber costs the publisher: the feed at 100,000 ticks/s (8 s) with no
// subscriber and with one, twice each, printing the feed's publish round trip and
// what it conflated. Run: node --conditions=tickdesk-source --import tsx test/bench/notify-cost.ts
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createItemSubscriber } from '@tickdesk/xmpp';
import { decodeTickRows, ticksNode, DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { log, startBenchDesk } from './bench-desk.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rate = process.env.TICKDESK_BENCH_RATE ?? '100000';
const desk = await startBenchDesk();
for (const [run, withSubscriber] of [false, true, false, true].entries()) {
  const sub = withSubscriber ? await desk.connect('alice', `notify-cost-${run}`) : undefined;
  const subscriber =
    sub &&
    createItemSubscriber({
      client: sub,
      service: desk.pubsubHost,
      nodes: DEFAULT_INSTRUMENTS.map((i) => ticksNode(i.symbol)),
      decode: decodeTickRows,
      onItem: () => undefined,
      log,
    });
  await subscriber?.start();
  const worker = spawn(
    process.execPath,
    [
      '--conditions=tickdesk-source',
      '--import',
      'tsx',
      join(root, 'test/bench/feed-worker.ts'),
      desk.service,
      desk.domain,
      desk.caPath,
      desk.credentialsPath,
      rate,
      '8',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  worker.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => worker.once('exit', r));
  const feed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
    accepted: number;
    conflated: number;
    publishes: number;
    publishRttMs: number;
  };
  process.stdout.write(
    `${withSubscriber ? 'one subscriber' : 'no subscriber '}: publish round trip ${feed.publishRttMs.toFixed(1)} ms, ${feed.publishes} publishes, ${feed.conflated} of ${feed.accepted} ticks conflated\n`,
  );
  await subscriber?.stop();
  await sub?.stop();
}
await desk.dispose();
process.exit(0);
