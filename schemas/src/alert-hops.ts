import { Type, type Static } from '@sinclair/typebox';
import type { AuditEvent } from './alert-lifecycle.js';
import type { AlertRecord } from './alert-record.js';
import { parseTimestamp } from './time.js';

const ms = (description: string) => Type.Optional(Type.Integer({ description: `${description}, ms` }));

/**
 * An alert's hop durations in whole milliseconds (RTS 25: 1 ms granularity for non-HFT
 * trading), from its stored times (docs/alerts-protocol.md "Hops"). A hop whose start or end
 * is not recorded is absent, never 0.
 */
export const AlertHops = Type.Object(
  {
    eventToIngest: ms(
      "the venue's event time to the feed's ingest stamp (two clocks: negative when the venue's runs ahead)",
    ),
    ingestToFired: ms('ingest to the engine storing the firing (feed batch, pubsub, evaluation, outbox write)'),
    firedToSent: ms('fired to the first transmission (sent, resent or escalated; a hold for a busy trader included)'),
    sentToServerAcked: ms("the first transmission to the server's first XEP-0198 ack"),
    sentToDelivered: ms('the first transmission to the XEP-0184 receipt (resends included)'),
    deliveredToDisplayed: ms('receipt to the XEP-0333 displayed marker'),
    displayedToAcknowledged: ms('displayed to the XEP-0333 acknowledged marker'),
    tickToAcknowledged: ms("the tick's event time to the acknowledged marker"),
  },
  { additionalProperties: false },
);
export type AlertHops = Static<typeof AlertHops>;
export type HopName = keyof AlertHops;
export const HOP_NAMES = Object.keys(AlertHops.properties) as HopName[];

/** What the hops are computed from; older stored alerts have no ingestTime. */
export type HopInput = Pick<AlertRecord, 'eventTime' | 'firedAt' | 'lifecycle'> & { ingestTime?: string };

/** A time at 1 ms granularity: dropping the µs of both ends before subtracting keeps one clock's order. */
function millis(text: string | undefined): number | undefined {
  const micros = text === undefined ? undefined : parseTimestamp(text);
  return micros === undefined ? undefined : Math.floor(micros / 1000);
}

/** Where a step is: its first record's position in the lifecycle (recorded order) and time. */
type Point = { pos: number; at: number } | undefined;

const TRANSMISSIONS = new Set<AuditEvent>(['sent', 'resent', 'escalated']);

/**
 * The hop durations of one alert. Each step is its FIRST record (a resend does not restart
 * the clock: the trader waited from the first send), and `sent` is the first transmission to
 * anyone (sent, resent or escalated). Steps on the engine's clock are compared in recorded
 * order: a hop whose end was recorded before its start (a displayed marker arriving after
 * the acknowledged one) is absent. The event → ingest hop spans the venue's clock and ours
 * and is reported as measured, negative included.
 */
export function alertHops(alert: HopInput): AlertHops {
  const first = new Map<string, Point>();
  alert.lifecycle.forEach((step, pos) => {
    const key = TRANSMISSIONS.has(step.event) ? 'sent' : step.event;
    if (first.has(key)) return;
    const at = millis(step.at);
    first.set(key, at === undefined ? undefined : { pos, at });
  });
  const event = millis(alert.eventTime);
  const ingest = millis(alert.ingestTime);
  const fired = millis(alert.firedAt);
  const hops: AlertHops = {};
  const put = (name: HopName, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined) hops[name] = to - from;
  };
  const between = (name: HopName, from: Point, to: Point) => {
    if (from && to && to.pos > from.pos) hops[name] = to.at - from.at;
  };
  const sent = first.get('sent');
  const delivered = first.get('delivered');
  const displayed = first.get('displayed');
  const acknowledged = first.get('acknowledged');
  put('eventToIngest', event, ingest);
  put('ingestToFired', ingest, fired);
  if (sent) put('firedToSent', fired, sent.at);
  between('sentToServerAcked', sent, first.get('server-acked'));
  between('sentToDelivered', sent, delivered);
  between('deliveredToDisplayed', delivered, displayed);
  between('displayedToAcknowledged', displayed, acknowledged);
  put('tickToAcknowledged', event, acknowledged?.at);
  return hops;
}
