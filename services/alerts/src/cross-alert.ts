import type { AlertPayload, Rule } from '@tickdesk/schemas';
import type { StoredAlert } from './store/index.js';
import { describeSeries, type Firing } from './rules/index.js';

/** The alert fields of a rule across instruments. */
export type CrossFields = Partial<
  Pick<StoredAlert, 'price' | 'previousPrice' | 'reference' | 'series' | 'value' | 'legs'>
>;

/** A rule across instruments in words: "BTCUSDT − 15 × ETHUSDT", "BTCUSDT / ETHUSDT", or an AND's other conditions "and ETHUSDT greater-than 3000". */
export function describeCross(rule: Pick<Rule, 'series' | 'and'>): string | undefined {
  if (rule.series) return describeSeries(rule.series);
  if (!rule.and) return undefined;
  return rule.and
    .map((c) => `and ${c.symbol} ${c.condition} ${c.threshold ?? `${c.lower ?? ''}–${c.upper ?? ''}`}`)
    .join(' ');
}

/**
 * What an alert of a rule across instruments says besides the rule's fields: `price` stays
 * the price of the rule's own symbol; a spread's exact value goes in `value` (its previous
 * value and a move's reference are the spread's too); every instrument's price in `legs`.
 * A rule on one instrument: nothing (the firing's fields as they are).
 */
function crossFields(rule: Pick<Rule, 'series' | 'and'>, f: Firing): CrossFields {
  const series = describeCross(rule);
  if (series === undefined || !f.legs) return {};
  const spread = rule.series?.kind === 'spread';
  return {
    price: f.legs[0]!.price,
    previousPrice: rule.and && !f.leg ? f.previousPrice : undefined,
    reference: spread ? f.reference : undefined,
    series,
    value: spread ? f.price : undefined,
    legs: f.legs,
  };
}

/** Give an alert of a rule across instruments its fields (crossFields); any other alert stays as it is. */
export function applyCross(alert: StoredAlert, rule: Pick<Rule, 'series' | 'and'>, f: Firing): void {
  const fields = crossFields(rule, f);
  for (const [k, v] of Object.entries(fields) as Array<[keyof CrossFields, unknown]>) {
    if (v === undefined) delete alert[k];
    else (alert as Record<string, unknown>)[k] = v;
  }
}

/** The deterministic alert id's tick: a leg's tick is named by its instrument, so seqs of two nodes never meet. */
export const firingTick = (f: Firing): string => (f.leg ? `${f.symbol}|${f.leg}` : f.symbol);

/** The body's subject: "BTCUSDT − 15 × ETHUSDT crossed 0", "BTCUSDT crossed up through 65000 and ETHUSDT greater-than 3000". */
export function crossSubject(a: Pick<AlertPayload, 'symbol' | 'series'>, condition: string): string {
  if (!a.series) return `${a.symbol} ${condition}`;
  return a.series.startsWith('and ') ? `${a.symbol} ${condition} ${a.series}` : `${a.series} ${condition}`;
}

/** What the body says the price was: a spread's value and its legs, each instrument's price, or the price. */
export function crossPrice(a: Pick<AlertPayload, 'price' | 'value' | 'legs'>): string {
  if (!a.legs) return a.price;
  const legs = a.legs.map((l) => `${l.symbol} ${l.price}`).join(', ');
  return a.value === undefined ? legs : `${a.value} (${legs})`;
}
