import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createAlertsMetrics } from './alerts-metrics.js';
import { createAlertSteps, type DeliveryOwnership } from './alert-steps.js';
import type { AlertStore, AuditChain, AuditEntry, StoredAlert } from './store/index.js';

const alert = { id: 'a1', owner: 'alice', symbol: 'ESZ6', state: 'pending', attempts: 0 } as StoredAlert;
const flush = () => new Promise((r) => setTimeout(r, 0));

/** Steps on fakes; the transition waits for the test; `log` lists what happened, in order. */
function setUp(ownership: DeliveryOwnership) {
  const log: string[] = [];
  let land!: () => void;
  const steps = createAlertSteps({
    alerts: {
      transition: (id: string) => {
        log.push('transition');
        return new Promise((r) => (land = () => r({ ...alert, id, state: 'sent' })));
      },
    } as unknown as AlertStore,
    audit: { append: (e: AuditEntry) => (log.push(`append ${e.event}`), Promise.resolve(e)) } as unknown as AuditChain,
    metrics: createAlertsMetrics(),
    ownership,
    log: pino({ level: 'silent' }),
    now: () => Date.parse('2026-12-06T19:00:00Z'),
  });
  return { steps, log, land: () => land() };
}

describe('a step with work alongside its transition (the alert stanza)', () => {
  it('one engine (no lease): the work runs once the audit record is in, beside the transition', async () => {
    const { steps, log, land } = setUp({ owns: () => true, token: () => undefined });
    const moved = steps.record(alert, 'sent', { state: 'sent' }, 'to=alice', undefined, () => void log.push('stanza'));
    await flush();
    expect(log).toEqual(['append sent', 'transition', 'stanza']);
    land();
    expect(await moved).toMatchObject({ state: 'sent' });
  });

  it('several engines (a lease token): the work waits, since a newer holder may refuse the transition', async () => {
    const { steps, log, land } = setUp({ owns: () => true, token: () => 3 });
    const alongside = () => void log.push('stanza');
    const moved = steps.record(alert, 'sent', { state: 'sent' }, 'to=alice', undefined, alongside);
    await flush();
    expect(log).toEqual(['append sent', 'transition']);
    land();
    await moved;
    expect(log).toEqual(['append sent', 'transition']); // the caller sends once the step is taken
  });
});
