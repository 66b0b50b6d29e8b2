import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import type { Rule } from '@tickdesk/schemas';
import { createFiringWriter } from './firing-writer.js';
import { writerDeps } from './firing-writer.test-util.js';
import type { AlertStore, AuditChain, AuditEntry, CreateResult, RuleStore, StoredAlert } from './store/index.js';

const rule: Rule = {
  id: 'r1',
  owner: 'alice',
  symbol: 'ESZ6',
  condition: 'crossing-up',
  threshold: '6000.125',
  frequency: 'once',
  priority: 'normal',
  status: 'active',
  createdAt: '2026-12-06T07:00:00Z',
  updatedAt: '2026-12-06T07:00:00Z',
  version: 1,
};
const firing = { ruleId: 'r1', symbol: 'ESZ6', seq: 9, price: '6000.25', eventMicros: 1_765_000_000_000_000 };

/** The status write (and, with `gateAppend`, the fired record) waits for the test; `log` lists what happened, in order. */
function setUp(created: CreateResult = true, gateAppend = false) {
  const log: string[] = [];
  let landStatus!: () => void;
  let landAppend: () => void = () => undefined;
  const alerts = {
    create: (a: StoredAlert) => (log.push(`create ${a.id}`), Promise.resolve(created)),
  } as unknown as AlertStore;
  const audit = {
    append: (e: AuditEntry) => {
      log.push(`append ${e.event}`);
      if (!gateAppend) return Promise.resolve({ ...e, seq: 1 });
      return new Promise((r) => (landAppend = () => (log.push('append landed'), r({ ...e, seq: 1 }))));
    },
  } as unknown as AuditChain;
  const rules = {
    setStatus: (id: string, status: string) => {
      log.push(`status ${id} ${status}`);
      return new Promise<void>((r) => (landStatus = () => (log.push('status landed'), r())));
    },
  } as unknown as RuleStore;
  const writer = createFiringWriter({
    redis: { hset: () => Promise.resolve(1) } as unknown as Redis,
    alerts,
    audit,
    ...writerDeps(rule, '2026-12-06T07:00:01Z'),
    rules,
  });
  return { writer, log, landStatus: () => landStatus(), landAppend: () => landAppend() };
}
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('firing writer: when a stored alert may go', () => {
  it("hands a once rule's alert over once it and its fired record are stored, while the rule's status write is out", async () => {
    const { writer, log, landStatus } = setUp();
    const sent: string[] = [];
    let resolved = false;
    const persisted = writer.persist(firing, undefined, (a) => void sent.push(a.id)).then(() => (resolved = true));
    await flush();
    expect(sent).toHaveLength(1);
    expect(log).toEqual([`create ${sent[0]}`, 'append fired', 'status r1 triggered']);
    expect(resolved).toBe(false); // the batch's write (and its watermark) still waits for the status
    landStatus();
    await persisted;
    expect(log.at(-1)).toBe('status landed');
  });

  it("hands a once rule's alert over as soon as it is in the outbox, with the promise of its fired record", async () => {
    const { writer, log, landAppend, landStatus } = setUp(true, true);
    const handed: Array<Promise<unknown>> = [];
    const persisted = writer.persist(firing, undefined, (_a, recorded) => void handed.push(recorded));
    await flush();
    expect(handed).toHaveLength(1); // delivery waits for the record before the alert's first step
    expect(log.at(-1)).toBe('append fired');
    let recorded = false;
    void handed[0]!.then(() => (recorded = true));
    await flush();
    expect(recorded).toBe(false);
    landAppend();
    await flush();
    expect(recorded).toBe(true);
    landStatus();
    await persisted;
    expect(log).toEqual([
      expect.stringMatching(/^create /),
      'append fired',
      'append landed',
      'status r1 triggered',
      'status landed',
    ]);
  });

  it('hands nothing over for a firing the outbox did not store as new (a once rule that fired before)', async () => {
    const { writer, landStatus } = setUp('once-fired');
    const sent: string[] = [];
    const persisted = writer.persist(firing, undefined, (a) => void sent.push(a.id));
    await flush();
    landStatus();
    expect(await persisted).toBeUndefined();
    expect(sent).toEqual([]);
  });
});
