import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { BEARER } from '../plugins/openapi.js';
import { errorResponses } from '../errors.js';
import { USERS_KEY } from '../roles.js';

/** Written by the alert engine's presence tracker (services/alerts/src/presence-tracker.ts): field = trader, value = JSON. */
const PRESENCE_KEY = 'td:presence';

const SHOWS = ['online', 'away', 'xa', 'dnd', 'offline'];
const Show = Type.Union([Type.Literal('online'), Type.Literal('away'), Type.Literal('xa'), Type.Literal('dnd'), Type.Literal('offline')]);

/** A trader's presence as the desk routes by it (docs/protocol.md §11.2), folded over their resources. */
export const TraderPresence = Type.Object({
  trader: Type.String(),
  show: Show,
  status: Type.Optional(Type.String()),
  /** When `show` last changed (UTC, ms); absent for a trader the engine has not seen yet. */
  since: Type.Optional(Type.String()),
});
export type TraderPresence = Static<typeof TraderPresence>;

const check = (v: unknown, trader: string): v is TraderPresence =>
  typeof v === 'object' && v !== null && (v as TraderPresence).trader === trader && SHOWS.includes((v as TraderPresence).show) &&
  typeof (v as TraderPresence).since === 'string';

/** Every trader's current presence and since when, for any signed-in role. */
export default async function presenceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['presence'], security: BEARER };
  const { redis, log } = app.deps;

  app.get('/presence', {
    onRequest: [app.authenticate],
    schema: {
      ...common, summary: 'Every trader\'s current presence and since when',
      response: { 200: Type.Object({ traders: Type.Array(TraderPresence) }), ...errorResponses(401) },
    },
  }, async () => {
    const [users, stored] = (await redis.multi().hgetall(USERS_KEY).hgetall(PRESENCE_KEY).exec())!.map(([err, v]) => {
      if (err) throw err;
      return v as Record<string, string>;
    }) as [Record<string, string>, Record<string, string>];
    const traders = Object.keys(users).filter((u) => users[u] === 'trader').sort();
    return {
      traders: traders.map((trader): TraderPresence => {
        const json = stored[trader];
        if (json === undefined) return { trader, show: 'offline' };
        try {
          const v: unknown = JSON.parse(json);
          if (check(v, trader)) return { trader, show: v.show, ...(v.status ? { status: v.status } : {}), since: v.since };
        } catch {
          // reported below
        }
        log.warn({ trader }, 'unreadable presence entry in Redis');
        return { trader, show: 'offline' };
      }),
    };
  });
}
