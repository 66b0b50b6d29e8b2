import xml, { type Element } from '@xmpp/xml';
import { isDecimalString, isSignedDecimalString } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { RULE_CONDITIONS, type RuleCondition, type RuleParameters, type RulePriority } from './rule.js';
import { parseTimestamp } from './time.js';
import type { DecodeResult } from './tick-codec.js';

/** Namespace of the structured alert payload inside an alert chat message (docs/alerts-protocol.md, "The alert message"). */
export const NS_ALERT = 'urn:tickdesk:alert:0';

/** What an alert message says, for programs: the message's `<body/>` says the same for people. */
export interface AlertPayload extends RuleParameters {
  id: string;
  rule: string;
  symbol: string;
  /** The price of the tick that fired the rule. */
  price: string;
  previousPrice?: string;
  /** The window's low (moving up) or high (moving down). */
  reference?: string;
  seq: number;
  eventTime: string;
  firedAt: string;
  priority: RulePriority;
  /** The rule's own text, when the trader wrote one. */
  message?: string;
  /** A rule across instruments: its spread, ratio or AND conditions in words (attribute `series`). */
  series?: string;
  /** A spread rule: the spread's exact value (attribute `value`); `price` is the rule's symbol's. */
  value?: string;
  /** A rule across instruments: each instrument's price (attribute `legs`: "BTCUSDT=65000 ETHUSDT=4333.5"). */
  legs?: Array<{ symbol: string; price: string }>;
}

const CONDITIONS = new Set<string>(RULE_CONDITIONS);
// Prices and levels may be zero or negative: a sensor's are (its ticks say kind='sensor' and rules
// on it were validated as such); the alert relays them. Amounts never are.
const LEVEL_ATTRS = ['threshold', 'lower', 'upper', 'previous', 'reference', 'value'] as const;
const symbolRe = new RegExp(SYMBOL_PATTERN);
const idRe = /^[A-Za-z0-9._:-]{1,64}$/;
const uintRe = /^(0|[1-9][0-9]{0,15})$/;

export function encodeAlert(a: AlertPayload): Element {
  const attrs: Record<string, string> = {
    xmlns: NS_ALERT,
    id: a.id,
    rule: a.rule,
    symbol: a.symbol,
    condition: a.condition,
    price: a.price,
    seq: String(a.seq),
    'event-time': a.eventTime,
    'fired-at': a.firedAt,
    priority: a.priority,
  };
  if (a.threshold !== undefined) attrs.threshold = a.threshold;
  if (a.lower !== undefined) attrs.lower = a.lower;
  if (a.upper !== undefined) attrs.upper = a.upper;
  if (a.amount !== undefined) attrs.amount = a.amount;
  if (a.windowSeconds !== undefined) attrs.window = String(a.windowSeconds);
  if (a.previousPrice !== undefined) attrs.previous = a.previousPrice;
  if (a.reference !== undefined) attrs.reference = a.reference;
  if (a.series !== undefined) attrs.series = a.series;
  if (a.value !== undefined) attrs.value = a.value;
  if (a.legs !== undefined) attrs.legs = a.legs.map((l) => `${l.symbol}=${l.price}`).join(' ');
  return xml('alert', attrs, a.message ?? '');
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Strict decode of `<alert xmlns='urn:tickdesk:alert:0'/>`: anything malformed rejects it whole. */
export function decodeAlert(el: Element): DecodeResult<AlertPayload> {
  if (el.name !== 'alert' || el.attrs.xmlns !== NS_ALERT) return fail(`not a {${NS_ALERT}}alert element`);
  const at = el.attrs as Record<string, unknown>;
  const str = (name: string) => (typeof at[name] === 'string' ? at[name] : undefined);
  const id = str('id');
  const rule = str('rule');
  if (!id || !idRe.test(id)) return fail('missing or invalid id');
  if (!rule || !idRe.test(rule)) return fail('missing or invalid rule');
  const symbol = str('symbol');
  if (!symbol || !symbolRe.test(symbol)) return fail('missing or invalid symbol');
  const condition = str('condition');
  if (!condition || !CONDITIONS.has(condition)) return fail('missing or unknown condition');
  const price = str('price');
  if (!price || !isSignedDecimalString(price)) return fail('price is not a decimal');
  for (const name of LEVEL_ATTRS) {
    const v = str(name);
    if (at[name] !== undefined && (v === undefined || !isSignedDecimalString(v)))
      return fail(`${name} is not a decimal`);
  }
  if (at.amount !== undefined && (typeof at.amount !== 'string' || !isDecimalString(at.amount)))
    return fail('amount is not a decimal');
  const seq = str('seq');
  if (!seq || !uintRe.test(seq) || !Number.isSafeInteger(Number(seq))) return fail('missing or invalid seq');
  const eventTime = str('event-time');
  const firedAt = str('fired-at');
  if (!eventTime || parseTimestamp(eventTime) === undefined) return fail('missing or invalid event-time');
  if (!firedAt || parseTimestamp(firedAt) === undefined) return fail('missing or invalid fired-at');
  const priority = str('priority');
  if (priority !== 'normal' && priority !== 'critical') return fail('priority is neither normal nor critical');
  const window = str('window');
  if (at.window !== undefined && (!window || !uintRe.test(window) || window === '0')) return fail('invalid window');
  if (el.children.some((c: unknown) => typeof c !== 'string')) return fail('unexpected child element');
  const legs = decodeLegs(str('legs'));
  if (legs === null) return fail('legs is not a list of SYMBOL=price');
  const series = str('series');
  if (at.series !== undefined && (!series || series.length > 1000)) return fail('invalid series');
  const message = el.children.join('');
  const opt = <K extends string>(key: K, v: string | undefined) =>
    v === undefined ? {} : ({ [key]: v } as Record<K, string>);
  return {
    ok: true,
    value: {
      id,
      rule,
      symbol,
      condition: condition as RuleCondition,
      price,
      seq: Number(seq),
      eventTime,
      firedAt,
      priority,
      ...opt('threshold', str('threshold')),
      ...opt('lower', str('lower')),
      ...opt('upper', str('upper')),
      ...opt('amount', str('amount')),
      ...(window ? { windowSeconds: Number(window) } : {}),
      ...opt('previousPrice', str('previous')),
      ...opt('reference', str('reference')),
      ...(message ? { message } : {}),
      ...opt('series', series),
      ...opt('value', str('value')),
      ...(legs ? { legs } : {}),
    },
  };
}

/** The `legs` attribute: "SYMBOL=price" pairs, at most five; undefined when absent, null when malformed. */
function decodeLegs(text: string | undefined): Array<{ symbol: string; price: string }> | undefined | null {
  if (text === undefined) return undefined;
  const pairs = text.split(' ');
  if (pairs.length > 5) return null;
  const out: Array<{ symbol: string; price: string }> = [];
  for (const p of pairs) {
    const [symbol, price, extra] = p.split('=');
    if (extra !== undefined || !symbol || !symbolRe.test(symbol) || !isSignedDecimalString(price)) return null;
    out.push({ symbol, price });
  }
  return out;
}
