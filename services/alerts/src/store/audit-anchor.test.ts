import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_EVENTS } from '@tickdesk/schemas';
import { auditAnchorPath, createAuditAnchorWriter, readAuditAnchor } from './audit-anchor.js';
import { createAuditChain } from './audit-chain.js';
import { auditKeys } from './redis-layout.js';
import { usePrivateRedis } from './redis.test-util.js';

const redis = usePrivateRedis();
let home: string;
const keys = auditKeys('td:');
const KEY = { key: randomBytes(32).toString('base64url'), keyedFrom: 1 };
const log = pino({ level: 'silent' });
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tickdesk-anchor-'));
  return () => rmSync(home, { recursive: true, force: true });
});

async function chainWith(n: number) {
  const path = auditAnchorPath(home);
  const chain = createAuditChain({ redis: redis.client, key: KEY, anchorPath: path });
  for (let i = 1; i <= n; i++)
    await chain.append({
      alertId: `a${i}`,
      trader: 'alice',
      symbol: 'MSFT',
      event: AUDIT_EVENTS[i % AUDIT_EVENTS.length]!,
      stanzaHash: '',
    });
  const writer = createAuditAnchorWriter({ head: () => chain.head(), path, log });
  await writer.anchor();
  return { chain, writer, path };
}

/**
 * What someone with Redis write access can do without the key: drop the newest records
 * and point the head at the last one kept. Every remaining HMAC is genuine.
 */
async function cutTail(keep: number): Promise<void> {
  const entries = (await redis.client.xrange(keys.log, '-', '+')) as [string, string[]][];
  const m = redis.client.multi().del(keys.log);
  for (const [id, fields] of entries.slice(0, keep)) m.xadd(keys.log, id, ...fields);
  const last = entries[keep - 1]![1];
  m.hset(keys.head, 'seq', String(keep), 'hash', last[last.indexOf('h') + 1]!);
  await m.exec();
}

describe('audit chain anchored outside Redis', () => {
  it('a tail cut together with its head verifies without the anchor and fails with it', async () => {
    const { chain, path } = await chainWith(12);
    expect(readAuditAnchor(path)).toMatchObject({ seq: 12 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await chain.verify()).toMatchObject({ ok: true, records: 12 });
    await cutTail(10);
    const unanchored = createAuditChain({ redis: redis.client, key: KEY });
    expect(await unanchored.verify()).toMatchObject({ ok: true, records: 10 }); // what the key alone cannot see
    const v = await chain.verify();
    expect(v).toMatchObject({ ok: false, records: 10, brokenSeq: 11 });
    expect(v.ok === false && v.reason).toMatch(/^records 11 to 12 are missing: seq 12 was anchored outside Redis/);
  });

  it('the writer never moves the anchor back over a cut tail', async () => {
    const { chain, writer, path } = await chainWith(8);
    await cutTail(5);
    await writer.anchor();
    expect(readAuditAnchor(path)).toMatchObject({ seq: 8 });
    expect(await chain.verify()).toMatchObject({ ok: false, brokenSeq: 6 });
  });

  it('moves on with the head, and a replaced record at the anchored seq fails there', async () => {
    const { chain, writer, path } = await chainWith(3);
    await chain.append({ alertId: 'a4', trader: 'bob', symbol: 'MSFT', event: 'fired', stanzaHash: '' });
    await writer.anchor();
    expect(readAuditAnchor(path)).toMatchObject({ seq: 4 });
    const anchored = readAuditAnchor(path)!;
    expect(await chain.verify({ anchor: { ...anchored, hash: '0'.repeat(64) } })).toMatchObject({
      ok: false,
      brokenSeq: 4,
      reason: expect.stringMatching(/^record 4 is not the one anchored/) as string,
    });
    expect(await chain.verify()).toMatchObject({ ok: true, records: 4 });
  });

  it('a malformed anchor file is an error, not a pass', async () => {
    const { chain, path } = await chainWith(2);
    writeFileSync(path, '{"seq":"x"}');
    await expect(chain.verify()).rejects.toThrow(/malformed/);
  });
});
