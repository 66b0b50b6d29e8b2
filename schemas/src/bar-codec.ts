import xml, { type Element } from '@xmpp/xml';
import { isDecimalString, isPositiveDecimal, isSignedDecimalString } from './decimal.js';
import { SYMBOL_PATTERN } from './instrument.js';
import { parseTimestamp } from './time.js';
import type { Bar, BarInterval } from './bar.js';
import type { DecodeResult } from './tick-codec.js';

/** Namespace of the bar payload (docs/protocol.md, "Bars"). */
export const NS_BARS = 'urn:tickdesk:bars:0';

const symbolRe = new RegExp(SYMBOL_PATTERN);
const INTERVALS = new Set<BarInterval>(['1s', '1m', '1h']);
const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** `kind` is 'sensor' for a sensor instrument's bar, whose values may be zero or negative. */
export function encodeBar(bar: Bar, kind?: 'sensor'): Element {
  const el = xml('bar', {
    xmlns: NS_BARS,
    symbol: bar.symbol,
    interval: bar.interval,
    start: bar.start,
    open: bar.open,
    high: bar.high,
    low: bar.low,
    close: bar.close,
    volume: bar.volume,
    trades: String(bar.trades),
  });
  if (kind !== undefined) el.attrs.kind = kind;
  return el;
}

export function decodeBar(el: Element): DecodeResult<Bar> {
  if (el.name !== 'bar' || el.attrs.xmlns !== NS_BARS) return { ok: false, reason: `not a {${NS_BARS}}bar element` };
  const a = el.attrs as Record<string, string | undefined>;
  if (!a.symbol || !symbolRe.test(a.symbol)) return { ok: false, reason: 'invalid symbol' };
  if (!a.interval || !INTERVALS.has(a.interval as BarInterval)) return { ok: false, reason: 'invalid interval' };
  if (!a.start || parseTimestamp(a.start) === undefined) return { ok: false, reason: 'invalid start' };
  if (a.kind !== undefined && a.kind !== 'sensor') return { ok: false, reason: 'invalid kind' };
  // A sensor's values may be zero or negative (docs/protocol.md, `kind`); a market price never is.
  const valid = a.kind === 'sensor' ? isSignedDecimalString : isPositiveDecimal;
  for (const f of PRICE_FIELDS) {
    if (!a[f] || !valid(a[f])) return { ok: false, reason: `invalid ${f}` };
  }
  if (!a.volume || !isDecimalString(a.volume)) return { ok: false, reason: 'invalid volume' };
  if (!a.trades || !/^[1-9][0-9]{0,15}$/.test(a.trades)) return { ok: false, reason: 'invalid trades' };
  return {
    ok: true,
    value: {
      symbol: a.symbol,
      interval: a.interval as BarInterval,
      start: a.start,
      open: a.open!,
      high: a.high!,
      low: a.low!,
      close: a.close!,
      volume: a.volume,
      trades: Number(a.trades),
    },
  };
}
