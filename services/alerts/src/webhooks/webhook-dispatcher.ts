import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { formatMillis, type AuditEvent } from '@tickdesk/schemas';
import type { AlertStore, AuditChain, StoredAlert } from '../store/index.js';
import { backoffDelay } from './webhook-backoff.js';
import type { WebhooksConfig } from './webhook-config.js';
import { postOnce, type PostOutcome } from './webhook-post.js';
import { SIGNATURE_HEADER, signature } from './webhook-signature.js';
import type { WebhookEndpoint, WebhookJob, WebhookStore } from './webhook-store.js';

export const IDEMPOTENCY_HEADER = 'Tickdesk-Idempotency-Key';

export interface WebhookDispatcherDeps {
  store: WebhookStore;
  alerts: AlertStore;
  audit: AuditChain;
  config: WebhooksConfig;
  log: Logger;
  registry: Registry;
  now?: () => number;
  random?: () => number;
  post?: typeof postOnce;
}

/**
 * The JSON body of a delivery (docs/alerts-protocol.md "Webhooks"): the alert record the XMPP
 * message carries; an escalation chain's step is `alert.escalated` with `escalation.step`.
 */
export function webhookBody(alert: StoredAlert, nowMs: number, escalationStep?: number): string {
  const { state: _s, attempts: _a, nextActionAt: _n, lifecycle: _l, recipient: _r, ...record } = alert;
  const timestamp = formatMillis(nowMs);
  if (escalationStep === undefined)
    return JSON.stringify({ id: alert.id, type: 'alert.fired', timestamp, alert: record });
  const escalation = { step: escalationStep };
  return JSON.stringify({ id: alert.id, type: 'alert.escalated', timestamp, escalation, alert: record });
}

/**
 * Delivers each alert to its owner's and the desk-wide endpoints: due deliveries are taken
 * from Redis (so a restart resumes them), at most `concurrency` at once per endpoint, each
 * attempt's outcome appended to the audit chain and the alert's lifecycle.
 */
export function createWebhookDispatcher(deps: WebhookDispatcherDeps) {
  const { store, alerts, audit, config, log, now = Date.now, random = Math.random, post = postOnce } = deps;
  const outcomes = new Counter({
    name: 'tickdesk_alerts_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome (delivered, failed, dead-lettered)',
    labelNames: ['outcome'] as const,
    registers: [deps.registry],
  });
  const policy = { attempts: config.attempts, baseMs: config.backoffBaseMs, capMs: config.backoffCapMs };
  const lease = config.timeoutMs + 30_000;
  const running = new Map<string, Promise<void>>();
  const perEndpoint = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  /** The endpoint as records name it: with the escalation step a chain's delivery is. */
  const label = (job: WebhookJob, ep: WebhookEndpoint): string =>
    job.escalation === undefined ? ep.id : `${ep.id} escalation-step=${job.escalation}`;

  async function step(alert: StoredAlert, event: AuditEvent, detail: string): Promise<void> {
    await audit.append({ alertId: alert.id, trader: alert.owner, symbol: alert.symbol, event, stanzaHash: '', detail });
    await alerts.transition(alert.id, {}, { event, at: formatMillis(now()), detail });
  }

  async function settleFailure(
    job: WebhookJob,
    ep: WebhookEndpoint,
    alert: StoredAlert,
    o: PostOutcome & { ok: false },
  ) {
    const n = job.attempt + 1;
    const wait = o.retry ? backoffDelay(n, policy, random) : undefined;
    const next = wait === undefined ? 'not retried' : `retry in ${Math.round(wait / 1000)} s`;
    await step(alert, 'webhook-failed', `${label(job, ep)} ${o.reason}, attempt ${n}, ${next}`);
    outcomes.inc({ outcome: 'failed' });
    if (wait !== undefined) return store.retryAt(job.id, n, now() + wait);
    const at = formatMillis(now());
    await store.deadLetter(
      { id: job.id, alertId: alert.id, endpointId: ep.id, owner: ep.owner, attempts: n, lastError: o.reason, at },
      now(),
    );
    await step(
      alert,
      'webhook-dead-lettered',
      `${label(job, ep)} after ${n} attempt${n === 1 ? '' : 's'}: ${o.reason}`,
    );
    outcomes.inc({ outcome: 'dead-lettered' });
  }

  async function attempt(job: WebhookJob): Promise<void> {
    const [ep, alert] = await Promise.all([store.get(job.endpointId), alerts.get(job.alertId)]);
    if (!ep || !alert) return store.settle(job.id); // the endpoint was removed, or the alert is gone
    const t = now();
    const body = webhookBody(alert, t, job.escalation);
    const headers = {
      [SIGNATURE_HEADER]: signature(ep.secret, Math.floor(t / 1000), body),
      [IDEMPOTENCY_HEADER]: job.id,
      'user-agent': 'tickdesk-webhooks/1',
    };
    const o = await post(ep.url, headers, body, {
      timeoutMs: config.timeoutMs,
      maxResponseBytes: config.responseMaxBytes,
      allowPrivate: config.allowPrivate,
    });
    if (!o.ok) return settleFailure(job, ep, alert, o);
    await step(alert, 'webhook-delivered', `${label(job, ep)} HTTP ${o.status}, attempt ${job.attempt + 1}`);
    await store.settle(job.id);
    outcomes.inc({ outcome: 'delivered' });
  }

  function start(job: WebhookJob): void {
    perEndpoint.set(job.endpointId, (perEndpoint.get(job.endpointId) ?? 0) + 1);
    const run = attempt(job)
      .catch((err: Error) =>
        log.warn({ err, delivery: job.id }, 'webhook attempt not recorded; due again after its lease'),
      )
      .finally(() => {
        running.delete(job.id);
        const left = (perEndpoint.get(job.endpointId) ?? 1) - 1;
        if (left === 0) perEndpoint.delete(job.endpointId);
        else perEndpoint.set(job.endpointId, left);
      });
    running.set(job.id, run);
  }

  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      for (const job of await store.due(now(), 500)) {
        if (running.has(job.id) || (perEndpoint.get(job.endpointId) ?? 0) >= config.concurrency) continue;
        if (await store.claim(job.id, now(), lease)) start(job);
      }
    } catch (err) {
      log.warn({ err }, 'webhook poll failed');
    } finally {
      polling = false;
    }
  }

  return {
    /**
     * Deliveries of `alert` to its owner's and the desk-wide endpoints, due now. `after`: its
     * `fired` record being appended; the endpoints are read meanwhile, the deliveries queued
     * only once it is in (a queued delivery may be posted at once).
     */
    async enqueue(alert: StoredAlert, after?: Promise<unknown>): Promise<void> {
      if (alert.state === 'suppressed' || alert.state === 'retired') return; // never sent, so never posted
      const eps = await store.forAlert(alert.owner);
      await after;
      // A group's alert (flap-control.ts) is posted when its window ends, listing every firing.
      if (eps.length > 0)
        await store.enqueue(
          alert.id,
          eps.map((e) => e.id),
          alert.state === 'grouping' ? alert.nextActionAt : now(),
        );
    },
    /**
     * An escalation chain's webhook step (escalation/): the alert to `trader`'s own endpoints
     * (desk-wide ones got it when it fired), each a delivery of its own; the endpoint ids.
     */
    async escalate(alert: StoredAlert, trader: string, step: number): Promise<string[]> {
      const ids = (await store.list(trader)).map((e) => e.id);
      await store.enqueue(alert.id, ids, now(), step);
      return ids;
    },
    /**
     * Alerts an engine stored but never sent (it stopped between the two) are still pending:
     * their deliveries are queued now, before the outbox sends them (enqueue is idempotent).
     */
    async catchUp(): Promise<void> {
      if (!(await store.any())) return; // a desk without endpoints reads no outbox at start
      for (const a of await alerts.due(now(), 10_000)) if (a.state === 'pending') await this.enqueue(a);
    },
    poll,
    start(): void {
      timer = setInterval(() => void poll(), config.pollMs);
    },
    /** No new attempt; the ones under way end (each within its timeout). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.all([...running.values()]);
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
