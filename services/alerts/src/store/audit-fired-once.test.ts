import { beforeEach, describe, expect, it } from 'vitest';
import { createAuditChain, type AuditEntry } from './audit-chain.js';
import { canonicalRecord, hashRecord } from './audit-record.js';
import { auditKeys } from './redis-layout.js';
import { defineScript } from './redis-script.js';
import { usePrivateRedis } from './redis.test-util.js';

/*
 * One alert, one `fired` record. With several engines, an instrument's old holder's append
 * of an alert's fired record can land after its new holder wrote that record (the new
 * holder found the alert pending without it); the chain's append script refuses the second.
 */
const redis = usePrivateRedis();
const keys = auditKeys('td:');
const T0 = Date.parse('2026-12-06T10:08:14.119Z');
let clock = T0;
const now = () => (clock += 1);

beforeEach(() => {
  clock = T0;
});

const record = (alertId: string, event: AuditEntry['event'], detail?: string): AuditEntry => ({
  alertId,
  trader: 'alice',
  symbol: 'ESZ6',
  event,
  stanzaHash: '',
  ...(detail ? { detail } : {}),
});
const eventsOf = async (alertId: string) =>
  (await createAuditChain({ redis: redis.client }).range({ alertId, limit: 100 })).map((r) => r.event);

describe("an alert's fired record", () => {
  it("is recorded once when the old holder's append lands after the new holder's", async () => {
    const oldHolder = createAuditChain({ redis: redis.connect(), now });
    const newHolder = createAuditChain({ redis: redis.connect(), now });
    await oldHolder.append(record('a0', 'fired')); // its view of the head is from before the fail-over
    const written = await newHolder.append(record('a1', 'fired', 'rule=r1 seq=42 price=13013'));
    const late = await oldHolder.append(record('a1', 'fired', 'rule=r1 seq=42 price=13013'));
    expect(await eventsOf('a1')).toEqual(['fired']);
    // The old holder's call resolves with the record the chain holds: the alert's fired record is there.
    expect(late).toEqual(written);
    expect(await redis.client.xlen(keys.log)).toBe(2);
    expect(await newHolder.verify()).toMatchObject({ ok: true, records: 2 });
  });

  it('is refused in the batch it came with: the records queued after it are linked and appended', async () => {
    const chain = createAuditChain({ redis: redis.client, now });
    const first = await chain.append(record('a1', 'fired'));
    const [again, sent, other] = await Promise.all([
      chain.append(record('a1', 'fired')),
      chain.append(record('a1', 'sent', 'to=alice')),
      chain.append(record('a2', 'fired')),
    ]);
    expect(again).toEqual(first);
    expect([sent.seq, other.seq]).toEqual([2, 3]);
    expect(await eventsOf('a1')).toEqual(['fired', 'sent']);
    expect(await eventsOf('a2')).toEqual(['fired']);
    expect(await chain.verify()).toMatchObject({ ok: true, records: 3 });
  });

  it('after other records of the alert is still written when it is the first (the record a killed engine left out)', async () => {
    const chain = createAuditChain({ redis: redis.client, now });
    await chain.append(record('a1', 'sent', 'to=alice'));
    await chain.append(record('a1', 'fired'));
    await chain.append(record('a1', 'fired'));
    expect(await eventsOf('a1')).toEqual(['sent', 'fired']);
  });

  it('leaves every other event as it was: a second sent, resent or suppressed record is appended', async () => {
    const chain = createAuditChain({ redis: redis.client, now });
    await chain.append(record('a1', 'fired'));
    for (const event of ['sent', 'sent', 'resent', 'resent', 'suppressed', 'suppressed'] as const)
      await chain.append(record('a1', event));
    expect(await eventsOf('a1')).toEqual(['fired', 'sent', 'sent', 'resent', 'resent', 'suppressed', 'suppressed']);
  });

  it('refused, counts as recorded only once the replicas have the record it answers with', async () => {
    await createAuditChain({ redis: redis.client, now }).append(record('a1', 'fired'));
    // A Redis without replicas: the witness write that covers the record is never acknowledged.
    const acked = createAuditChain({ redis: redis.client, now, ack: { replicas: 1, timeoutMs: 20, attempts: 1 } });
    await expect(acked.append(record('a1', 'fired'))).rejects.toMatchObject({
      code: 'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED',
    });
    expect(await eventsOf('a1')).toEqual(['fired']);
  });

  it('adds no key to the chain: the alert index it already keeps is what the script reads', async () => {
    const chain = createAuditChain({ redis: redis.client, now });
    await chain.append(record('a1', 'fired'));
    const before = (await redis.client.keys('*')).sort();
    await chain.append(record('a1', 'fired'));
    expect((await redis.client.keys('*')).sort()).toEqual(before);
  });

  it('whose script ran but whose reply was lost is counted as written, not as refused', async () => {
    const chain = createAuditChain({ redis: redis.client, now });
    const first = await chain.append(record('a0', 'fired'));
    // What ioredis resending an already-run script leaves: the very record the next append links.
    const time = new Date(clock + 1).toISOString();
    const body = { seq: 2, time, ...record('a1', 'fired'), prevHash: first.hash };
    const rec = { ...body, hash: hashRecord(body) };
    const ks = [keys.head, keys.log, keys.byTime, keys.trader('alice'), keys.symbol('ESZ6'), keys.alert('a1')];
    const args = [2, first.hash, Date.parse(time), canonicalRecord(rec), rec.hash, '0000000000000002', '', 'fired'];
    await defineScript(redis.client, 'tdAuditAppendKeyed', 6, '').run(ks, args);
    expect(await chain.append({ ...record('a1', 'fired'), time })).toEqual(rec);
    expect(await eventsOf('a1')).toEqual(['fired']);
  });
});
