import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_MIN_COOLDOWN_SECONDS } from '@tickdesk/schemas';
import { AlertsError } from './errors.js';
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
  },
  { additionalProperties: false },
);
export type AlertsConfig = Static<typeof AlertsConfig>;

const ENV: Record<string, keyof AlertsConfig> = {
  TICKDESK_ALERTS_RECEIPT_TIMEOUT_MS: 'receiptTimeoutMs',
  TICKDESK_ALERTS_AWAY_RECEIPT_TIMEOUT_MS: 'awayReceiptTimeoutMs',
  TICKDESK_ALERTS_RESENDS: 'resends',
  TICKDESK_ALERTS_RETRY_AFTER_ESCALATION_MS: 'retryAfterEscalationMs',
  TICKDESK_ALERTS_TTL_MS: 'alertTtlMs',
  TICKDESK_ALERTS_POLL_MS: 'pollMs',
  TICKDESK_ALERTS_EXPIRY_SWEEP_MS: 'expirySweepMs',
  TICKDESK_ALERTS_MAX_RULES_PER_TRADER: 'maxRulesPerTrader',
  TICKDESK_ALERTS_MIN_COOLDOWN_S: 'minCooldownSeconds',
  TICKDESK_ALERTS_PER_RULE_MAX: 'alertsPerRule',
  TICKDESK_ALERTS_PER_OWNER_MAX: 'alertsPerOwner',
  TICKDESK_ALERTS_RATE_WINDOW_MS: 'alertRateWindowMs',
  TICKDESK_ALERTS_SUPPRESSED_SUMMARY_MS: 'suppressedSummaryMs',
  TICKDESK_API_WRITE_RATE_MAX: 'writeRateMax',
  TICKDESK_API_RATE_WINDOW_MS: 'writeRateWindowMs',
};

/** The environment variables `loadAlertsConfig` reads. */
export const ALERTS_ENV_VARS = Object.keys(ENV);

/** Defaults completed with `partial`; throws when the result is invalid. */
export function resolveAlertsConfig(partial: Partial<AlertsConfig> = {}): AlertsConfig {
  const config = Value.Default(AlertsConfig, { ...partial }) as AlertsConfig;
  const error = Value.Errors(AlertsConfig, config).First();
  if (error) throw new AlertsError('TICKDESK_ALERTS_BAD_CONFIG', `alerts config ${error.path}: ${error.message}`);
  return config;
}

/** Read the engine's config from `env`; a bad value throws an error naming the variable. */
export function loadAlertsConfig(env: Record<string, string | undefined>): AlertsConfig {
  const partial: Record<string, number> = {};
  for (const [name, field] of Object.entries(ENV)) {
    const text = env[name]?.trim();
    if (text === undefined || text === '') continue;
    const value = /^[0-9]{1,9}$/.test(text) ? Number(text) : Number.NaN;
    const schema = AlertsConfig.properties[field] as { minimum: number; maximum: number };
    if (!Value.Check(AlertsConfig.properties[field], value)) {
      throw new AlertsError('TICKDESK_ALERTS_BAD_CONFIG', `${name}=${JSON.stringify(text)} is invalid: expected an integer from ${schema.minimum} to ${schema.maximum}`);
    }
    partial[field] = value;
  }
  return resolveAlertsConfig(partial);
}
