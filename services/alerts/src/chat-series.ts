import { CONDITION_WORDS, no, quote, type Parsed } from './chat-rule-words.js';

/*
 * A rule's subject in chat: an instrument, a spread of 2 to 5 legs or a ratio of two
 * (docs/alerts-protocol.md §4.2, §5). Symbols and coefficients go on as typed to the shared
 * validation, which names a wrong one (series.legs[1].coefficient).
 */

/**
 * One leg of a spread, `-15*ETHUSDT`, `+ETHUSDT`, `0.5*SOLUSDT`: the coefficient goes on as
 * typed (1 when absent), with the sign written before the term.
 */
export function parseLeg(term: string, sign = ''): Parsed<{ symbol: string; coefficient: string }> {
  const m = /^([+-]?)(?:([^*\s]+)\*)?([A-Za-z0-9][A-Za-z0-9._-]{0,31})$/.exec(term);
  if (!m) return no(`A leg is [coefficient*]SYMBOL, e.g. -15*ETHUSDT; not ${quote(term)}.`);
  const negative = (sign === '-') !== (m[1] === '-');
  const coefficient = m[2] ?? '1';
  return { ok: true, value: { symbol: m[3]!.toUpperCase(), coefficient: negative ? `-${coefficient}` : coefficient } };
}

/** `spread A -15*B`, `ratio A/B` or a plain `A`: the rule's symbol, and its series if any. */
export function parseSubject(words: string[]): Parsed<{ symbol: string; series?: Record<string, unknown> }> {
  const first = words.shift();
  const kind = first?.toLowerCase();
  if (kind === 'ratio') {
    // "A/B", or "A / B".
    const pair = (words[1] === '/' ? [words.shift(), words.shift(), words.shift()].join('') : (words.shift() ?? ''))
      .toUpperCase()
      .split('/');
    if (pair.length !== 2 || !pair[0] || !pair[1]) return no('A ratio is written A/B, e.g. ratio BTCUSDT/ETHUSDT.');
    return {
      ok: true,
      value: { symbol: pair[0], series: { kind: 'ratio', numerator: pair[0], denominator: pair[1] } },
    };
  }
  if (kind !== 'spread') {
    const symbol = first?.toUpperCase();
    return symbol ? { ok: true, value: { symbol } } : no('Which instrument? e.g. alert BTCUSDT crosses 65000.');
  }
  const legs: Array<{ symbol: string; coefficient: string }> = [];
  // Legs run to the condition's first word; a lone + or - signs the term after it.
  while (words.length && !CONDITION_WORDS.has(words[0]!.toLowerCase())) {
    const w = words.shift()!;
    const sign = w === '+' || w === '-' ? w : '';
    const signed = () => (words[0] !== undefined && !CONDITION_WORDS.has(words[0].toLowerCase()) ? words.shift()! : '');
    const leg = parseLeg(sign ? signed() : w, sign);
    if (!leg.ok) return leg;
    legs.push(leg.value);
  }
  if (legs.length === 0) return no('A spread needs its legs, e.g. spread BTCUSDT -15*ETHUSDT.');
  return { ok: true, value: { symbol: legs[0]!.symbol, series: { kind: 'spread', legs } } };
}
