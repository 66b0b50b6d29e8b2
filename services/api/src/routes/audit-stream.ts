import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AuditChain } from '@tickdesk/alerts';
import type { Role } from '../deps.js';
import { ApiError, errorResponses } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';

export interface AuditStreamOptions {
  /** How often the chain's head is read while anyone streams it. */
  pollMs?: number;
  /** SSE comment lines that keep proxies and clients from timing out. */
  heartbeatMs?: number;
}

/** A client that has not read this much is dropped; it reconnects with Last-Event-ID and misses nothing. */
const MAX_BUFFERED = 1 << 20;
/** Records read from the chain per round trip while a client catches up. */
const PAGE = 500;
const AUDITORS: Role[] = ['compliance', 'admin'];
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
};

interface Client {
  /** The last seq sent. */
  sent: number;
  busy: boolean;
  closed: boolean;
  send(chunk: string): boolean;
}

/** `id: <seq>`, so that a reconnecting EventSource sends it back as Last-Event-ID (WHATWG HTML §9.2). */
const frame = (r: { seq: number }) => `id: ${r.seq}\nevent: audit\ndata: ${JSON.stringify(r)}\n\n`;

/** One reader of the head for every stream; each stream reads the records past its own last seq. */
function createAuditHub(audit: AuditChain, opts: Required<AuditStreamOptions>, warn: (err: unknown) => void) {
  const clients = new Set<Client>();
  let poll: NodeJS.Timeout | undefined;
  let beat: NodeJS.Timeout | undefined;

  async function pump(c: Client, head: number): Promise<void> {
    if (c.busy) return;
    c.busy = true;
    try {
      while (!c.closed && c.sent < head) {
        const page = await audit.range({ afterSeq: c.sent, limit: PAGE });
        if (page.length === 0) break;
        for (const r of page) if (!c.send(frame(r))) return;
        c.sent = page[page.length - 1]!.seq;
      }
    } finally {
      c.busy = false;
    }
  }

  async function tick(): Promise<void> {
    const { seq } = await audit.head();
    await Promise.all([...clients].map((c) => pump(c, seq)));
  }

  return {
    add(c: Client): void {
      clients.add(c);
      if (clients.size > 1) return;
      const loop = () => {
        poll = setTimeout(() => {
          void tick()
            .catch(warn)
            .finally(() => clients.size > 0 && loop());
        }, opts.pollMs);
      };
      void tick().catch(warn);
      loop();
      beat = setInterval(() => {
        for (const o of clients) o.send(': heartbeat\n\n');
      }, opts.heartbeatMs);
    },
    remove(c: Client): void {
      c.closed = true;
      if (!clients.delete(c) || clients.size > 0) return;
      clearTimeout(poll);
      clearInterval(beat);
    },
  };
}

const AuditStreamQuery = Type.Object({
  /** Start after this seq (a first connection; a reconnection's Last-Event-ID wins). Absent: from the head, new records only. */
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
});

/**
 * The audit chain live, for compliance and admin, as Server-Sent Events: one `audit` event per
 * record in seq order, its `id` the seq, so a client that reconnects with Last-Event-ID (or
 * `?after=`) gets every record after it and misses nothing; heartbeat comments in between.
 */
export default async function auditStreamRoutes(
  fastify: FastifyInstance,
  options: AuditStreamOptions = {},
): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { audit, log } = app.deps;
  let warnedAt = 0;
  const hub = createAuditHub(audit, { pollMs: 250, heartbeatMs: 15_000, ...options }, (err) => {
    if (Date.now() - warnedAt > 10_000) log.warn({ err }, 'audit stream: reading the chain failed');
    warnedAt = Date.now();
  });
  const open = new Set<PassThrough>();
  /** Each user's open streams: each costs a socket and up to MAX_BUFFERED of unread frames. */
  const streamsOf = new Map<string, Set<PassThrough>>();
  const { auditStreamsPerUser, streamsMax } = app.config;
  app.addHook('preClose', (done) => {
    for (const s of open) s.end();
    done();
  });

  app.get(
    '/audit/stream',
    {
      onRequest: [app.authenticate, app.requireRole(...AUDITORS)],
      schema: {
        tags: ['audit'],
        security: BEARER,
        summary:
          'Every audit record as it is appended, as Server-Sent Events (event: audit, id: seq); resumes after Last-Event-ID',
        querystring: AuditStreamQuery,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })) }),
        response: {
          200: {
            description:
              '`event: audit` frames, `id` = seq, data = the record as GET /v1/audit gives it; `: heartbeat` comments',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (request, reply) => {
      const user = request.caller.user;
      const mine = streamsOf.get(user) ?? new Set<PassThrough>();
      if (mine.size >= auditStreamsPerUser)
        throw new ApiError(
          'TICKDESK_API_TOO_MANY_STREAMS',
          `${user} has ${auditStreamsPerUser} open audit streams, the most allowed: close one first`,
        );
      if (open.size >= streamsMax)
        throw new ApiError('TICKDESK_API_TOO_MANY_STREAMS', 'too many open audit streams on this API: try again later');
      const resume = request.headers['last-event-id'];
      const stream = new PassThrough();
      const client: Client = {
        sent: resume !== undefined ? Number(resume) : (request.query.after ?? (await audit.head()).seq),
        busy: false,
        closed: false,
        send(chunk) {
          if (stream.writableEnded) return false;
          if (stream.writableLength > MAX_BUFFERED) {
            stream.end();
            return false;
          }
          stream.write(chunk);
          return true;
        },
      };
      streamsOf.set(user, mine.add(stream));
      open.add(stream);
      const closed = () => {
        open.delete(stream);
        mine.delete(stream);
        if (mine.size === 0 && streamsOf.get(user) === mine) streamsOf.delete(user);
        hub.remove(client);
      };
      // Whichever closes first, the socket or the stream, frees the slot (hub.remove is idempotent).
      for (const emitter of [reply.raw, stream]) emitter.once('close', closed);
      stream.write('retry: 3000\n: connected\n\n');
      hub.add(client);
      return reply.headers(SSE_HEADERS).send(stream);
    },
  );
}
