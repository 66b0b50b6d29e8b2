import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../api/rest-types.js';
import { fromRecord } from './alert-view.js';

const record = (state: string, events: string[]) =>
  ({
    id: 'a1',
    ruleId: 'r1',
    owner: 'alice',
    recipient: 'alice',
    symbol: 'BTCUSDT',
    condition: 'greater-than',
    threshold: '65000',
    price: '65001',
    tickSeq: 1,
    eventTime: '2026-12-06T10:00:00Z',
    firedAt: '2026-12-06T10:00:00.000Z',
    priority: 'normal',
    body: '',
    state,
    attempts: 0,
    nextActionAt: 0,
    lifecycle: events.map((event) => ({ event, at: '2026-12-06T10:00:00.000Z' })),
  }) as unknown as AlertRecord;

describe('alerts from the history', () => {
  it('a suppressed or retired alert is finished: nothing to mark, nothing waiting for the trader', () => {
    for (const [state, events] of [
      ['suppressed', ['suppressed']],
      ['retired', ['fired', 'sent', 'retired']],
      // Listed in its group's message (flap control), never sent alone: that message is the one to mark.
      ['grouped', ['grouped']],
    ] as const) {
      expect(fromRecord(record(state, [...events]), 'alerts@desk.localhost'), state).toMatchObject({
        markable: false,
        displayed: true,
        acknowledged: false,
      });
    }
    expect(fromRecord(record('sent', ['fired', 'sent']), 'alerts@desk.localhost')).toMatchObject({
      markable: true,
      displayed: false,
    });
  });
});
