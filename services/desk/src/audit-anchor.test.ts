import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditChain, type AuditEntry } from '@tickdesk/alerts';
import { usePrivateRedis } from '../../../test/support/use-private-redis.js';
import { loadOrCreateCredentials, saveCredentials, type Credentials } from './credentials.js';
import { anchorAuditKey } from './audit-anchor.js';

const redis = usePrivateRedis({ flush: false });
const dir = mkdtempSync(join(tmpdir(), 'tickdesk-anchor-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const entry = (i: number): AuditEntry => ({
  alertId: `a${i}`,
  trader: 'alice',
  symbol: 'BTCUSDT',
  event: 'fired',
  stanzaHash: '',
});

describe('audit key of an older desk', () => {
  it('covers the records from the next seq on: older records verify as unkeyed, a later unkeyed one fails', async () => {
    const client = redis.connect();
    const old = createAuditChain({ redis: client });
    for (let i = 1; i <= 4; i++) await old.append(entry(i));
    const path = join(dir, 'credentials.json');
    const { credentials } = loadOrCreateCredentials(path, 'desk.localhost');
    delete credentials.audit.keyedFrom; // as loadOrCreateCredentials leaves a file from an older desk
    saveCredentials(path, credentials);
    const server = { port: redis.port, login: { username: 'test', password: new URL(redis.url).password } };
    await anchorAuditKey(path, credentials, server as Parameters<typeof anchorAuditKey>[2]);
    expect(credentials.audit.keyedFrom).toBe(5);
    expect((JSON.parse(readFileSync(path, 'utf8')) as Credentials).audit.keyedFrom).toBe(5);

    const keyed = createAuditChain({ redis: client, key: credentials.audit });
    for (let i = 5; i <= 7; i++) await keyed.append(entry(i));
    expect(await keyed.verify()).toMatchObject({ ok: true, records: 7, keyed: 3, unkeyed: 4 });
    // A process without the key appending after the start (or a rewrite) is caught there.
    await old.append(entry(8));
    expect(await keyed.verify()).toMatchObject({
      ok: false,
      brokenSeq: 8,
      reason: expect.stringMatching(/^record 8 is not keyed/) as string,
    });
    // Set once: a second start keeps it.
    await anchorAuditKey(path, credentials, server as Parameters<typeof anchorAuditKey>[2]);
    expect(credentials.audit.keyedFrom).toBe(5);
  });
});
