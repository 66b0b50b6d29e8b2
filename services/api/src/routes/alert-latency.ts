import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  alertHops,
  formatMillis,
  HOP_BUCKETS_MS,
  HOP_NAMES,
  hopStats,
  parseTimestamp,
  TIMESTAMP_PATTERN,
  type HopName,
} from '@tickdesk/schemas';
import { HopLatency } from '@tickdesk/schemas/rest';
import { ApiError, errorResponses } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';

const HOUR_MS = 3_600_000;
/** The alert store's largest page. */
const PAGE = 1_000;

const Query = Type.Object({
  from: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN, description: 'firedAt ≥ from (default: to − 1 h)' })),
  to: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN, description: 'firedAt < to (default: now)' })),
});

const invalidWindow = (message: string) => new ApiError('TICKDESK_API_INVALID_WINDOW', message);

function millis(text: string, name: string): number {
  const micros = parseTimestamp(text);
  if (micros === undefined) throw invalidWindow(`${name} is not a possible UTC time`);
  return Math.ceil(micros / 1000);
}

/**
 * GET /alerts/latency (docs/alerts-protocol.md "Hops"): each hop's distribution over the
 * newest alerts fired in a window. Both the window and the sample are bounded
 * (TICKDESK_API_LATENCY_WINDOW_MAX_H, TICKDESK_API_LATENCY_SAMPLE_MAX): every alert read
 * is one record fetched from Redis.
 */
export function alertLatencyRoute(fastify: FastifyInstance): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { latencyWindowMaxH, latencySampleMax } = app.config;
  app.get(
    '/alerts/latency',
    {
      onRequest: [app.authenticate, app.requireRole('compliance', 'admin')],
      schema: {
        tags: ['alerts'],
        security: BEARER,
        summary:
          'Tick to acknowledge per hop: p50, p90, p99, max, count and a histogram (ms) over the alerts fired in a window',
        querystring: Query,
        response: { 200: HopLatency, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const to = request.query.to !== undefined ? millis(request.query.to, 'to') : Date.now();
      const from = request.query.from !== undefined ? millis(request.query.from, 'from') : to - HOUR_MS;
      if (from >= to) throw invalidWindow('from must be before to');
      if (to - from > latencyWindowMaxH * HOUR_MS)
        throw invalidWindow(`the window must be at most ${latencyWindowMaxH} h (TICKDESK_API_LATENCY_WINDOW_MAX_H)`);
      const values = Object.fromEntries(HOP_NAMES.map((n) => [n, [] as number[]])) as Record<HopName, number[]>;
      let sampled = 0;
      let after: string | undefined;
      let more = false;
      do {
        const page = await app.deps.alerts.list({
          fromTime: formatMillis(from),
          toTime: formatMillis(to),
          limit: Math.min(PAGE, latencySampleMax - sampled),
          ...(after !== undefined ? { after } : {}),
        });
        for (const alert of page.alerts) {
          const hops = alertHops(alert);
          for (const n of HOP_NAMES) if (hops[n] !== undefined) values[n].push(hops[n]);
        }
        sampled += page.alerts.length;
        after = page.next;
        more = after !== undefined;
      } while (more && sampled < latencySampleMax);
      return {
        from: formatMillis(from),
        to: formatMillis(to),
        sampled,
        truncated: more,
        bucketsMs: [...HOP_BUCKETS_MS],
        hops: Object.fromEntries(HOP_NAMES.map((n) => [n, hopStats(values[n])])) as Record<
          HopName,
          ReturnType<typeof hopStats>
        >,
      };
    },
  );
}
