import type { Logger } from 'pino';
import type { Redis } from 'ioredis';
import { createRoleStore } from '@tickdesk/store';
import { bareJid, publisherNodeConfig, XmppError, type NodeConfig, type Pubsub } from '@tickdesk/xmpp';
import { AUDIT_NODE } from './audit-payload.js';

/** The roles that read the chain (the REST audit routes' AUDITORS): compliance, and admin. */
const READER_ROLES: ReadonlySet<string> = new Set(['compliance', 'admin']);

/**
 * The audit node's configuration: the instrument nodes' (publisherNodeConfig), so only
 * members (the readers) and owners subscribe or retrieve items and only the owner, the
 * engine's account that created it, publishes.
 */
const auditNodeConfig = (maxItems: number): NodeConfig => publisherNodeConfig('audit chain records', maxItems);

/**
 * Provisioning (`tickdesk up`): create the node as `creator` (the admin account: the XMPP
 * server lets only the desk's creators make nodes) and make `owners` (the engine's account)
 * owners too (§8.9), so that the engine publishes and keeps the members. An existing node
 * (`conflict`, §8.1.3) is left as it is; its owners are set again.
 */
export async function provisionAuditNode(pubsub: Pubsub, owners: readonly string[], maxItems = 1_000): Promise<void> {
  try {
    await pubsub.create(AUDIT_NODE, auditNodeConfig(maxItems));
  } catch (err) {
    if (!(err instanceof XmppError && err.condition === 'conflict')) throw err;
  }
  await pubsub.setAffiliations(
    AUDIT_NODE,
    owners.map((jid) => ({ jid, affiliation: 'owner' as const })),
  );
}

/** The engine at start, as an owner: the node's configuration brought in line (its size is the engine's setting). */
export async function configureAuditNode(pubsub: Pubsub, maxItems: number): Promise<void> {
  try {
    await pubsub.configure(AUDIT_NODE, auditNodeConfig(maxItems));
  } catch (err) {
    if (err instanceof XmppError && (err.condition === 'item-not-found' || err.condition === 'forbidden'))
      throw new Error(
        `the audit node is not provisioned with this account as an owner (${err.condition}): run \`tickdesk up\` once to provision it`,
        { cause: err },
      );
    throw err;
  }
}

/**
 * Keeps the node's members equal to the desk's compliance and admin accounts (roles in
 * Redis), and follows role changes: an account that stops being one loses its affiliation
 * and its subscriptions (XEP-0060 §8.8.2 first: Prosody keeps delivering to a subscriber
 * whose affiliation alone is removed). Owners (the engine's account) are left alone.
 */
export function createAuditReaders({
  pubsub,
  redis,
  prefix,
  domain,
  log,
}: {
  pubsub: Pubsub;
  redis: Redis;
  prefix: string;
  domain: string;
  log: Logger;
}) {
  const roles = createRoleStore({ redis, prefix });
  let unsubscribe: (() => Promise<void>) | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  async function sync(): Promise<void> {
    const all = await roles.all();
    const wanted = new Set(
      Object.entries(all)
        .filter(([, role]) => READER_ROLES.has(role))
        .map(([user]) => `${user}@${domain}`),
    );
    const current = await pubsub.affiliations(AUDIT_NODE);
    const members = new Set(current.filter((a) => a.affiliation === 'member').map((a) => bareJid(a.jid)));
    const owners = new Set(current.filter((a) => a.affiliation === 'owner').map((a) => bareJid(a.jid)));
    const gone = [...members].filter((j) => !wanted.has(j));
    if (gone.length > 0) {
      const subs = (await pubsub.subscriptions(AUDIT_NODE)).filter((s) => gone.includes(bareJid(s.jid)));
      if (subs.length > 0)
        await pubsub.setSubscriptions(
          AUDIT_NODE,
          subs.map((s) => ({ jid: s.jid, subscription: 'none' as const })),
        );
    }
    const changes = [
      ...gone.map((jid) => ({ jid, affiliation: 'none' as const })),
      ...[...wanted]
        .filter((j) => !members.has(j) && !owners.has(j))
        .map((jid) => ({ jid, affiliation: 'member' as const })),
    ];
    if (changes.length > 0) {
      await pubsub.setAffiliations(AUDIT_NODE, changes);
      log.info({ changes }, 'audit node readers updated');
    }
  }

  /** One sync at a time; a change heard meanwhile syncs again once it is done. */
  function refresh(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await sync();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }
  const heard = () => void refresh().catch((err: Error) => log.warn({ err }, 'audit node readers not updated'));

  return {
    async start(): Promise<void> {
      unsubscribe = await roles.subscribe(heard, heard);
      await refresh();
    },
    refresh,
    async stop(): Promise<void> {
      await unsubscribe?.();
      unsubscribe = undefined;
      await running?.catch(() => undefined);
    },
  };
}
