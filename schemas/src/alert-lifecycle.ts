/**
 * An alert's delivery lifecycle (docs/alerts-protocol.md §3): the states an alert is in and
 * the events the audit chain records. Shared by the engine, the REST API and the dashboard.
 *
 * suppressed: a firing over a rate cap (per rule or per owner), stored and audited but never sent.
 * retired: an outstanding alert whose rule was deleted or paused, or whose trader was
 * disabled; no more resends or escalation.
 * grouping: the first firing of a rule with groupWindowSeconds, waiting until its window ends
 * to go out as one message listing every firing of the window; grouped: a later firing of that
 * window, listed in that message and never sent alone (docs/alerts-protocol.md "Flap control").
 */
export const ALERT_STATES = [
  'pending',
  'held',
  'sent',
  'server-acked',
  'delivered',
  'displayed',
  'acknowledged',
  'escalated',
  'expired',
  'failed',
  'suppressed',
  'retired',
  'grouping',
  'grouped',
] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * rule-paused is about a rule, not an alert: its record carries the rule id as alertId
 * (for example when an admin disables the rule's owner).
 * rule-limited: a rule that paused itself after its maxFirings (alertId = the rule id).
 * grouped: a firing gathered into its rule's open group (detail into=<alert id>).
 * webhook-*: one endpoint's delivery of the alert (docs/alerts-protocol.md "Webhooks"); they
 * never change the alert's state, which follows its XMPP delivery.
 * escalation-skipped: a step of the alert's escalation chain not taken, its detail says why
 * (docs/alerts-protocol.md "Escalation chains"); the alert's state does not change.
 */
export const AUDIT_EVENTS = [
  'fired',
  'sent',
  'server-acked',
  'delivered',
  'displayed',
  'acknowledged',
  'resent',
  'escalated',
  'held',
  'released',
  'expired',
  'failed',
  'suppressed',
  'retired',
  'rule-paused',
  'webhook-delivered',
  'webhook-failed',
  'webhook-dead-lettered',
  'rule-limited',
  'grouped',
  'escalation-skipped',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];
