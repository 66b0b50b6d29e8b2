import type { Redis } from 'ioredis';
import { DEFAULT_INSTRUMENTS } from '@tickdesk/schemas';
import { createAlertStore, createAuditChain, createRuleStore } from '@tickdesk/alerts';
import { createXmppPasswordVerifier } from '@tickdesk/api';
import { desk, log } from './helpers.js';

type AuditKey = Parameters<typeof createAuditChain>[0]['key'];

/** The REST API's dependencies on the shared desk's Redis, every default instrument; `auditKey` keys the audit chain. */
export function deskApiDeps(redis: Redis, { auditKey }: { auditKey?: AuditKey } = {}) {
  return {
    redis,
    log,
    domain: desk().domain,
    instruments: DEFAULT_INSTRUMENTS,
    rules: createRuleStore({ redis }),
    alerts: createAlertStore({ redis }),
    audit: createAuditChain(auditKey ? { redis, key: auditKey } : { redis }),
  };
}

/** Passwords checked by the desk's XMPP server (STARTTLS + SCRAM), as the API checks them at login. */
export const deskPasswordVerifier = () =>
  createXmppPasswordVerifier({
    service: desk().service,
    domain: desk().domain,
    ca: desk().ca,
    log,
    timeoutMs: 10_000,
  });
