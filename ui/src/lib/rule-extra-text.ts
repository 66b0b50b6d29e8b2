import type { AndCondition, EscalationStep, Rule, RuleSeries } from '@tickdesk/schemas';

/** "60 s", "2 min", "1 h": whole minutes from two on, whole hours, seconds otherwise. */
export function waitText(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 120 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** A signed decimal with a typographic minus, as a trader reads it. */
const minus = (d: string) => d.replace(/^-/, '−');

/** "BTCUSDT − 15 × ETHUSDT", "BTCUSDT / ETHUSDT". */
export function seriesText(s: RuleSeries): string {
  if (s.kind === 'ratio') return `${s.numerator} / ${s.denominator}`;
  return s.legs
    .map((l, i) => {
      const negative = l.coefficient.startsWith('-');
      const size = negative ? l.coefficient.slice(1) : l.coefficient;
      const term = size === '1' ? l.symbol : `${size} × ${l.symbol}`;
      if (i === 0) return negative ? `−${term}` : term;
      return `${negative ? '−' : '+'} ${term}`;
    })
    .join(' ');
}

type Condition = Pick<AndCondition, 'threshold' | 'lower' | 'upper'> &
  Partial<Pick<Rule, 'amount' | 'windowSeconds'>> & { condition: string };

/** What a condition says of a subject (an instrument or a series), in words. */
function conditionWords(subject: string, c: Condition): string {
  const t = minus(c.threshold ?? '?');
  const band = `${minus(c.lower ?? '?')}–${minus(c.upper ?? '?')}`;
  const pct = c.condition.endsWith('-percent') ? '%' : '';
  const move = `${c.amount ?? '?'}${pct}${c.windowSeconds === undefined ? '' : ` within ${waitText(c.windowSeconds)}`}`;
  const words: Record<string, string> = {
    crossing: `crosses ${t}`,
    'crossing-up': `crosses up through ${t}`,
    'crossing-down': `crosses down through ${t}`,
    'greater-than': `> ${t}`,
    'less-than': `< ${t}`,
    'entering-channel': `enters ${band}`,
    'exiting-channel': `leaves ${band}`,
    'inside-channel': `is inside ${band}`,
    'outside-channel': `is outside ${band}`,
    'moving-up': `rises by ${move}`,
    'moving-down': `falls by ${move}`,
    'moving-up-percent': `rises by ${move}`,
    'moving-down-percent': `falls by ${move}`,
  };
  return `${subject} ${words[c.condition] ?? c.condition}`;
}

/** A spread, ratio or AND rule's whole condition ("BTCUSDT − 15 × ETHUSDT crosses 0"); undefined for a single-instrument rule. */
export function legsText(r: Rule): string | undefined {
  if (!r.series && !r.and?.length) return undefined;
  const first = conditionWords(r.series ? seriesText(r.series) : r.symbol, r);
  return [first, ...(r.and ?? []).map((c) => conditionWords(c.symbol, c))].join(' and ');
}

/** A rule's own escalation chain in words ("until acknowledged: then webhook after 60 s, …"); undefined without one. */
export function escalationText(r: Pick<Rule, 'escalation' | 'backup'>): string | undefined {
  const chain: readonly EscalationStep[] = r.escalation ?? [];
  const later = chain.filter((s) => s.to !== 'recipient');
  if (chain.length === 0) return undefined;
  const where = (s: EscalationStep) => (s.to === 'backup' && r.backup ? `backup ${r.backup}` : s.to);
  const when = (s: EscalationStep) => (s.afterSeconds ? `after ${waitText(s.afterSeconds)}` : 'at once');
  const steps = later.map((s) => `${where(s)} ${when(s)}`).join(', ');
  return `Until acknowledged: recipient at once${steps ? `, then ${steps}` : ''}.`;
}

/** What a stored rule's fields without form inputs are called, for the form's "kept" note. */
const KEPT_NAMES: Record<string, string> = {
  escalation: 'escalation chain',
  series: 'spread or ratio legs',
  and: 'AND conditions',
  recipient: 'recipient',
  maxFirings: 'firing limit',
  minGapSeconds: 'minimum gap',
  groupWindowSeconds: 'grouping window',
};

/** "escalation chain, spread or ratio legs": the fields an edit sends back as stored; undefined if none. */
export function keptText(kept: object): string | undefined {
  const names = Object.keys(kept).map((k) => KEPT_NAMES[k] ?? k);
  return names.length ? names.join(', ') : undefined;
}
