import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MQTT_ACCOUNTS, REDIS_REPLICATION_USERS, REDIS_SERVICE_USERS } from '@tickdesk/infra';
import { loadOrCreateCredentials, type Credentials } from './credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'tickdesk-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('credentials file', () => {
  it('a new desk gets Redis passwords for every service user and an audit key keyed from seq 1, mode 0600', () => {
    const path = join(dir, 'new.json');
    const { credentials, created } = loadOrCreateCredentials(path, 'desk.localhost');
    expect(created).toBe(true);
    expect(Object.keys(credentials.redis.users).sort()).toEqual(
      [...REDIS_SERVICE_USERS, ...REDIS_REPLICATION_USERS].sort(),
    );
    expect(credentials.redis.sentinelPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(credentials.audit.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.audit.keyedFrom).toBe(1);
    // The API's token key: tokens survive a restart of the API by `tickdesk up`.
    expect(credentials.api?.tokenSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // The MQTT broker's own accounts: the admin of its devices and the feed adapter.
    expect(Object.keys(credentials.mqtt?.users ?? {}).sort()).toEqual([...MQTT_ACCOUNTS].sort());
    for (const p of Object.values(credentials.mqtt?.users ?? {})) expect(p).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateCredentials(path, 'desk.localhost').credentials).toEqual(credentials);
  });

  it('a file from an older desk gains what it lacks and keeps the rest; keyedFrom is left for the desk to set', () => {
    const path = join(dir, 'old.json');
    const accounts = {
      admin: { user: 'admin', role: 'admin', password: 'a1' },
      feed: { user: 'feed', role: 'service', password: 'f1' },
      recorder: { user: 'recorder', role: 'service', password: 'r1' },
      alerts: { user: 'alerts', role: 'service', password: 'x1' },
      alice: { user: 'alice', role: 'trader', password: 'al' },
    };
    writeFileSync(path, JSON.stringify({ domain: 'desk.localhost', accounts }), { mode: 0o644 });
    const { credentials, created } = loadOrCreateCredentials(path, 'desk.localhost');
    expect(created).toBe(false);
    expect(credentials.accounts).toEqual(accounts);
    expect(Object.keys(credentials.redis.users).sort()).toEqual(
      [...REDIS_SERVICE_USERS, ...REDIS_REPLICATION_USERS].sort(),
    );
    expect(credentials.audit.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.audit.keyedFrom).toBeUndefined();
    const saved = JSON.parse(readFileSync(path, 'utf8')) as Credentials;
    expect(saved.redis).toEqual(credentials.redis);
    expect(saved.audit).toEqual(credentials.audit);
    expect(credentials.api?.tokenSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(saved.api).toEqual(credentials.api);
    expect(Object.keys(saved.mqtt?.users ?? {}).sort()).toEqual(['mqtt-admin', 'mqtt-feed']);
    expect(saved.mqtt).toEqual(credentials.mqtt);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
