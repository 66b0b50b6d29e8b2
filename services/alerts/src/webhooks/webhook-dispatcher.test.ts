import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AlertStore, AuditChain, StoredAlert } from '../store/index.js';
import { resolveWebhooksConfig } from './webhook-config.js';
import { createWebhookDispatcher } from './webhook-dispatcher.js';
import type { PostOutcome } from './webhook-post.js';
import type { WebhookJob, WebhookStore } from './webhook-store.js';

const alert = { id: 'a1', owner: 'alice', symbol: 'BTCUSDT', state: 'sent', lifecycle: [] } as unknown as StoredAlert;

/** `jobs` in memory, all due until settled; every endpoint exists. */
function fakeStore(jobs: WebhookJob[]) {
  const settled: string[] = [];
  const store = {
    get: (id: string) => Promise.resolve({ id, url: `http://x/${id}`, owner: 'alice', createdAt: '', secret: 's' }),
    due: () => Promise.resolve(jobs.filter((j) => !settled.includes(j.id))),
    claim: () => Promise.resolve(true),
    settle(id: string) {
      settled.push(id);
      return Promise.resolve();
    },
    retryAt: () => Promise.resolve(),
    deadLetter: () => Promise.resolve(),
  };
  return { store: store as unknown as WebhookStore, settled };
}

function dispatcher(store: WebhookStore, post: (url: string) => Promise<PostOutcome>) {
  const alerts = {
    get: () => Promise.resolve(alert),
    transition: () => Promise.resolve(undefined),
  } as unknown as AlertStore;
  const audit = { append: () => Promise.resolve() } as unknown as AuditChain;
  const d = createWebhookDispatcher({
    store,
    alerts,
    audit,
    config: resolveWebhooksConfig({ concurrency: 4 }),
    log: pino({ level: 'silent' }),
    registry: new Registry(),
    post: (url) => post(url),
  });
  return { d };
}

describe('webhook dispatcher', () => {
  it('holds at most `concurrency` attempts to one endpoint, and the others go on meanwhile', async () => {
    const jobs = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `a${i}|slow`, alertId: `a${i}`, endpointId: 'slow', attempt: 0 })),
      { id: 'a1|fast', alertId: 'a1', endpointId: 'fast', attempt: 0 },
    ];
    const { store, settled } = fakeStore(jobs);
    let inFlight = 0;
    let most = 0;
    const hung: Array<() => void> = [];
    const { d } = dispatcher(store, async (url) => {
      if (url.endsWith('/fast')) return { ok: true, status: 200 };
      most = Math.max(most, ++inFlight);
      await new Promise<void>((r) => hung.push(r));
      inFlight--;
      return { ok: true, status: 204 };
    });
    await d.poll();
    await d.poll();
    await new Promise((r) => setTimeout(r, 10));
    expect(most).toBe(4);
    expect(hung).toHaveLength(4);
    expect(settled).toEqual(['a1|fast']);
    while (hung.length > 0) {
      hung.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 10));
      await d.poll();
      await new Promise((r) => setTimeout(r, 10));
    }
    await d.stop();
    expect(most).toBe(4);
    expect(settled).toHaveLength(11);
  });

  it('does not post an alert that was suppressed', async () => {
    const { store } = fakeStore([]);
    let asked = 0;
    const forAlert = () => {
      asked++;
      return Promise.resolve([]);
    };
    const { d } = dispatcher({ ...store, forAlert }, () => Promise.resolve({ ok: true, status: 200 }));
    await d.enqueue({ ...alert, state: 'suppressed' });
    expect(asked).toBe(0);
    await d.enqueue(alert);
    expect(asked).toBe(1);
  });

  it("queues a group's alert for when its window ends, when it lists every firing of the window", async () => {
    const { store } = fakeStore([]);
    const queued: number[] = [];
    const forAlert = () => Promise.resolve([{ id: 'ep1' }]);
    const enqueue = (_id: string, _eps: string[], at: number) => {
      queued.push(at);
      return Promise.resolve(1);
    };
    const { d } = dispatcher({ ...store, forAlert, enqueue } as unknown as WebhookStore, () =>
      Promise.resolve({ ok: true, status: 200 }),
    );
    const windowEnd = Date.now() + 30_000;
    await d.enqueue({ ...alert, state: 'grouping', nextActionAt: windowEnd });
    expect(queued).toEqual([windowEnd]);
  });
});

describe('webhook dispatcher: a new alert', () => {
  it('reads its endpoints at once, but queues its deliveries only once `after` (its fired record) has landed', async () => {
    const log: string[] = [];
    const store = {
      forAlert: () => (log.push('endpoints read'), Promise.resolve([{ id: 'e1' }])),
      enqueue: (id: string, eps: string[]) => (log.push(`queued ${id} to ${eps.join(',')}`), Promise.resolve(1)),
    } as unknown as WebhookStore;
    const { d } = dispatcher(store, () => Promise.resolve({ ok: true, status: 200 }));
    let land!: () => void;
    const after = new Promise<void>((r) => (land = r));
    const queued = d.enqueue({ ...alert, state: 'pending' }, after);
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(['endpoints read']);
    land();
    await queued;
    expect(log).toEqual(['endpoints read', 'queued a1 to e1']);
  });

  it('queues nothing when `after` failed (the alert is not sent either; the outbox retries it)', async () => {
    const queued: string[] = [];
    const store = {
      forAlert: () => Promise.resolve([{ id: 'e1' }]),
      enqueue: (id: string) => (queued.push(id), Promise.resolve(1)),
    } as unknown as WebhookStore;
    const { d } = dispatcher(store, () => Promise.resolve({ ok: true, status: 200 }));
    await expect(d.enqueue({ ...alert, state: 'pending' }, Promise.reject(new Error('away')))).rejects.toThrow(/away/);
    expect(queued).toEqual([]);
  });
});
