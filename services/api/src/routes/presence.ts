import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TraderPresence } from '@tickdesk/schemas';
import { TraderPresenceList } from '@tickdesk/schemas/rest';
import { createPresenceStore, createRoleStore } from '@tickdesk/store';
import { BEARER } from '../plugins/openapi.js';
import { errorResponses } from '../errors.js';

/** Every trader's current presence and since when, for any signed-in role. */
export default async function presenceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['presence'], security: BEARER };
  const { redis, log } = app.deps;
  // Written by the alert engine's presence tracker; roles by the account directory.
  const presence = createPresenceStore({ redis });
  const roles = createRoleStore({ redis });

  app.get(
    '/presence',
    {
      onRequest: [app.authenticate],
      schema: {
        ...common,
        summary: "Every trader's current presence and since when",
        response: { 200: TraderPresenceList, ...errorResponses(401) },
      },
    },
    async () => {
      // Two reads, not one MULTI: the keys are in different slots on Redis Cluster, and a
      // role changed between them only shows one request later.
      const [users, stored] = await Promise.all([roles.all(), presence.all()]);
      const traders = Object.keys(users)
        .filter((u) => users[u] === 'trader')
        .sort();
      return {
        traders: traders.map((trader): TraderPresence => {
          const entry = stored.get(trader);
          if (entry === undefined) return { trader, show: 'offline' };
          if (entry)
            return { trader, show: entry.show, ...(entry.status ? { status: entry.status } : {}), since: entry.since };
          log.warn({ trader }, 'unreadable presence entry in Redis');
          return { trader, show: 'offline' };
        }),
      };
    },
  );
}
