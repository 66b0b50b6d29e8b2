import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Account, Role } from '@tickdesk/accounts';
import {
  completeMqttCredentials,
  completeRedisCredentials,
  type MqttCredentials,
  type RedisCredentials,
} from '@tickdesk/infra';

export type { Account, Role };

/** The audit chain's HMAC-SHA256 key (never stored in Redis) and the first seq written with it. */
export interface AuditKeyCredentials {
  /** 32 random bytes, base64url. */
  key: string;
  /** Set at the first start that had the key: records from this seq on must be keyed. */
  keyedFrom?: number;
}

/** The REST API's own secret: its tokens' HMAC key, so a restarted API accepts the tokens it issued. */
export interface ApiCredentials {
  /** 32 random bytes, base64url (the API's TICKDESK_API_SECRET when that is not set). */
  tokenSecret: string;
}

export interface Credentials {
  domain: string;
  accounts: Record<string, Account>;
  /** Passwords of the desk's Redis users (infra/src/redis-auth.ts has their rights). */
  redis: RedisCredentials;
  audit: AuditKeyCredentials;
  api?: ApiCredentials;
  /** Passwords of the MQTT broker's own accounts, `mqtt-admin` (its devices) and `mqtt-feed` (the adapter); absent in a file from before the broker. */
  mqtt?: MqttCredentials;
}

/** Service accounts: `admin` administers the server, `feed` owns the instrument nodes, `alerts` is the desk account traders chat with. */
export const SERVICE_ACCOUNTS: ReadonlyArray<[string, Role]> = [
  ['admin', 'admin'],
  ['feed', 'service'],
  ['recorder', 'service'],
  ['alerts', 'service'],
];
export const DEMO_USERS: ReadonlyArray<[string, Role]> = [
  ['alice', 'trader'],
  ['bob', 'trader'],
  ['ana', 'analyst'],
  ['carol', 'compliance'],
];

export const newPassword = (): string => randomBytes(18).toString('base64url');

export const newAuditKey = (): string => randomBytes(32).toString('base64url');

/**
 * Load the credentials file, or make one with fresh passwords (mode 0600). A file from an
 * older desk gains what it lacks (service accounts, Redis and MQTT passwords, the audit key, the API's token key) and
 * keeps the rest.
 */
export function loadOrCreateCredentials(path: string, domain: string): { credentials: Credentials; created: boolean } {
  if (existsSync(path)) {
    const credentials = JSON.parse(readFileSync(path, 'utf8')) as Credentials;
    const missing = SERVICE_ACCOUNTS.filter(([user]) => !credentials.accounts[user]);
    for (const [user, role] of missing) credentials.accounts[user] = { user, role, password: newPassword() };
    const { redis, added } = completeRedisCredentials(credentials.redis);
    credentials.redis = redis;
    const keyAdded = !credentials.audit?.key;
    // keyedFrom stays unset: the desk sets it from the chain's head once Redis runs.
    if (keyAdded) credentials.audit = { key: newAuditKey() };
    const secretAdded = !credentials.api?.tokenSecret;
    if (secretAdded) credentials.api = { tokenSecret: newAuditKey() };
    const mqtt = completeMqttCredentials(credentials.mqtt);
    credentials.mqtt = mqtt.mqtt;
    if (missing.length > 0 || added || keyAdded || secretAdded || mqtt.added) saveCredentials(path, credentials);
    return { credentials, created: false };
  }
  const accounts: Record<string, Account> = {};
  for (const [user, role] of [...SERVICE_ACCOUNTS, ...DEMO_USERS])
    accounts[user] = { user, role, password: newPassword() };
  const credentials: Credentials = {
    domain,
    accounts,
    redis: completeRedisCredentials(undefined).redis,
    audit: { key: newAuditKey(), keyedFrom: 1 },
    api: { tokenSecret: newAuditKey() },
    mqtt: completeMqttCredentials(undefined).mqtt,
  };
  saveCredentials(path, credentials);
  return { credentials, created: true };
}

export function saveCredentials(path: string, credentials: Credentials): void {
  writeFileSync(path, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function account(credentials: Credentials, user: string): Account {
  const a = credentials.accounts[user];
  if (!a) throw new Error(`no account ${user} in the credentials file`);
  return a;
}
