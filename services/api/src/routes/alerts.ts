import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { StoreError, type AlertListOptions } from '@tickdesk/alerts';
import { alertHops, AlertStateSchema, SYMBOL_PATTERN, TIMESTAMP_PATTERN, type AlertRecord } from '@tickdesk/schemas';
import { AlertPage, AlertView } from '@tickdesk/schemas/rest';
import type { Role } from '../deps.js';
import { badRequest, errorResponses, notFound } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';
import { alertLatencyRoute } from './alert-latency.js';

const DEFAULT_LIMIT = 50;
const ListQuery = Type.Object({
  trader: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  symbol: Type.Optional(Type.String({ pattern: SYMBOL_PATTERN })),
  state: Type.Optional(AlertStateSchema),
  /** firedAt ≥ from. */
  from: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN })),
  /** firedAt < to. */
  to: Type.Optional(Type.String({ pattern: TIMESTAMP_PATTERN })),
  /** The `next` of the previous page. */
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_LIMIT })),
});

const errors = errorResponses(400, 401, 403);
/** Analysts see market data, not anyone's alerts. */
const READ: Role[] = ['trader', 'compliance', 'admin'];
/** An alert with its hop durations (alert-hops.ts), as every alert route answers it. */
const view = (alert: AlertRecord): AlertView => ({ ...alert, hops: alertHops(alert) });

/** Alert history, newest first; a trader sees only the alerts of their own rules. */
export default async function alertsRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['alerts'], security: BEARER };
  const { alerts } = app.deps;

  app.get(
    '/alerts',
    {
      onRequest: [app.authenticate, app.requireRole(...READ)],
      schema: {
        ...common,
        summary: 'Alerts, newest first, filtered by trader, instrument, state and time; pass `next` back as `cursor`',
        querystring: ListQuery,
        response: { 200: AlertPage, ...errors },
      },
    },
    async (request) => {
      const { caller } = request;
      const q = request.query;
      if (caller.role === 'trader' && q.trader !== undefined && q.trader !== caller.user) return { alerts: [] };
      const opts: AlertListOptions = {
        limit: q.limit ?? DEFAULT_LIMIT,
        ...(caller.role === 'trader' ? { trader: caller.user } : q.trader !== undefined ? { trader: q.trader } : {}),
        ...(q.symbol !== undefined ? { symbol: q.symbol } : {}),
        ...(q.state !== undefined ? { state: q.state } : {}),
        ...(q.from !== undefined ? { fromTime: q.from } : {}),
        ...(q.to !== undefined ? { toTime: q.to } : {}),
        ...(q.cursor !== undefined ? { after: q.cursor } : {}),
      };
      try {
        const page = await alerts.list(opts);
        return { ...page, alerts: page.alerts.map(view) };
      } catch (err) {
        // A malformed cursor or an impossible date (the pattern lets 2026-02-31 through).
        if (err instanceof StoreError) throw badRequest(err.message);
        throw err;
      }
    },
  );

  app.get(
    '/alerts/:id',
    {
      onRequest: [app.authenticate, app.requireRole(...READ)],
      schema: {
        ...common,
        summary:
          'One alert with its whole lifecycle (fired, sent, server-acked, delivered, displayed, acknowledged, resent, escalated…) and times',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 200: AlertView, ...errors, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const alert = await alerts.get(id);
      // Someone else's alert looks the same as a missing one.
      if (!alert || (request.caller.role === 'trader' && alert.owner !== request.caller.user)) {
        throw notFound(`no alert ${id}`);
      }
      return view(alert);
    },
  );

  alertLatencyRoute(fastify);
}
