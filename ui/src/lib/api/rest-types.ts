import type { AlertState, AuditEvent, Bar, BarInterval, Instrument, LastPrice, Rule, RuleInput } from '@tickdesk/schemas';

// Response shapes of the REST API (services/api/src/routes/*), as the dashboard reads them.

export type Role = 'trader' | 'analyst' | 'compliance' | 'admin';
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

export interface LifecycleStep {
  event: AuditEvent;
  at: string;
  detail?: string;
}

/** GET /v1/alerts: an alert with its whole lifecycle. */
export interface AlertRecord {
  id: string;
  ruleId: string;
  owner: string;
  recipient: string;
  backup?: string;
  symbol: string;
  condition: string;
  threshold?: string;
  lower?: string;
  upper?: string;
  amount?: string;
  windowSeconds?: number;
  price: string;
  previousPrice?: string;
  firedAt: string;
  eventTime: string;
  priority: 'normal' | 'critical';
  message?: string;
  body: string;
  state: AlertState;
  attempts: number;
  lifecycle: LifecycleStep[];
}

export interface AlertPage {
  alerts: AlertRecord[];
  next?: string;
}

/** GET /v1/presence. */
export interface TraderPresence {
  trader: string;
  show: 'online' | 'away' | 'xa' | 'dnd' | 'offline';
  status?: string;
  since?: string;
}

/** GET /v1/audit/verify. */
export type AuditVerdict =
  | { ok: true; records: number; head: string }
  | { ok: false; records: number; brokenSeq: number; reason: string };
