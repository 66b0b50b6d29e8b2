import type { AlertRecord, AlertState, Bar, DeskRole, BarInterval, Instrument, LastPrice, LifecycleStep, Rule, RuleInput, TraderPresence } from '@tickdesk/schemas';

// Response shapes of the REST API (services/api/src/routes/*), as the dashboard reads them.

export type Role = DeskRole;
export type { AlertState, Bar, BarInterval, Instrument, LastPrice, Rule, RuleInput };

export interface IssuedToken {
  token: string;
  expiresAt: string;
  user: string;
  role: Role;
}

export interface CandlePage {
  symbol: string;
  interval: BarInterval;
  candles: Bar[];
  nextCursor?: string;
}

/** GET /v1/alerts: an alert with its whole lifecycle, the engine's record. */
export type { AlertRecord, LifecycleStep };

export interface AlertPage {
  alerts: AlertRecord[];
  next?: string;
}

/** GET /v1/presence. */
export type { TraderPresence };

/** GET /v1/audit/verify. */
export type AuditVerdict =
  | { ok: true; records: number; head: string }
  | { ok: false; records: number; brokenSeq: number; reason: string };

/** GET /health (no token; 503 with the same body while a component is not running): services/api/src/routes/health.ts. */
export interface ComponentHealth {
  state: 'starting' | 'running' | 'degraded' | 'stopped';
  detail?: string;
  restarts?: number;
  lastExit?: string;
  lastRestartAt?: string;
  role?: 'primary' | 'replica';
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  time: string;
  components: Record<string, ComponentHealth>;
}
