import {
  ALERT_STATES,
  AUDIT_EVENTS,
  parseTimestamp,
  type AlertRecord as StoredAlert,
  type AlertState,
  type LifecycleStep,
} from '@tickdesk/schemas';
import { badInput } from './store-errors.js';

/**
 * The states the engine must still act on: they are in the outbox. An alert leaves it
 * once delivered (a receipt came) or finished (acknowledged, expired, failed); later
 * steps (displayed, acknowledged after delivered) can still be recorded.
 */
export const OUTBOX_STATES: readonly AlertState[] = [
  'pending',
  'held',
  'sent',
  'server-acked',
  'escalated',
  'grouping',
];

/** One lifecycle step and the alert as the outbox and the alert history keep it: the one record in @tickdesk/schemas (alert-record.ts). */
export type { LifecycleStep, StoredAlert };

export type AlertPatch = Partial<Pick<StoredAlert, 'state' | 'attempts' | 'nextActionAt' | 'recipient'>>;

const ID = /^[A-Za-z0-9._:-]{1,64}$/;
// Trader names end up inside "<name>|<id>" index members: no separator, no spaces.
// eslint-disable-next-line no-control-regex -- control characters are what this pattern refuses
const NAME = /^[^\s|\u0000-\u001f]{1,128}$/;
const STATES = new Set<string>(ALERT_STATES);
const EVENTS = new Set<string>(AUDIT_EVENTS);

/** The index member of an alert: firedAt at ms precision, then the id. Lex order is time order. */
function indexMember(a: Pick<StoredAlert, 'firedAt' | 'id'>): string {
  return `${msIso(a.firedAt, 'firedAt', Math.floor)}|${a.id}`;
}

/**
 * A timestamp as `toISOString()`, at ms precision. Members round down and query bounds
 * up, so a bound given in µs is exact against the engine's ms firedAt times.
 */
export function msIso(text: string, name: string, round: (x: number) => number = Math.ceil): string {
  const micros = parseTimestamp(text);
  if (micros === undefined) throw badInput(`${name} must be an XEP-0082 UTC timestamp`);
  return new Date(round(micros / 1000)).toISOString();
}

export function checkAlert(a: StoredAlert): void {
  if (!ID.test(a.id)) throw badInput('alert id must be 1–64 of A–Z a–z 0–9 . _ : -');
  for (const name of [a.owner, a.recipient, ...(a.backup !== undefined ? [a.backup] : [])]) {
    if (!NAME.test(name))
      throw badInput(`trader ${JSON.stringify(name)} must be 1–128 characters without spaces or "|"`);
  }
  if (!a.symbol) throw badInput('symbol is required');
  msIso(a.firedAt, 'firedAt');
  checkPatch(a);
  if (!Array.isArray(a.lifecycle)) throw badInput('lifecycle must be an array');
  a.lifecycle.forEach(checkStep);
}

export function checkPatch(p: AlertPatch): void {
  if (p.state !== undefined && !STATES.has(p.state)) throw badInput(`unknown alert state ${JSON.stringify(p.state)}`);
  if (p.attempts !== undefined && (!Number.isSafeInteger(p.attempts) || p.attempts < 0))
    throw badInput('attempts must be a non-negative integer');
  if (p.nextActionAt !== undefined && (!Number.isSafeInteger(p.nextActionAt) || p.nextActionAt < 0))
    throw badInput('nextActionAt must be a non-negative integer (epoch ms)');
  if (p.recipient !== undefined && !NAME.test(p.recipient))
    throw badInput('recipient must be 1–128 characters without spaces or "|"');
}

export function checkStep(s: LifecycleStep): void {
  if (!EVENTS.has(s.event)) throw badInput(`unknown lifecycle event ${JSON.stringify(s.event)}`);
  if (parseTimestamp(s.at) === undefined) throw badInput('lifecycle step time must be an XEP-0082 UTC timestamp');
  if (s.detail !== undefined && typeof s.detail !== 'string') throw badInput('lifecycle step detail must be a string');
}

/** The fields of the alert's Redis hash (layout in redis-layout.ts). */
export function encodeAlert(a: StoredAlert): Record<string, string> {
  const { state, attempts, nextActionAt, recipient, lifecycle, ...doc } = a;
  return {
    doc: JSON.stringify(doc),
    state,
    attempts: String(attempts),
    next: String(nextActionAt),
    recipient,
    life: JSON.stringify(lifecycle.map(stepJson)),
    member: indexMember(a),
  };
}

export function decodeAlert(h: Record<string, string>): StoredAlert {
  const doc = JSON.parse(h.doc ?? '{}') as Omit<
    StoredAlert,
    'state' | 'attempts' | 'nextActionAt' | 'recipient' | 'lifecycle'
  >;
  return {
    ...doc,
    recipient: h.recipient ?? doc.owner,
    state: h.state as AlertState,
    attempts: Number(h.attempts),
    nextActionAt: Number(h.next),
    lifecycle: JSON.parse(h.life ?? '[]') as LifecycleStep[],
  };
}

/** A step with exactly its known fields, in a fixed order. */
export function stepJson(s: LifecycleStep): LifecycleStep {
  return { event: s.event, at: s.at, ...(s.detail !== undefined ? { detail: s.detail } : {}) };
}

/** A flat HGETALL reply ([field, value, …]) as an object. */
export function pairs(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
