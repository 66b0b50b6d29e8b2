import { Redis } from 'ioredis';
import { deskInstruments } from '@tickdesk/schemas';
import { createLastPriceStore } from '@tickdesk/store';
import type { DeskConfig } from './config.js';
import { deskRedisOptions, deskTarget } from './connect.js';
import { portListening, statusLines } from './desk-status.js';
import { askSentinels, redisPrimaryLine } from './redis-status.js';
import { isAlive, readDeskState } from './state-file.js';
import { deskTopology } from './topology.js';

/** How long `status` waits for Redis's last prices. */
const STATUS_REDIS_TIMEOUT_MS = 3_000;

/** A part's own report's detail (an alert engine's instruments), from GET /state on its loopback metrics port. */
async function partReport(port: number): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/state`, { signal: AbortSignal.timeout(1_000) });
  const body = (await res.json()) as { detail?: unknown };
  return typeof body.detail === 'string' ? body.detail.slice(0, 300) : undefined;
}

/** `tickdesk status`: exit 0 while a desk runs (degraded or not), 3 when none does. */
export async function status(config: DeskConfig, out: (line: string) => void): Promise<number> {
  const s = readDeskState(config.TICKDESK_HOME);
  if (!s || !isAlive(s.pid)) {
    out('desk: stopped');
    return 3;
  }
  const { lines } = await statusLines(s, {
    alive: isAlive,
    listening: (port) => portListening(port),
    report: partReport,
  });
  for (const line of lines) out(line);
  // The topology and credentials files of an older desk may lack what is read below: the prices are then unknown, the parts above still shown.
  let redis: Redis | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const topology = deskTopology(config);
    const { credentials } = deskTarget(topology);
    // Redis logins came with 3bde86a: a desk started before has none in its file.
    if (!credentials.redis)
      throw new Error(`${topology.paths.credentials} has no Redis logins (written by an older desk)`);
    const sentinelPassword = credentials.redis.sentinelPassword;
    if (topology.redis.mode === 'sentinel' && sentinelPassword) {
      out(
        redisPrimaryLine(
          await askSentinels(topology.redis.sentinels, sentinelPassword, topology.redis.masterName),
          s.ports.redis ?? config.TICKDESK_REDIS_PORT,
        ),
      );
    }
    redis = new Redis({
      ...deskRedisOptions(topology, credentials, 'desk'),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => undefined);
    const client = redis;
    // A Redis that hangs (a stopped primary before its fail-over) must not hang the status.
    const timeout = new Promise<never>(
      (_, reject) =>
        (timer = setTimeout(
          () => reject(new Error(`Redis did not answer in ${STATUS_REDIS_TIMEOUT_MS / 1000} s`)),
          STATUS_REDIS_TIMEOUT_MS,
        )),
    );
    const last = await Promise.race([
      client.connect().then(() => createLastPriceStore({ redis: client }).all()),
      timeout,
    ]);
    const bySymbol = new Map(last.map((p) => [p.symbol, p]));
    for (const i of deskInstruments(topology)) {
      const l = bySymbol.get(i.symbol);
      const unit = i.kind === 'sensor' && i.unit ? ` ${i.unit}` : '';
      out(`  ${i.symbol.padEnd(9)} ${l ? `${l.price}${unit} at ${l.eventTime}` : 'no ticks yet'}`);
    }
  } catch (err) {
    out(`  last prices: unknown (${(err as Error).message})`);
  } finally {
    clearTimeout(timer);
    redis?.disconnect();
  }
  return 0;
}
