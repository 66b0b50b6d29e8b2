import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { StoredPresence } from '@tickdesk/schemas';
import { TraderPresenceList, type DeskMemberPresence } from '@tickdesk/schemas/rest';
import { createPresenceStore, createRoleStore } from '@tickdesk/store';
import { BEARER } from '../plugins/openapi.js';
import { errorResponses } from '../errors.js';

/** A partner desk's trader's domain: the engine keys them by bare JID (`bob@deskb.localhost`), desk traders by username. */
const partnerDomain = (field: string): string | undefined => {
  const at = field.lastIndexOf('@');
  return at > 0 ? field.slice(at + 1) : undefined;
};

const byDomainThenJid = (a: DeskMemberPresence, b: DeskMemberPresence) =>
  (a.domain ?? '').localeCompare(b.domain ?? '') || a.trader.localeCompare(b.trader);

/**
 * Every trader's current presence and since when, for any signed-in role: the desk's traders,
 * then the partner desks' traders the alert engine follows (it writes them into the same
 * snapshot once a rule names them as recipient or backup), marked `remote` with their domain.
 */
export default async function presenceRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['presence'], security: BEARER };
  const { redis, log } = app.deps;
  // A domain taken off the peers list is no partner any more: its traders' last entries are not shown.
  const peers = new Set(app.deps.peers ?? []);
  // Written by the alert engine's presence tracker; roles by the account directory.
  const presence = createPresenceStore({ redis });
  const roles = createRoleStore({ redis });

  function member(trader: string, entry: StoredPresence | null | undefined): DeskMemberPresence {
    if (entry === undefined) return { trader, show: 'offline' };
    if (entry)
      return { trader, show: entry.show, ...(entry.status ? { status: entry.status } : {}), since: entry.since };
    log.warn({ trader }, 'unreadable presence entry in Redis');
    return { trader, show: 'offline' };
  }

  app.get(
    '/presence',
    {
      onRequest: [app.authenticate],
      schema: {
        ...common,
        summary: "Every trader's current presence and since when, a partner desk's followed traders marked remote",
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
      const remote: DeskMemberPresence[] = [];
      for (const [field, entry] of stored) {
        const domain = partnerDomain(field);
        if (domain !== undefined && peers.has(domain)) remote.push({ ...member(field, entry), remote: true, domain });
      }
      return { traders: [...traders.map((t) => member(t, stored.get(t))), ...remote.sort(byDomainThenJid)] };
    },
  );
}
