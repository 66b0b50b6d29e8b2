import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export type Role = 'trader' | 'analyst' | 'compliance' | 'admin' | 'service';
export interface Account {
  user: string;
  password: string;
  role: Role;
}
export interface Credentials {
  domain: string;
  accounts: Record<string, Account>;
}

/** Service accounts: `admin` administers the server, `feed` owns the instrument nodes. */
export const SERVICE_ACCOUNTS: ReadonlyArray<[string, Role]> = [
  ['admin', 'admin'],
  ['feed', 'service'],
  ['recorder', 'service'],
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
