import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_MIN_COOLDOWN_SECONDS, loadEnvConfig, resolveConfig, type Env, type EnvSpec } from '@tickdesk/schemas';
import { AlertsError } from './errors.js';
import { DEFAULT_REMOTE_TRADERS_MAX } from './remote-subscriptions.js';
import { DEFAULT_MAX_RULES_PER_OWNER } from './store/index.js';

const Ms = (def: number, min = 1) => Type.Integer({ minimum: min, maximum: 86_400_000, default: def });
const Count = (def: number) => Type.Integer({ minimum: 1, maximum: 1_000_000, default: def });

/** Alert engine configuration; every field has a default. */
export const AlertsConfig = Type.Object(
  {
    /** How long an available trader has to send a receipt before the alert is resent. */
    receiptTimeoutMs: Ms(10_000),
    /** The same for a trader who is away or xa: escalation comes sooner. */
    awayReceiptTimeoutMs: Ms(4_000),
    /** Resends (same id) before the backup trader is told. */
    resends: Type.Integer({ minimum: 0, maximum: 10, default: 1 }),
    /** After escalation, resends keep going at this interval (doubling, capped at 16×). */
    retryAfterEscalationMs: Ms(30_000),
    /** An alert nobody confirmed within this time stops being resent and is recorded as expired. */
    alertTtlMs: Ms(86_400_000, 1_000),
    /** How often the outbox is polled for due resends and escalations. */
    pollMs: Ms(200, 10),
    /** How often expired rules are swept. */
    expirySweepMs: Ms(1_000, 10),
    /** Rules one trader may have stored, whatever their status (the API reads the same variable). */
    maxRulesPerTrader: Count(DEFAULT_MAX_RULES_PER_OWNER),
    /**
     * Partner desks' traders the engine follows (presence subscription, roster item, presence
     * entry) at most; a rule naming one more is refused (the API reads the same variable).
     */
    remoteTradersMax: Count(DEFAULT_REMOTE_TRADERS_MAX),
    /** The shortest cooldown of an every-time rule, seconds; a stored rule with less is evaluated with this (the API reads the same variable). */
    minCooldownSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: DEFAULT_MIN_COOLDOWN_SECONDS }),
    /**
     * Alerts one rule may send within alertRateWindowMs; more are recorded as suppressed.
     * 10 a minute: above what a 10 s cooldown allows (6), so only once-per-bar 1s rules meet it.
     */
    alertsPerRule: Count(10),
    /** Alerts one trader's rules together may send within alertRateWindowMs: one a second on average, a burst of 60. */
    alertsPerOwner: Count(60),
    alertRateWindowMs: Ms(60_000, 1_000),
    /**
     * Firings over a cap after the first one recorded in full are counted; a count that grew
     * becomes one `suppressed` record this often (per rule for the rule cap, per trader for the owner cap).
     */
    suppressedSummaryMs: Ms(10_000, 100),
    /** Rule writes by chat and ad-hoc per user per window, counted with the REST API's writes (same variables, same Redis counter). */
    writeRateMax: Count(120),
    writeRateWindowMs: Ms(60_000, 1_000),
    /**
     * Engine processes sharing the instruments by leases (instrument-ownership.ts); 1: this
     * engine owns every instrument, no lease. At most 16: each is a process on the machine.
     */
    engines: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
    /**
     * An engine's instrument lease: renewed every third of it; an engine that stalls or dies
     * has its instruments taken over after at most this plus a third (goal: 5 s).
     */
    leaseMs: Ms(3_000, 300),
    /** Audit records the `audit` pubsub node keeps for readers to fetch (the chain in Redis keeps them all). */
    auditFeedItems: Type.Integer({ minimum: 1, maximum: 1_000, default: 1_000 }),
  },
  { additionalProperties: false },
);
export type AlertsConfig = Static<typeof AlertsConfig>;

/** The variable of each field. */
const VARS: Record<keyof AlertsConfig, string> = {
  receiptTimeoutMs: 'TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS',
  awayReceiptTimeoutMs: 'TICKDESK_ALERTS_AWAY_RECEIPT_TIMEOUT_MS',
  resends: 'TICKDESK_ALERTS_RESENDS',
  retryAfterEscalationMs: 'TICKDESK_ALERTS_RETRY_AFTER_ESCALATION_MS',
  alertTtlMs: 'TICKDESK_ALERTS_TTL_MS',
  pollMs: 'TICKDESK_ALERTS_POLL_MS',
  expirySweepMs: 'TICKDESK_ALERTS_EXPIRY_SWEEP_MS',
  maxRulesPerTrader: 'TICKDESK_ALERTS_MAX_RULES_PER_TRADER',
  remoteTradersMax: 'TICKDESK_ALERTS_REMOTE_TRADERS_MAX',
  minCooldownSeconds: 'TICKDESK_ALERTS_MIN_COOLDOWN_S',
  alertsPerRule: 'TICKDESK_ALERTS_PER_RULE_MAX',
  alertsPerOwner: 'TICKDESK_ALERTS_PER_OWNER_MAX',
  alertRateWindowMs: 'TICKDESK_ALERTS_RATE_WINDOW_MS',
  suppressedSummaryMs: 'TICKDESK_ALERTS_SUPPRESSED_SUMMARY_MS',
  writeRateMax: 'TICKDESK_API_WRITE_RATE_MAX',
  writeRateWindowMs: 'TICKDESK_API_RATE_WINDOW_MS',
  engines: 'TICKDESK_ALERT_ENGINES',
  leaseMs: 'TICKDESK_ALERTS_LEASE_TTL_MS',
  auditFeedItems: 'TICKDESK_ALERTS_AUDIT_FEED_ITEMS',
};
const SPEC: EnvSpec<typeof AlertsConfig> = {
  schema: AlertsConfig,
  vars: VARS,
  error: (message) => new AlertsError('TICKDESK_ALERTS_BAD_CONFIG', message),
};

/** The environment variables `loadAlertsConfig` reads. */
export const ALERTS_ENV_VARS = Object.values(VARS);

/** Defaults completed with `partial`; throws when the result is invalid. */
export function resolveAlertsConfig(partial: Partial<AlertsConfig> = {}): AlertsConfig {
  return resolveConfig(SPEC, partial, 'alerts config');
}

/** Read the engine's config from `env`; a bad value throws an error naming the variable. */
export function loadAlertsConfig(env: Env): AlertsConfig {
  return loadEnvConfig(SPEC, env, 'alerts config');
}
