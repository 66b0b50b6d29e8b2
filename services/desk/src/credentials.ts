import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Account, Role } from '@tickdesk/accounts';

export type { Account, Role };

export interface Credentials {
  domain: string;
  accounts: Record<string, Account>;
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

/** Load the credentials file, or make one with fresh passwords (mode 0600). */
export function loadOrCreateCredentials(path: string, domain: string): { credentials: Credentials; created: boolean } {
  if (existsSync(path)) {
    const credentials = JSON.parse(readFileSync(path, 'utf8')) as Credentials;
    // A desk made by an older version lacks newer service accounts: add them, keep the rest.
    const missing = SERVICE_ACCOUNTS.filter(([user]) => !credentials.accounts[user]);
    for (const [user, role] of missing) credentials.accounts[user] = { user, role, password: newPassword() };
    if (missing.length > 0) saveCredentials(path, credentials);
    return { credentials, created: false };
  }
  const accounts: Record<string, Account> = {};
  for (const [user, role] of [...SERVICE_ACCOUNTS, ...DEMO_USERS]) accounts[user] = { user, role, password: newPassword() };
  const credentials = { domain, accounts };
  saveCredentials(path, credentials);
  return { credentials, created: true };
}

export function saveCredentials(path: string, credentials: Credentials): void {
  writeFileSync(path, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
}

export function account(credentials: Credentials, user: string): Account {
  const a = credentials.accounts[user];
  if (!a) throw new Error(`no account ${user} in the credentials file`);
  return a;
}
