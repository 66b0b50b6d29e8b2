import { describe, expect, it } from 'vitest';
import type { EscalationChain, LifecycleStep } from '@tickdesk/schemas';
import { chainEnded, deskNotified, dueAt, nextStep, stepsTaken } from './escalation-progress.js';

const chain: EscalationChain = [
  { to: 'recipient', afterSeconds: 0 },
  { to: 'webhook', afterSeconds: 60 },
  { to: 'desk', afterSeconds: 300 },
];
const at = '2026-03-01T12:01:00.000Z';

describe('escalation progress, read from the lifecycle', () => {
  it('starts after a leading recipient step, which is the first send', () => {
    expect(nextStep(chain, [])?.step.to).toBe('webhook');
    expect(nextStep([{ to: 'webhook', afterSeconds: 5 }], [])?.index).toBe(0);
  });

  it('continues where the records say (another engine, or after a restart), skipped steps counted', () => {
    const life: LifecycleStep[] = [
      { event: 'fired', at },
      { event: 'escalated', at: '2026-03-01T12:00:00.000Z', detail: 'to=bob' },
      { event: 'escalation-skipped', at, detail: 'step=2 to=webhook reason=not-acknowledged-after=60s skipped=x' },
    ];
    expect(stepsTaken(life)).toBe(2);
    expect(nextStep(chain, life)).toEqual({ index: 2, step: { to: 'desk', afterSeconds: 300 } });
    const done = [...life, { event: 'escalated' as const, at, detail: 'step=3 to=desk reason=r notified=a,b' }];
    expect(nextStep(chain, done)).toBeUndefined();
    expect([...deskNotified(done)]).toEqual(['a', 'b']);
  });

  it('counts waits from the firing and ends at an acknowledgement', () => {
    expect(dueAt('2026-03-01T12:00:00.000Z', chain[2]!)).toBe(Date.parse('2026-03-01T12:05:00.000Z'));
    expect(chainEnded({ state: 'delivered', lifecycle: [{ event: 'delivered', at }] })).toBe(false);
    expect(chainEnded({ state: 'escalated', lifecycle: [{ event: 'acknowledged', at }] })).toBe(true);
    expect(chainEnded({ state: 'expired', lifecycle: [] })).toBe(true);
  });
});
