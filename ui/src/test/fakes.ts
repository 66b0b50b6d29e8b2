import { xml, type Element } from '@tickdesk/xmpp/browser';
import type { FrameScheduler } from '../lib/frame-batcher.js';
import { localpart } from '../lib/jid.js';
import type { Timers } from '../lib/stores/connection.js';
import { createDesk, type DeskDeps } from '../lib/stores/desk.js';
import type {
  CloseReason,
  OpenSession,
  OpenSessionOptions,
  SessionSecret,
  XmppSession,
} from '../lib/xmpp/xmpp-session.js';

/** A session that records what the page sends and lets a test deliver stanzas or drop the stream. */
class FakeSession implements XmppSession {
  sent: Element[] = [];
  requests: Element[] = [];
  closed = false;
  private stanzaHandlers: Array<(s: Element) => void> = [];
  private closeHandlers: Array<(r: CloseReason) => void> = [];
  constructor(
    readonly jid: string,
    readonly secret: SessionSecret,
    private readonly reply: (iq: Element) => Element = (iq) =>
      xml('iq', { type: 'result', id: String(iq.attrs.id ?? '') }),
  ) {}
  async send(stanza: Element): Promise<void> {
    if (this.closed) throw new Error('closed');
    this.sent.push(stanza);
  }
  async request(iq: Element): Promise<Element> {
    if (this.closed) throw new Error('closed');
    this.requests.push(iq);
    return this.reply(iq);
  }
  onStanza(h: (s: Element) => void): void {
    this.stanzaHandlers.push(h);
  }
  onClose(h: (r: CloseReason) => void): void {
    this.closeHandlers.push(h);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  receive(stanza: Element): void {
    this.stanzaHandlers.forEach((h) => h(stanza));
  }
  drop(reason: CloseReason = { message: 'network down' }): void {
    this.closed = true;
    this.closeHandlers.forEach((h) => h(reason));
  }
  /** Sent message stanzas with a child of this namespace. */
  messages(ns: string): Element[] {
    return this.sent.filter(
      (s) => s.name === 'message' && s.children.some((c) => typeof c !== 'string' && c.attrs.xmlns === ns),
    );
  }
}

/** An OpenSession whose outcomes a test scripts: each call takes the next outcome (default: a new session). */
export function fakeOpen(domain = 'desk.localhost') {
  const calls: OpenSessionOptions[] = [];
  const sessions: FakeSession[] = [];
  const outcomes: Array<Error | undefined> = [];
  const open: OpenSession = async (opts) => {
    calls.push(opts);
    const outcome = outcomes.shift();
    if (outcome) throw outcome;
    const s = new FakeSession(`${opts.jid}/${opts.resource}`, { scram: { derivedFrom: opts.jid } });
    sessions.push(s);
    return s;
  };
  return { open, calls, sessions, outcomes, last: () => sessions[sessions.length - 1]!, domain };
}

/** Animation frames that run only when the test says so. */
export function fakeFrames() {
  let queue: Array<() => void> = [];
  let requested = 0;
  const frames: FrameScheduler = {
    request(cb) {
      requested += 1;
      queue.push(cb);
      return queue.length;
    },
    cancel() {
      queue = [];
    },
  };
  return {
    frames,
    get requested() {
      return requested;
    },
    flush() {
      const q = queue;
      queue = [];
      q.forEach((cb) => cb());
    },
  };
}

/** Timers a test advances by hand; `delays` records every scheduled delay. */
export function fakeTimers() {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 1;
  const timers: Timers = {
    set(fn, ms) {
      delays.push(ms);
      pending.set(next, fn);
      return next++;
    },
    clear(h) {
      pending.delete(h as number);
    },
  };
  return {
    timers,
    delays,
    get pending() {
      return pending.size;
    },
    async fire() {
      const all = [...pending.values()];
      pending.clear();
      all.forEach((fn) => fn());
      await settle();
    },
  };
}

export const settle = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
};

type Handler = (req: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}) => Response | Promise<Response>;
export const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** A fetch answering `METHOD /path` routes; unknown routes are 404 in the API's shape. */
function fakeFetch(routes: Record<string, Handler> = {}) {
  const calls: Array<{ method: string; path: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch = async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://desk.test');
    const method = init.method ?? 'GET';
    const headers = (init.headers ?? {}) as Record<string, string>;
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const path = url.pathname.replace(/^\/v1/, '');
    calls.push({ method, path, headers, body });
    const handler = routes[`${method} ${path}`];
    if (!handler) return json(404, { code: 'TICKDESK_API_NOT_FOUND', message: `no route ${method} ${path}` });
    return handler({ method, path, query: url.searchParams, body, headers });
  };
  return { fetch, calls, routes };
}

/** The REST answers a trader's fresh page needs. */
export function deskRoutes(role = 'trader'): Record<string, Handler> {
  return {
    'POST /auth/token': ({ body }) => {
      const b = body as { jid: string; password: string };
      return b.password === 'secret'
        ? json(200, { token: 'tok-1', expiresAt: '2030-01-01T00:00:00.000Z', user: localpart(b.jid), role })
        : json(401, { code: 'TICKDESK_API_BAD_CREDENTIALS', message: 'wrong JID or password' });
    },
    'GET /instruments': () =>
      json(200, {
        instruments: [
          {
            symbol: 'BTCUSDT',
            name: 'Bitcoin',
            assetClass: 'crypto',
            base: 'BTC',
            quote: 'USDT',
            tickSize: '0.01',
            lotSize: '0.001',
            referencePrice: '65000',
          },
          {
            symbol: 'EURUSD',
            name: 'Euro',
            assetClass: 'fx',
            base: 'EUR',
            quote: 'USD',
            tickSize: '0.00001',
            lotSize: '1000',
            referencePrice: '1.08',
          },
        ],
      }),
    'GET /prices': () => json(200, { prices: [] }),
    'GET /instruments/BTCUSDT/candles': () => json(200, { symbol: 'BTCUSDT', interval: '1m', candles: [] }),
    'GET /instruments/EURUSD/candles': () => json(200, { symbol: 'EURUSD', interval: '1m', candles: [] }),
    'GET /alerts': () => json(200, { alerts: [] }),
    'GET /rules': () => json(200, { rules: [] }),
    'GET /presence': () => json(200, { traders: [] }),
  };
}

/** A whole desk on fakes. */
export function fakeDesk(overrides: Partial<DeskDeps> & { routes?: Record<string, Handler> } = {}) {
  const xmpp = fakeOpen();
  const frames = fakeFrames();
  const timers = fakeTimers();
  const http = fakeFetch({ ...deskRoutes(), ...overrides.routes });
  let visible = true;
  const visibilityHandlers: Array<() => void> = [];
  const saved: Array<{ blob: Blob; filename: string }> = [];
  let resource = 'tab1';
  const desk = createDesk({
    fetch: http.fetch,
    openSession: xmpp.open,
    service: 'ws://desk.test/xmpp-websocket',
    resource: { current: () => resource, renew: () => (resource = `${resource}x`) },
    frames: frames.frames,
    visibility: { visible: () => visible, onChange: (h) => void visibilityHandlers.push(h) },
    notifier: {},
    save: (blob, filename) => void saved.push({ blob, filename }),
    timers: timers.timers,
    random: () => 0.5,
    now: () => Date.parse('2026-11-21T10:00:00Z'),
    ...overrides,
  });
  return {
    desk,
    xmpp,
    frames,
    timers,
    http,
    saved,
    setVisible(v: boolean) {
      visible = v;
      visibilityHandlers.forEach((h) => h());
    },
    async login(jid = 'alice@desk.localhost', password = 'secret') {
      const ok = await desk.session.login(jid, password);
      await settle();
      return ok;
    },
  };
}

/**
 * Pick an option the way a user does. happy-dom does not match `:checked` on options,
 * which Svelte's select binding queries, so that query is answered here.
 */
export function choose(select: HTMLElement, value: string): void {
  const el = select as HTMLSelectElement;
  const options = [...el.options];
  const option = options.find((o) => o.value === value);
  if (!option) throw new Error(`no option ${value}`);
  options.forEach((o) => (o.selected = o === option));
  const query = el.querySelector.bind(el);
  el.querySelector = (sel: string) => (sel === ':checked' ? (options.find((o) => o.selected) ?? null) : query(sel));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}
