import type { Bar, BarInterval, Instrument, Rule, RuleInput } from '@tickdesk/schemas';

// Response shapes of the REST API (services/api/src/routes/*), as the dashboard reads them.

export type Role = 'trader' | 'analyst' | 'compliance' | 'admin';
export type { Bar, BarInterval, Instrument, Rule, RuleInput };

export interface IssuedToken {
  token: string;
  expiresAt: string;
  user: string;
  role: Role;
}

export interface LastPrice {
  symbol: string;
  price: string;
  size: string;
  seq: number;
  eventTime: string;
  ingestTime: string;
}

export interface CandlePage {
  symbol: string;
  interval: BarInterval;
  candles: Bar[];
  nextCursor?: string;
}

export type AlertState =
  | 'pending' | 'held' | 'sent' | 'server-acked' | 'delivered' | 'displayed' | 'acknowledged' | 'escalated' | 'expired' | 'failed';
export const ALERT_STATES: readonly AlertState[] = [
  'pending', 'held', 'sent', 'server-acked', 'delivered', 'displayed', 'acknowledged', 'escalated', 'expired', 'failed',
];

export interface LifecycleStep {
  event: string;
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
