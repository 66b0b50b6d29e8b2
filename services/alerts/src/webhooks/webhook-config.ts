import { Type, type Static } from '@sinclair/typebox';
import { loadEnvConfig, resolveConfig, type Env, type EnvSpec } from '@tickdesk/schemas';
import { AlertsError } from '../errors.js';
import { DEFAULT_WEBHOOKS_PER_OWNER } from './webhook-store.js';

const Int = (def: number, min: number, max: number) => Type.Integer({ minimum: min, maximum: max, default: def });

/** Webhook delivery settings (docs/operations.md settings; the API reads the same variables). */
export const WebhooksConfig = Type.Object(
  {
    /** An attempt's whole exchange, connection to the last byte read (TradingView's 3 s loses slow receivers; 5 s). */
    timeoutMs: Int(5_000, 100, 60_000),
    /** Attempts in all before a delivery is dead-lettered. */
    attempts: Int(8, 1, 20),
    /** The first retry's wait at most, doubling each time, full jitter. */
    backoffBaseMs: Int(30_000, 10, 3_600_000),
    backoffCapMs: Int(1_200_000, 10, 86_400_000),
    /** Attempts under way to one endpoint at once: a slow endpoint holds only these. */
    concurrency: Int(4, 1, 64),
    /** Response bytes read at most; the rest is dropped. */
    responseMaxBytes: Int(65_536, 0, 16_777_216),
    /** Endpoints one trader (or the desk, desk-wide) may register. */
    perOwnerMax: Int(DEFAULT_WEBHOOKS_PER_OWNER, 1, 1_000),
    /** Endpoints at loopback, private or link-local addresses (a test's local receiver); off: none reaches the desk's network. */
    allowPrivate: Type.Boolean({ default: false }),
    /** How often due deliveries are looked for. */
    pollMs: Int(200, 10, 60_000),
  },
  { additionalProperties: false },
);
export type WebhooksConfig = Static<typeof WebhooksConfig>;

const VARS: Record<keyof WebhooksConfig, string> = {
  timeoutMs: 'TICKDESK_WEBHOOKS_TIMEOUT_MS',
  attempts: 'TICKDESK_WEBHOOKS_ATTEMPTS',
  backoffBaseMs: 'TICKDESK_WEBHOOKS_BACKOFF_BASE_MS',
  backoffCapMs: 'TICKDESK_WEBHOOKS_BACKOFF_CAP_MS',
  concurrency: 'TICKDESK_WEBHOOKS_CONCURRENCY',
  responseMaxBytes: 'TICKDESK_WEBHOOKS_RESPONSE_MAX_BYTES',
  perOwnerMax: 'TICKDESK_WEBHOOKS_PER_OWNER_MAX',
  allowPrivate: 'TICKDESK_WEBHOOKS_ALLOW_PRIVATE',
  pollMs: 'TICKDESK_WEBHOOKS_POLL_MS',
};
const SPEC: EnvSpec<typeof WebhooksConfig> = {
  schema: WebhooksConfig,
  vars: VARS,
  error: (message) => new AlertsError('TICKDESK_ALERTS_BAD_CONFIG', message),
};

export const WEBHOOKS_ENV_VARS = Object.values(VARS);

export function resolveWebhooksConfig(partial: Partial<WebhooksConfig> = {}): WebhooksConfig {
  return resolveConfig(SPEC, partial, 'webhooks config');
}

export function loadWebhooksConfig(env: Env): WebhooksConfig {
  return loadEnvConfig(SPEC, env, 'webhooks config');
}
