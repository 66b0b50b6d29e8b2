// Subscribers for the fan-out benchmark: one process holds several accounts, each
// subscribed (bare JID) to every ticks/ node, so the subscriber side stays cheap on a
// small machine. Driven over IPC by test/bench/fanout.ts:
//   parent → { cmd: 'reset' | 'measure' | 'stop' | 'report' | 'quit' }
//   child  → { ready: true } | { report: SubscriberReport }
// Latency is ingest (feed) → decoded here, kept in 0.1 ms buckets so reports stay small.
// Args: services (every XMPP node, comma-separated) domain ca-path credentials-path
// accounts (`user:node-index`, comma-separated: each account logs in on its node).
// TICKDESK_FANOUT_SM=off: the sessions leave XEP-0198 stream management off.
// Each tick's seq and ingest time are read from its row, not with the strict decoder
// (decodeTickRows: about 1.2 µs a row, half a core at 400,000 rows/s on this machine,
// which would take the server's CPU on 2 cores); the item's count is checked against its rows.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { account, type Credentials } from '@tickdesk/desk';
import { createItemSubscriber, createPubsub, createXmppClient, type XmppClient } from '@tickdesk/xmpp';
import { nowMicros, parseTimestamp, ticksNode, DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import type { Element } from '@tickdesk/xmpp';

export interface SubscriberReport {
  /** Ticks decoded while measuring, over all accounts of this process. */
  measured: number;
  /** Ticks decoded since the last reset, over all accounts. */
  total: number;
  /** Notifications (tick items) received since the last reset, over all accounts. */
  items: number;
  /** Ticks missing by seq (holes between consecutive ticks of one instrument) since the last reset. */
  missing: number;
  /** Ticks the feed said it conflated away (an item's `conflated`), since the last reset. */
  conflated: number;
  /** Latency histogram: [bucket (0.1 ms), count] for non-empty buckets. */
  histogram: Array<[number, number]>;
}

const BUCKET_US = 100;
const MAX_BUCKET = 200_000; // 20 s: anything later lands in the last bucket
const [servicesText, domain, caPath, credsPath, usersText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const log = pino({ level: 'warn' });
const credentials = JSON.parse(readFileSync(credsPath, 'utf8')) as Credentials;
const ca = readFileSync(caPath, 'utf8');
const services = servicesText.split(',');
const streamManagement = process.env.TICKDESK_FANOUT_SM !== 'off';
const nodes = DEFAULT_INSTRUMENTS.map((i) => ticksNode(i.symbol));
const hist = new Uint32Array(MAX_BUCKET + 1);
let measuring = false;
let measured = 0;
let total = 0;
let items = 0;
let missing = 0;
let conflated = 0;
/** Last seq seen, per account and instrument. */
let lastSeq = new Map<string, number>();

/** Rows are `seq-offset price size side event-offset ingest-offset`, offsets from the item's seq and time. */
function leanDecode(el: Element) {
  const { symbol, count, seq, time, conflated: c } = el.attrs as Record<string, string | undefined>;
  const base = time === undefined ? undefined : parseTimestamp(time);
  if (el.name !== 'ticks' || !symbol || base === undefined) return { ok: false as const, reason: 'not a ticks item' };
  const rows = el.children.join('').split(';');
  if (rows.length !== Number(count)) return { ok: false as const, reason: `count ${count}, rows ${rows.length}` };
  const seqs = new Array<number>(rows.length);
  const ingests = new Array<number>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    seqs[i] = Number(seq) + Number(row.slice(0, row.indexOf(' ')));
    ingests[i] = base + Number(row.slice(row.lastIndexOf(' ') + 1));
  }
  return { ok: true as const, value: { symbol, seqs, ingests, conflated: Number(c ?? 0) } };
}

const clients: XmppClient[] = [];
async function subscribe(spec: string) {
  const [user, node] = spec.split(':') as [string, string];
  const client = createXmppClient({
    service: services[Number(node)]!,
    services,
    domain,
    ca,
    log,
    streamManagement,
    username: user,
    password: account(credentials, user).password,
    resource: `fanout-${process.pid}`,
  });
  await client.start();
  const sub = createItemSubscriber({
    client,
    service: `pubsub.${domain}`,
    nodes,
    decode: leanDecode,
    onItem: ({ symbol, seqs, ingests, conflated: c }) => {
      const now = nowMicros();
      total += seqs.length;
      items += 1;
      conflated += c;
      const key = `${user}/${symbol}`;
      const last = lastSeq.get(key);
      if (last !== undefined && seqs[0]! > last + 1) missing += seqs[0]! - last - 1;
      lastSeq.set(key, seqs[seqs.length - 1]!);
      if (!measuring) return;
      measured += seqs.length;
      for (const t of ingests) hist[Math.min(MAX_BUCKET, Math.max(0, Math.floor((now - t) / BUCKET_US)))]! += 1;
    },
    log,
  });
  await sub.start();
  clients.push(client);
}
const users = usersText.split(',');
// A few logins at a time: each costs the server a SCRAM key derivation.
for (let i = 0; i < users.length; i += 8) await Promise.all(users.slice(i, i + 8).map(subscribe));
process.send!({ ready: true });

process.on('message', (msg: { cmd: string }) => {
  if (msg.cmd === 'reset') {
    measured = total = items = missing = conflated = 0;
    lastSeq = new Map();
    hist.fill(0);
  } else if (msg.cmd === 'measure') {
    measuring = true;
  } else if (msg.cmd === 'stop') {
    measuring = false;
  } else if (msg.cmd === 'report') {
    const histogram: Array<[number, number]> = [];
    hist.forEach((n, b) => n > 0 && histogram.push([b, n]));
    const report: SubscriberReport = { measured, total, items, missing, conflated, histogram };
    process.send!({ report });
  } else if (msg.cmd === 'quit') {
    void quit();
  }
});
// Never outlive the benchmark.
process.on('disconnect', () => process.exit(0));

async function quit() {
  // Subscriptions belong to the bare JID and outlive the session: leave them, so the
  // next case's server does not route notifications to accounts nobody reads.
  await Promise.allSettled(
    clients.map(async (c) => {
      const pubsub = createPubsub(c, `pubsub.${domain}`);
      for (const node of nodes) await pubsub.unsubscribe(node);
      await c.stop();
    }),
  );
  process.exit(0);
}
