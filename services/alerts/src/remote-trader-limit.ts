import type { Redis } from 'ioredis';
import { createPresenceStore, DEFAULT_PREFIX } from '@tickdesk/store';
import { isRemoteTrader } from './desk-user.js';

/** What the rules service checks a rule naming partner traders against. */
export interface RemoteTraderLimit {
  max: number;
  /** The partner desks' traders followed now. */
  followed: () => Promise<ReadonlySet<string>>;
}

/**
 * The partner traders the alert engines follow, read where they show: the presence snapshot,
 * which holds an entry for each one followed and none for any other (remote-subscriptions.ts).
 * A domain taken off the peers file counts no more, as GET /v1/presence shows it no more.
 */
export function remoteTraderLimit({
  redis,
  peers,
  max,
  prefix = DEFAULT_PREFIX,
}: {
  redis: Redis;
  peers: ReadonlySet<string>;
  max: number;
  prefix?: string;
}): RemoteTraderLimit {
  const store = createPresenceStore({ redis, prefix });
  return {
    max,
    followed: async () =>
      new Set((await store.traders()).filter((t) => isRemoteTrader(t) && peers.has(t.slice(t.lastIndexOf('@') + 1)))),
  };
}

/**
 * The refusal of a rule naming a partner trader one too many to follow, by the field naming
 * them; undefined when the rule names none new or there is room.
 */
export async function overRemoteLimit(
  limit: RemoteTraderLimit,
  rule: { recipient?: string; backup?: string },
): Promise<{ field: 'recipient' | 'backup'; message: string } | undefined> {
  const named = (['recipient', 'backup'] as const).filter((f) => rule[f] !== undefined && isRemoteTrader(rule[f]));
  if (named.length === 0) return undefined;
  const followed = await limit.followed();
  let room = limit.max - followed.size;
  for (const field of named) {
    const trader = rule[field]!;
    if (followed.has(trader) || (field === 'backup' && trader === rule.recipient)) continue;
    if (room <= 0)
      return {
        field,
        message: `${trader} would be one partner desk trader too many: the desk follows at most ${limit.max} (TICKDESK_ALERTS_REMOTE_TRADERS_MAX); delete or change a rule naming another first`,
      };
    room -= 1;
  }
  return undefined;
}
