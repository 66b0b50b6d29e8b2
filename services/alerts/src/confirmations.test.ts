import { EventEmitter } from 'node:events';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { NS_RECEIPTS, xml, type XmppClient } from '@tickdesk/xmpp';
import { createAlertsMetrics } from './alerts-metrics.js';
import type { AlertSteps } from './alert-steps.js';
import { createConfirmations } from './confirmations.js';
import type { AlertStore, StoredAlert } from './store/index.js';

const ENGINE = 'alerts@desk.localhost/e1';
const local = { id: 'a1', owner: 'bob', recipient: 'bob', symbol: 'ESZ6', state: 'sent', lifecycle: [] };

function harness(alert: Record<string, unknown> = local, peers?: ReadonlySet<string>) {
  const recorded: { event: string; detail: string | undefined }[] = [];
  const client = Object.assign(new EventEmitter(), {
    jid: () => ENGINE,
    streamManagement: new EventEmitter(),
  }) as unknown as XmppClient & EventEmitter;
  const steps = {
    serial: (_id: string, job: () => Promise<unknown>) => job(),
    withFresh: async () => undefined,
    record: async (_alert: StoredAlert, event: string, _patch: unknown, detail?: string) =>
      void recorded.push({ event, detail }),
  } as unknown as AlertSteps;
  const metrics = createAlertsMetrics();
  const confirmations = createConfirmations({
    client,
    alerts: { get: async (id: string) => (id === 'a1' ? alert : undefined) } as unknown as AlertStore,
    steps,
    metrics,
    ownership: { owns: () => true, token: () => undefined },
    domain: 'desk.localhost',
    ...(peers ? { peers } : {}),
    log: pino({ level: 'silent' }),
    sentStanzas: new WeakMap(),
  });
  confirmations.start();
  /** A receipt (XEP-0184 §5) for the alert from `from`, once it has been handled. */
  async function receipt(from: string) {
    const n = recorded.length;
    client.emit('stanza', xml('message', { from, to: ENGINE }, xml('received', { xmlns: NS_RECEIPTS, id: 'a1' })));
    await new Promise((r) => setTimeout(r, 5));
    return recorded.slice(n);
  }
  const ignored = async () => (await metrics.ignored.get()).values.find((v) => v.labels.reason === 'not-the-recipient');
  return { receipt, ignored, stop: () => confirmations.stop() };
}

// RFC 7622 §3: the bare JID is everything before the first '/', the local part everything
// before the first '@' of that; the domain and the local part compare case-insensitively.
describe('a receipt counts only when its bare from is the recipient', () => {
  it("counts one from the recipient whatever its resource holds, '@' and '/' included", async () => {
    const h = harness();
    expect(await h.receipt('bob@desk.localhost/c@d/e')).toEqual([{ event: 'delivered', detail: 'by=bob' }]);
    h.stop();
  });

  it('counts one from the recipient written in other case (RFC 7622 §3.2, §3.3)', async () => {
    const h = harness();
    expect(await h.receipt('Bob@Desk.Localhost/phone')).toEqual([{ event: 'delivered', detail: 'by=bob' }]);
    h.stop();
  });

  it("ignores one from another user, another domain, or a domain that only begins with the desk's", async () => {
    const h = harness();
    for (const from of ['mallory@desk.localhost/x', 'bob@evil.example/x', 'bob@desk.localhost@evil.example/x'])
      expect(await h.receipt(from), from).toEqual([]);
    expect((await h.ignored())?.value).toBe(3);
    h.stop();
  });
});

describe("a partner desk's trader as the rule's recipient", () => {
  const remote = { ...local, addressee: 'carol@deskb.localhost', recipient: 'carol@deskb.localhost' };
  const peers = new Set(['deskb.localhost']);

  it('counts a receipt whose bare from is the remote recipient, and the step names the remote JID', async () => {
    const h = harness(remote, peers);
    expect(await h.receipt('carol@deskb.localhost/phone')).toEqual([
      { event: 'delivered', detail: 'by=carol@deskb.localhost' },
    ]);
    h.stop();
  });

  it('ignores one from another account of the same partner desk, from the owner, or from an unlisted domain', async () => {
    const h = harness(remote, peers);
    for (const from of ['dave@deskb.localhost/phone', 'bob@desk.localhost/x', 'carol@deskc.localhost/x'])
      expect(await h.receipt(from), from).toEqual([]);
    expect((await h.ignored())?.value).toBe(3);
    h.stop();
  });

  it('ignores the remote JID when its domain is not a peer (any more)', async () => {
    const h = harness(remote);
    expect(await h.receipt('carol@deskb.localhost/phone')).toEqual([]);
    h.stop();
  });
});
