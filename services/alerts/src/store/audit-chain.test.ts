import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { createAuditChain, type AuditEntry } from './audit-chain.js';
import { AUDIT_EVENTS } from '@tickdesk/schemas';
import { canonicalRecord, GENESIS_HASH, hashRecord, type AuditRecord } from './audit-record.js';
import { verifyRecords } from './audit-verify.js';
import { auditKeys } from './redis-layout.js';
import { defineScript } from './redis-script.js';
import { privateRedis } from './redis.test-util.js';

let redis: Awaited<ReturnType<typeof privateRedis>>;
let client: Redis;
const keys = auditKeys('td:');
const T0 = Date.parse('2026-11-21T10:00:00.000Z');
let clock = T0;
const now = () => clock;

beforeAll(async () => {
  redis = await privateRedis();
  client = redis.client();
});
afterAll(() => redis.close());
beforeEach(async () => {
  clock = T0;
  await client.flushall();
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const TRADERS = ['alice', 'bob', 'carol'];
const SYMBOLS = ['BTCUSDT', 'EURUSD', 'MSFT', 'ETHUSDT'];
/** The chain keeps one `fired` record per alert: each fired entry is another alert's. */
const entry = (i: number): AuditEntry => ({
  alertId: AUDIT_EVENTS[i % AUDIT_EVENTS.length] === 'fired' ? `f${i}` : `a${i % 5}`,
  trader: TRADERS[i % 3]!,
  symbol: SYMBOLS[i % 4]!,
  event: AUDIT_EVENTS[i % AUDIT_EVENTS.length]!,
  stanzaHash: i % 2 ? sha(`<message id='a${i}'/>`) : '',
  ...(i % 4 === 0 ? { detail: `attempt=${i}` } : {}),
});

async function appendMany(
  chain: ReturnType<typeof createAuditChain>,
  n: number,
  stepMs = 1000,
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) {
    clock = T0 + i * stepMs;
    out.push(await chain.append(entry(i)));
  }
  return out;
}

type Entry = [string, string[]];
/** Rebuild the log with `edit` applied: stream entries cannot be rewritten in place. */
async function rewriteLog(edit: (entries: Entry[]) => Entry[]): Promise<void> {
  const entries = (await client.xrange(keys.log, '-', '+')) as Entry[];
  const m = client.multi().del(keys.log);
  for (const [id, fields] of edit(entries)) m.xadd(keys.log, id, ...fields);
  await m.exec();
}

describe('audit chain', () => {
  it('hashes a documented canonical serialisation', () => {
    const rec = {
      seq: 1,
      time: '2026-11-21T10:00:00.123Z',
      alertId: 'a1',
      trader: 'bob',
      symbol: 'BTCUSDT',
      event: 'escalated' as const,
      detail: 'to=dana "ü"',
      stanzaHash: '',
      prevHash: GENESIS_HASH,
    };
    const text = `[1,"2026-11-21T10:00:00.123Z","a1","bob","BTCUSDT","escalated","to=dana \\"ü\\"","","${GENESIS_HASH}"]`;
    expect(canonicalRecord(rec)).toBe(text);
    expect(hashRecord(rec)).toBe(sha(text));
    expect(canonicalRecord({ ...rec, detail: undefined })).toBe(text.replace('"to=dana \\"ü\\""', '""'));
  });

  it('appends linked records and verifies them', async () => {
    const chain = createAuditChain({ redis: client, now });
    expect(await chain.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(await chain.verify()).toEqual({ ok: true, records: 0, head: GENESIS_HASH, keyed: 0, unkeyed: 0 });
    const recs = await appendMany(chain, 10);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(recs[0]!.prevHash).toBe(GENESIS_HASH);
    expect(recs[0]!.time).toBe('2026-11-21T10:00:01.000Z');
    for (let i = 1; i < recs.length; i++) expect(recs[i]!.prevHash).toBe(recs[i - 1]!.hash);
    for (const r of recs) expect(r.hash).toBe(hashRecord(r));
    expect(recs[3]).toMatchObject({ detail: 'attempt=4' });
    expect(recs[2]).not.toHaveProperty('detail');
    expect(await chain.range({ limit: 100 })).toEqual(recs);
    expect(await chain.head()).toEqual({ seq: 10, hash: recs[9]!.hash });
    expect(await chain.verify({ pageSize: 3 })).toEqual({
      ok: true,
      records: 10,
      head: recs[9]!.hash,
      keyed: 0,
      unkeyed: 10,
    });
    expect(verifyRecords(recs, { seq: 10, hash: recs[9]!.hash })).toEqual({
      ok: true,
      records: 10,
      head: recs[9]!.hash,
      keyed: 0,
      unkeyed: 10,
    });
    // The stored bytes are the hashed bytes: an auditor can check with redis-cli and sha256sum.
    const [third] = (await client.xrange(keys.log, '3-0', '3-0')) as Entry[];
    expect(third![1]).toEqual(['r', canonicalRecord(recs[2]!), 'h', sha(canonicalRecord(recs[2]!))]);
  });

  it("tells whether an alert's record of an event is in the chain (acknowledged: a single Redis needs no replica)", async () => {
    const chain = createAuditChain({ redis: client, now });
    const fired = await chain.append({ ...entry(1), event: 'fired' });
    expect(await chain.acknowledged(fired.alertId, 'fired')).toBe(true);
    expect(await chain.acknowledged(fired.alertId, 'delivered')).toBe(false);
    expect(await chain.acknowledged('no-such-alert', 'fired')).toBe(false);
  });

  it('keeps a given time, never dates a record before its predecessor, and refuses bad entries', async () => {
    const chain = createAuditChain({ redis: client, now });
    const a = await chain.append({ ...entry(1), time: '2026-11-21T10:00:05.250Z' });
    expect(a.time).toBe('2026-11-21T10:00:05.250Z');
    clock = T0 + 1_000; // a process whose clock is behind
    expect((await chain.append(entry(2))).time).toBe('2026-11-21T10:00:05.250Z');
    for (const bad of [
      { ...entry(3), time: '2026-11-21T10:00:05Z' },
      { ...entry(3), event: 'lost' as never },
      { ...entry(3), stanzaHash: 'ABC' },
      { ...entry(3), trader: '' },
      { ...entry(3), detail: 'line\nbreak' },
      { ...entry(3), symbol: 'X\ud800' },
    ]) {
      await expect(chain.append(bad)).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_BAD_INPUT' });
    }
    expect((await chain.head()).seq).toBe(2);
  });

  it('stays one gapless chain with two processes appending at once', async () => {
    const a = createAuditChain({ redis: redis.client(), now });
    const b = createAuditChain({ redis: redis.client(), now });
    const appended = await Promise.all([
      ...Array.from({ length: 500 }, (_, i) => a.append({ ...entry(i), detail: `a=${i}` })),
      ...Array.from({ length: 500 }, (_, i) => b.append({ ...entry(i + 500), detail: `b=${i}` })),
    ]);
    expect(new Set(appended.map((r) => r.seq)).size).toBe(1000);
    expect(await a.verify()).toMatchObject({ ok: true, records: 1000 });
    const stored = await a.range({ limit: 1000 });
    expect(stored).toEqual([...appended].sort((x, y) => x.seq - y.seq));
    // Each process's own appends keep their order.
    const mine = stored.filter((r) => r.detail?.startsWith('a=')).map((r) => Number(r.detail!.slice(2)));
    expect(mine).toEqual([...mine].sort((x, y) => x - y));
  });

  it('counts a record as written when its script ran but the reply was lost (no duplicate)', async () => {
    const chain = createAuditChain({ redis: client, now });
    const first = await chain.append(entry(1));
    // What ioredis resending an already-run script leaves: the very record the next append links.
    const body = { seq: 2, time: new Date(clock).toISOString(), ...entry(2), prevHash: first.hash };
    const rec = { ...body, hash: hashRecord(body) };
    const ks = [
      keys.head,
      keys.log,
      keys.byTime,
      keys.trader(rec.trader),
      keys.symbol(rec.symbol),
      keys.alert(rec.alertId),
    ];
    await defineScript(client, 'tdAuditAppendKeyed', 6, '').run(ks, [
      2,
      first.hash,
      clock,
      canonicalRecord(rec),
      rec.hash,
      '0000000000000002',
      '',
    ]);
    expect(await client.xlen(keys.log)).toBe(2);
    expect(await chain.append(entry(2))).toEqual(rec);
    expect(await chain.head()).toEqual({ seq: 2, hash: rec.hash });
    expect(await chain.verify()).toMatchObject({ ok: true, records: 2 });
  });

  describe('tampering', () => {
    const FIELDS = ['seq', 'time', 'alertId', 'trader', 'symbol', 'event', 'detail', 'stanzaHash', 'prevHash'] as const;
    let chain: ReturnType<typeof createAuditChain>;
    beforeEach(async () => {
      chain = createAuditChain({ redis: client, now });
      await appendMany(chain, 20);
    });

    it.each(FIELDS.map((f, i) => [f, i] as const))('an edited %s fails at that record', async (_field, index) => {
      await rewriteLog((entries) =>
        entries.map(([id, f]) => {
          if (id !== '7-0') return [id, f];
          const r = JSON.parse(f[1]!) as (string | number)[];
          r[index] =
            index === 0
              ? 70
              : index === 1
                ? '2026-11-21T10:00:07.001Z'
                : index === 5
                  ? 'acknowledged'
                  : `${String(r[index])}x`;
          return [id, ['r', JSON.stringify(r), 'h', f[3]!]];
        }),
      );
      const v = await chain.verify({ pageSize: 4 });
      expect(v).toMatchObject({ ok: false, records: 6, brokenSeq: 7 });
      expect(v.ok === false && v.reason).toMatch(/^record 7.* was altered/);
    });

    it('an edited hash fails at that record; a recomputed one at the next link', async () => {
      const original = (await client.xrange(keys.log, '-', '+')) as Entry[];
      await rewriteLog((entries) =>
        entries.map(([id, f]) => (id === '7-0' ? [id, ['r', f[1]!, 'h', sha('forged')]] : [id, f])),
      );
      expect(await chain.verify()).toMatchObject({ ok: false, brokenSeq: 7 });
      await rewriteLog(() =>
        original.map(([id, f]) => {
          if (id !== '7-0') return [id, f];
          const r = (JSON.parse(f[1]!) as string[]).with(4, 'SOLUSDT');
          return [id, ['r', JSON.stringify(r), 'h', sha(JSON.stringify(r))]];
        }),
      );
      const v = await chain.verify();
      expect(v).toMatchObject({ ok: false, brokenSeq: 8 });
      expect(v.ok === false && v.reason).toMatch(/prevHash/);
    });

    it('an unreadable record fails at that record', async () => {
      await rewriteLog((entries) =>
        entries.map(([id, f]) => (id === '7-0' ? [id, ['r', '[7,', 'h', f[3]!]] : [id, f])),
      );
      expect(await chain.verify()).toMatchObject({
        ok: false,
        brokenSeq: 7,
        reason: expect.stringMatching(/cannot be read/) as string,
      });
    });

    it('a deleted record fails at the gap', async () => {
      await client.xdel(keys.log, '5-0');
      const v = await chain.verify();
      expect(v).toEqual({ ok: false, records: 4, brokenSeq: 5, reason: 'record 5 is missing (the next record is 6)' });
    });

    it('a truncated tail fails against the head', async () => {
      await client.xdel(keys.log, '19-0', '20-0');
      expect(await chain.verify()).toMatchObject({
        ok: false,
        records: 18,
        brokenSeq: 19,
        reason: expect.stringMatching(/head is seq 20/) as string,
      });
    });

    it('a removed head, or a record added behind the script, is reported', async () => {
      const [last] = (await client.xrevrange(keys.log, '+', '-', 'COUNT', 1)) as Entry[];
      await client.xadd(keys.log, '21-0', ...last![1]);
      expect(await chain.verify()).toMatchObject({
        ok: false,
        brokenSeq: 21,
        reason: expect.stringMatching(/past the head/) as string,
      });
      await client.del(keys.head);
      expect(await chain.verify()).toMatchObject({ ok: false, brokenSeq: 1 });
      await expect(chain.append(entry(1))).rejects.toThrow(/equal or smaller/);
    });

    it('verifyRecords finds the same breaks in an export', async () => {
      const exported = await chain.range({ limit: 100 });
      expect(verifyRecords(exported)).toMatchObject({ ok: true, records: 20 });
      expect(verifyRecords(exported.map((r) => (r.seq === 9 ? { ...r, trader: 'mallory' } : r)))).toMatchObject({
        ok: false,
        brokenSeq: 9,
      });
      expect(verifyRecords(exported.filter((r) => r.seq !== 9))).toMatchObject({ ok: false, brokenSeq: 9 });
      expect(verifyRecords(exported.slice(0, 15), { seq: 20, hash: exported[19]!.hash })).toMatchObject({
        ok: false,
        brokenSeq: 16,
      });
    });
  });

  it('queries by trader, symbol, alert and time, in pages', async () => {
    const chain = createAuditChain({ redis: client, now });
    const all = await appendMany(chain, 90);
    const pageAll = async (q: Parameters<typeof chain.range>[0]) => {
      const out: AuditRecord[] = [];
      for (let afterSeq = 0; ;) {
        const page = await chain.range({ ...q, afterSeq });
        expect(page.length).toBeLessThanOrEqual(q.limit);
        out.push(...page);
        if (page.length < q.limit) return out;
        afterSeq = page[page.length - 1]!.seq;
      }
    };
    const from = '2026-11-21T10:00:20.000Z';
    const to = '2026-11-21T10:01:10.000Z';
    const cases: [Parameters<typeof chain.range>[0], (r: AuditRecord) => boolean][] = [
      [{ limit: 7, trader: 'bob' }, (r) => r.trader === 'bob'],
      [{ limit: 5, symbol: 'MSFT' }, (r) => r.symbol === 'MSFT'],
      [{ limit: 4, alertId: 'a3' }, (r) => r.alertId === 'a3'],
      [{ limit: 6, fromTime: from, toTime: to }, (r) => r.time >= from && r.time < to],
      [
        { limit: 3, trader: 'carol', symbol: 'BTCUSDT', fromTime: from },
        (r) => r.trader === 'carol' && r.symbol === 'BTCUSDT' && r.time >= from,
      ],
      [
        { limit: 2, trader: 'alice', symbol: 'EURUSD', alertId: 'a1', toTime: to },
        (r) => r.trader === 'alice' && r.symbol === 'EURUSD' && r.alertId === 'a1' && r.time < to,
      ],
      [{ limit: 10, trader: 'nobody' }, () => false],
      [{ limit: 10, fromTime: '2027-01-01T00:00:00Z' }, () => false],
      [{ limit: 10, toTime: '2026-11-21T10:00:01.000Z' }, () => false],
      [
        { limit: 10, fromTime: '2026-11-21T10:00:01.000500Z', toTime: '2026-11-21T10:00:03.000001Z' },
        (r) => r.seq === 2 || r.seq === 3,
      ],
    ];
    for (const [q, keep] of cases) {
      const expected = all.filter(keep);
      expect(await pageAll(q)).toEqual(expected);
      const streamed: AuditRecord[] = [];
      for await (const r of chain.iterate({ ...q, pageSize: 4 })) streamed.push(r);
      expect(streamed).toEqual(expected);
    }
    expect(await chain.range({ limit: 3, afterSeq: 88 })).toEqual(all.slice(88));
    await expect(chain.range({ limit: 0 })).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_STORE_BAD_INPUT' });
    await expect(chain.range({ limit: 5, fromTime: 'yesterday' })).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_BAD_INPUT',
    });
  });

  it('iterates and verifies 20,000 records a page at a time', async () => {
    const chain = createAuditChain({ redis: client, now });
    const appends: Promise<AuditRecord>[] = [];
    for (let i = 1; i <= 20_000; i++) {
      clock = T0 + Math.floor(i / 10);
      appends.push(chain.append(entry(i)));
    }
    await Promise.all(appends);
    const xrange = vi.spyOn(client, 'xrange');
    let n = 0;
    let lastSeq = 0;
    for await (const r of chain.iterate({ pageSize: 1_000 })) {
      n++;
      expect(r.seq).toBe(lastSeq + 1);
      lastSeq = r.seq;
    }
    expect(n).toBe(20_000);
    const pages = await Promise.all(xrange.mock.results.map((r) => r.value as Promise<unknown[]>));
    expect(pages.length).toBe(21);
    expect(Math.max(...pages.map((p) => p.length))).toBe(1_000);
    xrange.mockRestore();
    expect(await chain.verify({ pageSize: 1_000 })).toMatchObject({ ok: true, records: 20_000 });
  }, 30_000);
});

describe('keyed audit chain', () => {
  const KEY = { key: randomBytes(32).toString('base64url'), keyedFrom: 1 };

  /**
   * What someone with Redis write access but without the key can do: rewrite records
   * from `from` on (another trader), recompute every plain SHA-256 link and move the head.
   */
  async function forgeTail(from: number, keepKeyField: boolean): Promise<void> {
    let prev = GENESIS_HASH;
    await rewriteLog((entries) =>
      entries.map(([id, f]) => {
        const seq = Number(id.split('-')[0]);
        if (seq < from) {
          prev = f[3]!;
          return [id, f];
        }
        const r = JSON.parse(f[1]!) as (string | number)[];
        if (seq === from) r[3] = 'mallory';
        r[8] = prev;
        const text = JSON.stringify(r);
        prev = sha(text);
        return [id, keepKeyField ? ['r', text, 'h', prev, ...f.slice(4)] : ['r', text, 'h', prev]];
      }),
    );
    await client.hset(keys.head, 'hash', prev);
  }

  it('an attacker who rewrites the tail and recomputes SHA-256 links without the key is caught at the first rewritten record', async () => {
    const chain = createAuditChain({ redis: client, now, key: KEY });
    const recs = await appendMany(chain, 20);
    expect(await chain.verify({ pageSize: 6 })).toEqual({
      ok: true,
      records: 20,
      head: recs[19]!.hash,
      keyed: 20,
      unkeyed: 0,
    });
    const original = (await client.xrange(keys.log, '-', '+')) as Entry[];
    for (const keepKeyField of [true, false]) {
      await forgeTail(15, keepKeyField);
      const v = await chain.verify({ pageSize: 6 });
      expect(v).toMatchObject({ ok: false, records: 14, brokenSeq: 15 });
      expect(v.ok === false && v.reason).toMatch(keepKeyField ? /^record 15 was altered/ : /^record 15 is not keyed/);
      await rewriteLog(() => original);
      await client.hset(keys.head, 'hash', recs[19]!.hash);
    }
    expect(await chain.verify()).toMatchObject({ ok: true, records: 20 });
  });

  it('records from before the key verify as unkeyed and are counted; a downgrade after them is not accepted', async () => {
    const old = createAuditChain({ redis: client, now });
    await appendMany(old, 5);
    const chain = createAuditChain({ redis: client, now, key: { ...KEY, keyedFrom: 6 } });
    for (let i = 6; i <= 10; i++) await chain.append(entry(i));
    expect(await chain.verify()).toMatchObject({ ok: true, records: 10, keyed: 5, unkeyed: 5 });
    const stored = await chain.range({ limit: 100 });
    expect(stored.map((r) => r.keyId === undefined)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    // The whole chain rewritten as plain SHA-256: the key's start (kept outside Redis) says 6 must be keyed.
    await forgeTail(1, false);
    expect(await chain.verify()).toMatchObject({
      ok: false,
      brokenSeq: 6,
      reason: expect.stringMatching(/^record 6 is not keyed/) as string,
    });
    // Without a stated start, an unkeyed record after a keyed one is still a downgrade.
    await client.flushall();
    const noStart = createAuditChain({ redis: client, now, key: { key: KEY.key } });
    await appendMany(noStart, 10);
    await forgeTail(8, false);
    expect(await noStart.verify()).toMatchObject({
      ok: false,
      brokenSeq: 8,
      reason: expect.stringMatching(/record 7 before it is keyed/) as string,
    });
  });

  it("a keyed record needs this desk's key to verify", async () => {
    await appendMany(createAuditChain({ redis: client, now, key: KEY }), 3);
    expect(await createAuditChain({ redis: client, now }).verify()).toMatchObject({
      ok: false,
      brokenSeq: 1,
      reason: expect.stringMatching(/needs the audit key/) as string,
    });
    const other = createAuditChain({ redis: client, now, key: { key: randomBytes(32).toString('base64url') } });
    expect(await other.verify()).toMatchObject({
      ok: false,
      brokenSeq: 1,
      reason: expect.stringMatching(/another key/) as string,
    });
  });

  it('verifyRecords checks an export with the key', async () => {
    const chain = createAuditChain({ redis: client, now, key: KEY });
    const recs = await appendMany(chain, 6);
    expect(verifyRecords(recs, { seq: 6, hash: recs[5]!.hash }, KEY)).toMatchObject({ ok: true, records: 6, keyed: 6 });
    const forged = recs.map((r) =>
      r.seq === 4 ? { ...r, trader: 'mallory', hash: hashRecord({ ...r, trader: 'mallory' }) } : r,
    );
    expect(verifyRecords(forged, undefined, KEY)).toMatchObject({ ok: false, brokenSeq: 4 });
    expect(verifyRecords(recs)).toMatchObject({
      ok: false,
      brokenSeq: 1,
      reason: expect.stringMatching(/needs the audit key/) as string,
    });
  });
});
