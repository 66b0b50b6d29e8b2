import { Type, type Static } from '@sinclair/typebox';
import { ALERT_STATES, AUDIT_EVENTS } from './alert-lifecycle.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const decimal = Type.String();

/** An alert's state (alert-lifecycle.ts) as a schema. */
export const AlertStateSchema = literals(ALERT_STATES);

/** One step of an alert's delivery, as recorded in the audit chain (docs/alerts-protocol.md §3). */
export const LifecycleStep = Type.Object({
  event: literals(AUDIT_EVENTS),
  at: Type.String(),
  detail: Type.Optional(Type.String()),
});
export type LifecycleStep = Static<typeof LifecycleStep>;

/**
 * An alert with its whole lifecycle: the engine's outbox and history keep it (Redis
 * `td:{alerts}:alert:<id>`), the REST API answers it (GET /v1/alerts) and the dashboard
 * reads it. The one definition of the record; docs/architecture.md "Redis key layout".
 */
export const AlertRecord = Type.Object({
  id: Type.String(),
  ruleId: Type.String(),
  owner: Type.String(),
  /**
   * The rule's recipient when it is not the owner: another desk trader, or a partner desk's
   * trader as a bare JID. Absent: the owner, as before.
   */
  addressee: Type.Optional(Type.String()),
  /** Who it is addressed to now: the addressee (or owner), or the backup after escalation. */
  recipient: Type.String(),
  backup: Type.Optional(Type.String()),
  symbol: Type.String(),
  condition: Type.String(),
  threshold: Type.Optional(decimal),
  lower: Type.Optional(decimal),
  upper: Type.Optional(decimal),
  amount: Type.Optional(decimal),
  windowSeconds: Type.Optional(Type.Integer()),
  price: decimal,
  previousPrice: Type.Optional(decimal),
  reference: Type.Optional(decimal),
  /** A rule across instruments (rule-legs.ts): its spread, ratio or AND conditions in words. */
  series: Type.Optional(Type.String()),
  /** A spread rule: the spread's exact value on the firing tick (`price` is the rule's symbol's). */
  value: Type.Optional(decimal),
  /** A rule across instruments: each instrument's price on the firing tick, the rule's symbol first. */
  legs: Type.Optional(Type.Array(Type.Object({ symbol: Type.String(), price: decimal }))),
  tickSeq: Type.Integer(),
  eventTime: Type.String(),
  /** The feed's ingest stamp of the tick (µs, as on the tick); absent on alerts stored before it was kept. */
  ingestTime: Type.Optional(Type.String()),
  firedAt: Type.String(),
  priority: Type.Union([Type.Literal('normal'), Type.Literal('critical')]),
  message: Type.Optional(Type.String()),
  body: Type.String(),
  state: AlertStateSchema,
  attempts: Type.Integer(),
  /** Epoch ms when the engine looks at it again (resend, escalate, expire). */
  nextActionAt: Type.Integer(),
  lifecycle: Type.Array(LifecycleStep),
  /**
   * A group's message (state grouping until its window ends): the firings it lists, its own
   * first, at most GROUP_LISTED_MAX of them; `more` counts the ones gathered past that.
   */
  group: Type.Optional(
    Type.Object({
      until: Type.String(),
      firings: Type.Array(Type.Object({ id: Type.String(), price: decimal, eventTime: Type.String() })),
      more: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  ),
});
export type AlertRecord = Static<typeof AlertRecord>;
