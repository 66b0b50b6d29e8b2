import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { isDecimalString, isSignedDecimalString } from '@tickdesk/schemas';
import { createLastPriceStore } from '@tickdesk/store';
import type { ApiDeps, Caller } from '../deps.js';
import type { Entitlements } from '../entitlements.js';
import { ApiError, badRequest, errorResponses } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';

export interface StreamOptions {
  /** How often the last prices are read while anyone streams them (there is no price channel in Redis). */
  pricePollMs?: number;
  /** How often the newest alerts of each streaming trader are read. */
  alertPollMs?: number;
  /** SSE comment lines that keep proxies and clients from timing out. */
  heartbeatMs?: number;
}

/** A client that has not read this much is too slow to keep: it is dropped (and reconnects with a fresh snapshot). */
const MAX_BUFFERED = 1 << 20;
/** Newest alerts watched per trader: a change to an older one is not streamed. */
const ALERT_WINDOW = 50;

interface Client {
  caller: Caller;
  symbols?: ReadonlySet<string>;
  /** An analyst's instruments, refreshed on every price poll (undefined: every instrument). */
  entitled?: ReadonlySet<string>;
  alerts: boolean;
  send(chunk: string): void;
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** One reader of Redis for all streams: prices once per poll, alerts once per trader per poll. */
function createHub({ redis, alerts, log }: ApiDeps, entitlements: Entitlements, opts: Required<StreamOptions>) {
  const clients = new Set<Client>();
  // The recorder's last prices (@tickdesk/store): compared as stored text, so an unchanged price is not sent again.
  const lastPrices = createLastPriceStore({ redis });
  const prices = new Map<string, { json: string; frame: string }>();
  /** Trader → alert id → "<state>|<steps>"; null until the first read, the baseline: only what changes after it is streamed. */
  const watched = new Map<string, Map<string, string> | null>();
  const timers = new Set<NodeJS.Timeout>();
  let generation = 0;
  let warnedAt = 0;
  const warn = (err: unknown, what: string) => {
    if (Date.now() - warnedAt > 10_000) log.warn({ err }, `stream: ${what} failed`);
    warnedAt = Date.now();
  };
  const wantsPrice = (c: Client, symbol: string) =>
    (!c.symbols || c.symbols.has(symbol)) && (!c.entitled || c.entitled.has(symbol));

  /** A grant or revocation reaches open streams: a newly entitled instrument starts with its last price. */
  async function refreshEntitlements(): Promise<void> {
    for (const c of clients) {
      if (!c.entitled) continue;
      const before = c.entitled;
      // Fail closed: when the server cannot be asked, an analyst's stream goes quiet.
      c.entitled = (await entitlements.allowed(c.caller).catch(() => new Set<string>())) ?? new Set<string>();
      for (const [symbol, p] of prices) if (!before.has(symbol) && wantsPrice(c, symbol)) c.send(p.frame);
    }
  }

  function priceFrame(symbol: string, json: string): string | undefined {
    try {
      const v = JSON.parse(json) as Record<string, unknown>;
      // Corrupt data is worse than no data: a price that is not a decimal string is not sent
      // (a sensor's value may be zero or negative: the recorder took it from a kind='sensor' item).
      if (!isSignedDecimalString(v.price) || !isDecimalString(v.size) || typeof v.seq !== 'number') return undefined;
      return event('price', {
        symbol,
        price: v.price,
        size: v.size,
        seq: v.seq,
        eventTime: v.eventTime,
        ingestTime: v.ingestTime,
      });
    } catch {
      return undefined;
    }
  }

  async function pollPrices(): Promise<void> {
    const gen = generation;
    await refreshEntitlements();
    const last = await lastPrices.encoded();
    if (gen !== generation) return; // stopped meanwhile: a restarted hub must send its snapshot
    for (const [symbol, json] of Object.entries(last)) {
      if (prices.get(symbol)?.json === json) continue;
      const frame = priceFrame(symbol, json);
      if (!frame) continue;
      prices.set(symbol, { json, frame });
      for (const c of clients) if (wantsPrice(c, symbol)) c.send(frame);
    }
  }

  async function pollAlerts(): Promise<void> {
    const gen = generation;
    for (const [trader, seen] of watched) {
      const { alerts: page } = await alerts.list({ trader, limit: ALERT_WINDOW });
      if (gen !== generation) return;
      const now = new Map(page.map((a) => [a.id, `${a.state}|${a.lifecycle.length}`]));
      if (!watched.has(trader)) continue; // their last stream closed meanwhile
      watched.set(trader, now);
      if (!seen) continue;
      for (const a of page.reverse()) {
        if (seen.get(a.id) === now.get(a.id)) continue;
        for (const c of clients) if (c.alerts && c.caller.user === trader) c.send(event('alert', a));
      }
    }
  }

  /** Run, wait, run again, while this generation of the hub lives (a poll never overlaps the previous one). */
  function loop(everyMs: number, run: () => Promise<void>, what: string): void {
    const gen = generation;
    const tick = async () => {
      await run().catch((err: unknown) => warn(err, what));
      if (gen !== generation) return;
      const t = setTimeout(() => {
        timers.delete(t);
        void tick();
      }, everyMs);
      timers.add(t);
    };
    void tick();
  }

  function start(): void {
    loop(opts.pricePollMs, pollPrices, 'reading last prices');
    loop(opts.alertPollMs, pollAlerts, 'reading alerts');
    const beat = setInterval(() => {
      for (const c of clients) c.send(': heartbeat\n\n');
    }, opts.heartbeatMs);
    timers.add(beat);
  }

  function stop(): void {
    generation += 1;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    prices.clear();
    watched.clear();
  }

  return {
    add(c: Client): void {
      if (c.alerts && c.caller.role === 'trader' && !watched.has(c.caller.user)) watched.set(c.caller.user, null);
      clients.add(c);
      if (clients.size === 1) start();
      else for (const [symbol, p] of prices) if (wantsPrice(c, symbol)) c.send(p.frame); // the snapshot; an idle hub sends it on its first poll
    },
    remove(c: Client): void {
      if (!clients.delete(c)) return;
      if (![...clients].some((o) => o.caller.user === c.caller.user && o.alerts)) watched.delete(c.caller.user);
      if (clients.size === 0) stop();
    },
  };
}

const StreamQuery = Type.Object({
  /** Comma-separated symbols; all instruments when absent. */
  symbols: Type.Optional(
    Type.String({ pattern: '^[A-Z0-9][A-Z0-9._-]{0,31}(,[A-Z0-9][A-Z0-9._-]{0,31})*$', maxLength: 4096 }),
  ),
  /** The caller's own alerts (traders); true unless set to false. */
  alerts: Type.Optional(Type.Boolean()),
});

/**
 * Server-Sent Events for HTTP-only consumers: `price` events (a snapshot, then every
 * change of the recorder's last price; an analyst's only for the instruments they are
 * entitled to, re-read on every poll) and, for a trader, `alert` events (a new alert of
 * theirs, or a new step in its lifecycle), with heartbeat comments.
 */
export default async function streamRoutes(fastify: FastifyInstance, options: StreamOptions = {}): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['stream'], security: BEARER };
  const { instruments } = app.deps;
  const known = new Set(instruments.map((i) => i.symbol));
  const hub = createHub(app.deps, app.entitlements, {
    pricePollMs: 250,
    alertPollMs: 1_000,
    heartbeatMs: 15_000,
    ...options,
  });
  const open = new Set<PassThrough>();
  /** Open streams per user: each costs a socket and up to MAX_BUFFERED of unread frames. */
  const perUser = new Map<string, number>();
  const { streamsPerUser, streamsMax } = app.config;
  // Streams never end by themselves: end them so that close() does not wait on them.
  app.addHook('preClose', (done) => {
    for (const s of open) s.end();
    done();
  });

  app.get(
    '/stream',
    {
      onRequest: [app.authenticate],
      schema: {
        ...common,
        summary: "Live prices and the caller's alerts as Server-Sent Events (event: price | alert)",
        querystring: StreamQuery,
        response: {
          200: {
            description:
              'Server-Sent Events: `event: price` and `event: alert` frames with JSON data, `: heartbeat` comments',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const wanted = request.query.symbols?.split(',');
      const unknown = wanted?.find((s) => !known.has(s));
      if (unknown !== undefined) throw badRequest(`symbols: unknown instrument ${unknown}`);
      const entitled = await app.entitlements.allowed(request.caller);
      const refused = entitled && wanted?.find((s) => !entitled.has(s));
      if (refused)
        throw new ApiError('TICKDESK_API_NOT_ENTITLED', `${request.caller.user} is not entitled to ${refused}`);
      const user = request.caller.user;
      if ((perUser.get(user) ?? 0) >= streamsPerUser)
        throw new ApiError(
          'TICKDESK_API_TOO_MANY_STREAMS',
          `${user} has ${streamsPerUser} open streams, the most allowed: close one first`,
        );
      if (open.size >= streamsMax)
        throw new ApiError('TICKDESK_API_TOO_MANY_STREAMS', 'too many open streams on this API: try again later');
      const stream = new PassThrough();
      const client: Client = {
        caller: request.caller,
        alerts: request.query.alerts ?? true,
        ...(wanted ? { symbols: new Set(wanted) } : {}),
        ...(entitled ? { entitled } : {}),
        send(chunk) {
          if (stream.writableLength > MAX_BUFFERED) stream.end();
          else if (!stream.writableEnded) stream.write(chunk);
        },
      };
      open.add(stream);
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
      const done = () => {
        if (!open.delete(stream)) return; // both 'close' events call it
        const n = (perUser.get(user) ?? 1) - 1;
        if (n > 0) perUser.set(user, n);
        else perUser.delete(user);
        hub.remove(client);
      };
      reply.raw.once('close', done);
      stream.once('close', done);
      stream.write('retry: 3000\n: connected\n\n');
      hub.add(client);
      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .send(stream);
    },
  );
}
