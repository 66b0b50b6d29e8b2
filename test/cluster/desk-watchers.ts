import { spawn } from 'node:child_process';
import pino from 'pino';
import { decodeAlert, decodeTickRows, NS_ALERT, ticksNode } from '@tickdesk/schemas';
import {
  createItemSubscriber,
  createXmppClient,
  presence,
  receiptFor,
  wantsReceipt,
  type Element,
  type XmppClient,
} from '@tickdesk/xmpp';
import { CLI, type ClusterDesk } from './cluster-desk.js';

const log = pino({ level: process.env.TICKDESK_TEST_LOG ?? 'silent' });

/** An XMPP session of one of the desk's accounts, starting on node `node` (from 0) and knowing every node. */
export async function connectTo(desk: ClusterDesk, user: string, node: number, resource: string): Promise<XmppClient> {
  const services = desk.c2sPorts.map((p) => `xmpp://127.0.0.1:${p}`);
  const client = createXmppClient({
    service: services[node]!,
    services,
    domain: 'desk.localhost',
    username: user,
    password: desk.credentials().accounts[user]!.password,
    ca: desk.ca(),
    log,
    resource,
  });
  // Initial presence on every new session: a reconnected one has none (RFC 6121 §4.2).
  client.on('online', () => void client.send(presence('available')).catch(() => undefined));
  await client.start();
  await client.send(presence('available'));
  return client;
}

/** A trader's client as a person's would behave: receipts for every alert, ids de-duplicated when shown. */
export async function traderOn(desk: ClusterDesk, user: string, node: number) {
  const client = await connectTo(desk, user, node, `cluster-${user}`);
  /** Each alert as it arrived, with the resource of the engine that sent it (`engine-<pid>` with several engines). */
  const received: Array<{ id: string; rule: string; seq: number; at: number; from: string }> = [];
  client.on('stanza', (st: Element) => {
    if (st.name !== 'message' || st.attrs.type !== 'chat') return;
    const el = st.getChild('alert', NS_ALERT);
    if (!el) return;
    const res = decodeAlert(el);
    if (!res.ok) return;
    const from = String(st.attrs.from ?? '');
    received.push({
      id: String(st.attrs.id),
      rule: res.value.rule,
      seq: res.value.seq,
      at: Date.now(),
      from: from.slice(from.indexOf('/') + 1),
    });
    if (wantsReceipt(st))
      void client.send(receiptFor(String(st.attrs.from), String(st.attrs.id))).catch(() => undefined);
  });
  return {
    user,
    client,
    received,
    ids: () => new Set(received.map((r) => r.id)),
    /** Alert ids received more than once (resends the protocol allows; a client shows them once). */
    duplicates: () => received.length - new Set(received.map((r) => r.id)).size,
    /** Firings (rule, tick) that came under two different ids: those a client would show twice. */
    shownTwice: () => {
      const byFiring = new Map<string, Set<string>>();
      for (const r of received) {
        const k = `${r.rule}|${r.seq}`;
        byFiring.set(k, (byFiring.get(k) ?? new Set()).add(r.id));
      }
      return [...byFiring.values()].filter((s) => s.size > 1).length;
    },
  };
}
export type ClusterTrader = Awaited<ReturnType<typeof traderOn>>;

/** Every tick item of the given instruments as an analyst's client receives them: seq, conflated count, the publisher's fencing token (lease), arrival. */
export async function tickWatcher(client: XmppClient, symbols: readonly string[]) {
  const items = new Map<
    string,
    Array<{ first: number; last: number; conflated: number; lease?: number; at: number }>
  >();
  const sub = createItemSubscriber({
    client,
    service: 'pubsub.desk.localhost',
    nodes: symbols.map(ticksNode),
    decode: decodeTickRows,
    log,
    onItem: (b) => {
      const list = items.get(b.symbol) ?? [];
      list.push({
        first: b.rows[0]!.seq,
        last: b.rows[b.rows.length - 1]!.seq,
        conflated: b.conflated,
        ...(b.lease !== undefined ? { lease: b.lease } : {}),
        at: Date.now(),
      });
      items.set(b.symbol, list);
    },
  });
  await sub.start();
  return {
    items,
    /** Per instrument: seq jumps between consecutive items (ticks not received), and items out of order or repeated. */
    gaps(from: number, to: number) {
      const out: Record<string, { missing: number; conflated: number; disorder: number; items: number }> = {};
      for (const [symbol, list] of items) {
        const window = list.filter((i) => i.at >= from && i.at <= to);
        const r = { missing: 0, conflated: 0, disorder: 0, items: window.length };
        for (let k = 1; k < window.length; k++) {
          const jump = window[k]!.first - window[k - 1]!.last - 1;
          if (jump < 0) r.disorder += 1;
          else r.missing += jump;
          r.conflated += window[k]!.conflated;
        }
        out[symbol] = r;
      }
      return out;
    },
    stop: () => sub.stop(),
  };
}

/** Calls `probe` every `everyMs` and keeps what it said with the time, until stopped. */
export function timeline<T>(probe: () => Promise<T>, everyMs: number) {
  const points: Array<{ at: number; value: T }> = [];
  let on = true;
  const done = (async () => {
    while (on) {
      const t = Date.now();
      try {
        points.push({ at: t, value: await probe() });
      } catch {
        // a probe that throws records nothing
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t))));
    }
  })();
  return {
    points,
    async stop() {
      on = false;
      await done;
    },
    /** The first time after `from` that `pred` held. */
    firstAfter(from: number, pred: (v: T) => boolean): number | undefined {
      return points.find((p) => p.at >= from && pred(p.value))?.at;
    },
  };
}

/** A service's own state from its loopback metrics port (GET /state), 'unreachable' when it does not answer. */
export async function serviceState(port: number): Promise<string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/state`, { signal: AbortSignal.timeout(500) });
    return ((await res.json()) as { state: string }).state;
  } catch {
    return 'unreachable';
  }
}

export async function health(
  desk: ClusterDesk,
): Promise<{ status: string; components: Record<string, { state: string; detail?: string }> }> {
  const res = await fetch(`${desk.apiUrl}/health`, { signal: AbortSignal.timeout(2_000) });
  return (await res.json()) as never;
}

/** `tickdesk status` of the desk, as an operator runs it. */
export function status(desk: ClusterDesk): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'status'], {
      env: {
        ...process.env,
        TICKDESK_HOME: desk.home,
        TICKDESK_REDIS_PORT: String(desk.ports.redis),
        TICKDESK_XMPP_SERVER: 'ejabberd',
        TICKDESK_XMPP_NODES: String(desk.c2sPorts.length),
        TICKDESK_XMPP_PORT: String(desk.ports.xmpp),
        TICKDESK_XMPP_TLS_PORT: String(desk.ports.xmppTls),
        TICKDESK_XMPP_HTTP_PORT: String(desk.ports.xmppHttp),
        TICKDESK_XMPP_DIST_PORT: String(desk.ports.xmppDist),
        TICKDESK_API_PORT: String(desk.ports.api),
      },
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** The environment a test gives a desk's command: none of the caller's TICKDESK_* or VITEST* variables. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  return env;
}

/** `tickdesk <args>` from the build on the desk in `home`, as an operator runs it: exit code and stdout + stderr. */
export function runTickdesk(
  home: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...cleanEnv(), TICKDESK_HOME: home, ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** REST calls to the desk's API as one of its accounts (a token from POST /v1/auth/token). */
export async function restAs(desk: ClusterDesk, user: string) {
  const password = desk.credentials().accounts[user]!.password;
  const res = await fetch(`${desk.apiUrl}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jid: `${user}@desk.localhost`, password }),
  });
  const { token } = (await res.json()) as { token: string };
  return (method: string, path: string, body?: unknown) =>
    fetch(`${desk.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
}
