/**
 * An alert's delivery lifecycle (docs/protocol.md §11.2): the states an alert is in and
 * the events the audit chain records. Shared by the engine, the REST API and the dashboard.
 */
export const ALERT_STATES = ['pending', 'held', 'sent', 'server-acked', 'delivered', 'displayed', 'acknowledged', 'escalated', 'expired', 'failed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const AUDIT_EVENTS = [
  'fired', 'sent', 'server-acked', 'delivered', 'displayed', 'acknowledged',
  'resent', 'escalated', 'held', 'released', 'expired', 'failed',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];
