import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Element, XmppClient } from '@tickdesk/xmpp';
import type { AlertSteps } from './alert-steps.js';
import { createAlertRouter } from './alert-router.js';
import type { AlertsConfig } from './config.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { StoredAlert } from './store/index.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const alert = {
  id: 'a1',
  ruleId: 'r1',
  owner: 'alice',
  recipient: 'alice',
  symbol: 'ESZ6',
  condition: 'crossing-up',
  threshold: '1',
  price: '2',
  tickSeq: 1,
  eventTime: '2026-03-01T12:00:00Z',
  firedAt: '2026-03-01T12:00:00Z',
  priority: 'normal',
  body: 'ESZ6',
  state: 'pending',
  attempts: 0,
  nextActionAt: NOW,
  lifecycle: [],
} as StoredAlert;
const flush = () => new Promise((r) => setTimeout(r, 0));

/** A router whose silence check reports what it was handed; `log` lists steps and stanzas in order. */
function setUp() {
  const log: string[] = [];
  const looks: unknown[] = [];
  const router = createAlertRouter({
    client: { send: async (st: Element) => void log.push(`stanza to ${String(st.attrs.to)}`) } as unknown as XmppClient,
    steps: {
      record: async (x: StoredAlert, event: string, patch: Partial<StoredAlert>) => {
        log.push(`record ${event}`);
        return { ...x, ...patch };
      },
    } as unknown as AlertSteps,
    presence: {
      get: (trader: string) => ({ trader, show: 'online', since: '2026-03-01T12:00:00Z' }),
    } as unknown as PresenceTracker,
    config: { alertTtlMs: 86_400_000, receiptTimeoutMs: 10_000 } as AlertsConfig,
    domain: 'desk.localhost',
    log: pino({ level: 'silent' }),
    canEscalateTo: () => true,
    sentStanzas: new WeakMap(),
    now: () => NOW,
    silenced: async (_a: StoredAlert, found?: Promise<unknown>) => {
      looks.push(found);
      return false;
    },
  });
  return { router, log, looks };
}

describe('routing a new alert, with work begun before it', () => {
  it('records and sends nothing until `before` (its webhook deliveries queued) has landed', async () => {
    const { router, log } = setUp();
    let land!: () => void;
    const before = new Promise<void>((r) => (land = r));
    const routed = router.route(alert, { before });
    await flush();
    expect(log).toEqual([]);
    land();
    await routed;
    expect(log).toEqual(['record sent', 'stanza to alice@desk.localhost']);
  });

  it('does not send when `before` failed: the alert stays pending for the outbox', async () => {
    const { router, log } = setUp();
    await expect(router.route(alert, { before: Promise.reject(new Error('redis away')) })).rejects.toThrow(/away/);
    expect(log).toEqual([]);
  });

  it('hands the silence check the lookup begun with the alert’s fresh read', async () => {
    const { router, looks } = setUp();
    const cover = Promise.resolve(undefined);
    await router.route(alert, { cover });
    expect(looks).toEqual([cover]);
  });
});
