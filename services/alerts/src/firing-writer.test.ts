import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Rule } from '@tickdesk/schemas';
import { createFiringWriter } from './firing-writer.js';
import { writerDeps } from './firing-writer.test-util.js';
import type { AlertStore, AuditChain, AuditEntry, RuleStore, StoredAlert } from './store/index.js';
import { StoreError } from './store/index.js';

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: '65000',
  frequency: 'every-time',
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T07:00:00Z',
  updatedAt: '2026-12-06T07:00:00Z',
  version: 1,
};
const firing = {
  ruleId: 'r1',
  symbol: 'BTCUSDT',
  seq: 7,
  price: '65000.5',
  previousPrice: '64999',
  eventMicros: 1_765_000_000_000_000,
};
const notAcknowledged = () => new StoreError('TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED', 'no replica');

/** An outbox that stores what it is given, and a chain that records appends; `failNext` makes the next call write and then fail, as an unacknowledged write does. */
function fakes() {
  const stored = new Map<string, StoredAlert>();
  const records: AuditEntry[] = [];
  const fail = { create: 0, append: 0, ack: 0 };
  const alerts = {
    async create(a: StoredAlert) {
      const created = !stored.has(a.id);
      if (created) stored.set(a.id, a);
      if (fail.create > 0 && fail.create--) throw notAcknowledged();
      return created;
    },
  } as unknown as AlertStore;
  const audit = {
    async append(e: AuditEntry) {
      records.push(e);
      if (fail.append > 0 && fail.append--) throw notAcknowledged();
      return { ...e, seq: records.length };
    },
    async acknowledged(alertId: string, event: string) {
      if (!records.some((r) => r.alertId === alertId && r.event === event)) return false;
      if (fail.ack > 0 && fail.ack--) throw notAcknowledged();
      return true;
    },
  } as unknown as AuditChain;
  const redis = { hset: async () => 1 } as unknown as Redis;
  const writer = createFiringWriter({
    redis,
    alerts,
    audit,
    ...writerDeps(rule, '2026-12-06T07:00:01Z'),
  });
  return { writer, stored, records, fail };
}

describe('firing writer, when a write is not acknowledged', () => {
  it('writes the fired record when the retry finds the alert its failed attempt stored', async () => {
    const f = fakes();
    f.fail.create = 1;
    await expect(f.writer.persist(firing)).rejects.toThrow(/no replica/);
    const alert = await f.writer.persist(firing); // the engine's write retry
    expect(alert?.id).toBe([...f.stored.keys()][0]);
    expect(f.records.map((r) => [r.alertId, r.event])).toEqual([[alert!.id, 'fired']]);
  });

  it.each([
    [
      'does not append the fired record twice when the one whose acknowledgement failed is in the chain after all',
      false,
    ],
    [
      'appends the fired record again when the one whose acknowledgement failed was lost (a fail-over), and never leaves the alert without one',
      true,
    ],
  ] as const)('%s', async (_name, lost) => {
    const f = fakes();
    f.fail.append = 1;
    await expect(f.writer.persist(firing)).rejects.toThrow(/no replica/);
    if (lost) f.records.length = 0; // lost with the old primary
    // The retry finds it on the primary, and the replica has it now; or does not find it.
    const alert = await f.writer.persist(firing);
    expect(alert).toBeDefined();
    expect(f.records.filter((r) => r.event === 'fired').length).toBe(1);
    expect(f.writer.fired()).toBe(1);
  });

  it('fails the retry, for another one later, when the record found in the chain is still not acknowledged', async () => {
    const f = fakes();
    f.fail.append = 1;
    await expect(f.writer.persist(firing)).rejects.toThrow(/no replica/);
    f.fail.ack = 1;
    await expect(f.writer.persist(firing)).rejects.toThrow(/no replica/);
    expect(await f.writer.persist(firing)).toBeDefined();
    expect(f.records.filter((r) => r.event === 'fired').length).toBe(1);
  });

  it('still ignores a firing whose alert an earlier engine process stored (evaluated again after a crash)', async () => {
    const f = fakes();
    expect(await f.writer.persist(firing)).toBeDefined();
    const again = fakes();
    for (const [k, v] of f.stored) again.stored.set(k, v);
    expect(await again.writer.persist(firing)).toBeUndefined();
    expect(again.records).toEqual([]);
  });
});

describe("firing writer, after a crash between storing a once rule's alert and marking the rule triggered", () => {
  it('marks the rule triggered and forgets it when evaluating the tick again finds the alert stored', async () => {
    const once = { ...rule, frequency: 'once' } as Rule;
    const stored = new Map<string, StoredAlert>();
    const statuses: Array<[string, string]> = [];
    const forgotten: string[] = [];
    const writer = (setStatus: boolean) =>
      createFiringWriter({
        redis: { hset: async () => 1 } as unknown as Redis,
        alerts: {
          async create(a: StoredAlert) {
            const created = !stored.has(a.id);
            stored.set(a.id, a);
            return created;
          },
        } as unknown as AlertStore,
        audit: {
          async append(e: AuditEntry) {
            return { ...e, seq: 1 };
          },
        } as unknown as AuditChain,
        ...writerDeps(once, '2026-12-06T07:00:01Z'),
        // The first process dies before its status write lands.
        rules: {
          async setStatus(id: string, status: string) {
            if (!setStatus) throw new Error('killed');
            statuses.push([id, status]);
          },
        } as unknown as RuleStore,
        forget: (id) => forgotten.push(id),
      });
    await expect(writer(false).persist(firing)).rejects.toThrow(/killed/);
    forgotten.length = 0;
    expect(await writer(true).persist(firing)).toBeUndefined(); // the restarted engine: nothing sent again
    expect(statuses).toEqual([['r1', 'triggered']]);
    expect(forgotten).toEqual(['r1']);
  });
});

describe('firing writer, with several engines', () => {
  it('a firing whose lease token the outbox fences out throws TICKDESK_ALERTS_FENCED and records nothing; a current token writes', async () => {
    const alerts = new Map<string, StoredAlert>();
    const fenced = { records: [] as AuditEntry[] };
    // The fake outbox's fence: tokens below 5 are refused, as the create script does.
    const store = {
      create: async (a: StoredAlert, guard?: { token?: number }) =>
        guard?.token !== undefined && guard.token < 5 ? 'fenced' : (alerts.set(a.id, a), true),
    };
    const writer = createFiringWriter({
      redis: { hset: async () => 1 } as unknown as Redis,
      alerts: store as unknown as AlertStore,
      audit: {
        append: async (e: AuditEntry) => (fenced.records.push(e), { ...e, seq: fenced.records.length }),
      } as unknown as AuditChain,
      ...writerDeps(rule, '2026-12-06T07:00:01Z'),
    });
    await expect(writer.persist(firing, 4)).rejects.toMatchObject({ code: 'TICKDESK_ALERTS_FENCED' });
    expect(fenced.records).toEqual([]);
    expect(alerts.size).toBe(0);
    expect(await writer.persist(firing, 5)).toBeDefined();
    expect(fenced.records.map((r) => r.event)).toEqual(['fired']);
  });
});

describe('firing writer, the times a hop needs', () => {
  it("stores the tick's ingest stamp beside its event time, both to the µs", async () => {
    const f = fakes();
    const stored = await f.writer.persist({ ...firing, ingestMicros: firing.eventMicros + 1_234 });
    expect(stored).toMatchObject({
      eventTime: '2025-12-06T05:46:40.000000Z',
      ingestTime: '2025-12-06T05:46:40.001234Z',
    });
    expect(f.stored.get(stored!.id)?.ingestTime).toBe('2025-12-06T05:46:40.001234Z');
  });

  it('leaves ingestTime out when the firing has no ingest stamp', async () => {
    const stored = await fakes().writer.persist(firing);
    expect(stored).not.toHaveProperty('ingestTime');
  });
});
