import { describe, expect, it } from 'vitest';
import type { DeskShow } from '@tickdesk/schemas';
import { decide, type RouteAction, type RoutedAlert } from './routing.js';

const config = { receiptTimeoutMs: 10_000, awayReceiptTimeoutMs: 30_000, retryAfterEscalationMs: 20_000 };
const NOW = 1_000_000;
const alert = (over: Partial<RoutedAlert> = {}): RoutedAlert => ({
  state: 'pending',
  priority: 'normal',
  escalatable: true,
  ...over,
});

// [what, alert, owner's presence, action]
const TABLE: Array<[string, RoutedAlert, DeskShow, RouteAction]> = [
  ['online: sent, receipt awaited for the normal time', alert(), 'online', { kind: 'send', due: NOW + 10_000 }],
  ['away: sent, receipt awaited longer', alert(), 'away', { kind: 'send', due: NOW + 30_000 }],
  ['xa: sent, receipt awaited longer', alert(), 'xa', { kind: 'send', due: NOW + 30_000 }],
  ['dnd: a normal alert is held', alert(), 'dnd', { kind: 'hold' }],
  ['dnd: a critical alert goes through', alert({ priority: 'critical' }), 'dnd', { kind: 'send', due: NOW + 10_000 }],
  [
    'offline: sent for offline storage and the backup told',
    alert(),
    'offline',
    { kind: 'send-and-escalate', due: NOW + 20_000 },
  ],
  [
    'offline, no backup to tell: sent only',
    alert({ escalatable: false }),
    'offline',
    { kind: 'send', due: NOW + 20_000 },
  ],
  [
    'offline, critical: the same as normal',
    alert({ priority: 'critical' }),
    'offline',
    { kind: 'send-and-escalate', due: NOW + 20_000 },
  ],
  ['held, owner still dnd: stays held', alert({ state: 'held' }), 'dnd', { kind: 'keep-held' }],
  ['held, owner online: released', alert({ state: 'held' }), 'online', { kind: 'release' }],
  ['held, owner away: released', alert({ state: 'held' }), 'away', { kind: 'release' }],
  [
    'held, owner offline: released (then sent for offline storage)',
    alert({ state: 'held' }),
    'offline',
    { kind: 'release' },
  ],
];

describe('decide: presence → routing action', () => {
  for (const [what, a, show, action] of TABLE) {
    it(what, () => {
      expect(decide(a, { show }, config, NOW)).toEqual(action);
    });
  }
});
