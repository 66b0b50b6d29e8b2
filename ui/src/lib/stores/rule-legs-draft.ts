import {
  checkEscalation,
  validateRuleLegs,
  type AndCondition,
  type EscalationStep,
  type Rule,
  type RuleCondition,
  type RuleSeries,
} from '@tickdesk/schemas';

/** What the rule's condition applies to: the instrument's price, or a series across instruments. */
export type RuleShape = 'single' | 'spread' | 'ratio';

/** One leg as typed; the first leg's symbol is the rule's own instrument. */
export interface LegDraft {
  symbol: string;
  coefficient: string;
}
/** One "and also" condition as typed. */
export interface AndDraft {
  symbol: string;
  condition: RuleCondition;
  threshold: string;
  lower: string;
  upper: string;
}
/** One escalation step as typed: a target and its wait, seconds after the firing. */
export interface StepDraft {
  to: EscalationStep['to'];
  after: string;
}

export interface LegsDraft {
  shape: RuleShape;
  legs: LegDraft[];
  denominator: string;
  and: AndDraft[];
  escalation: StepDraft[];
}

export const emptyLegs = (): LegsDraft => ({
  shape: 'single',
  legs: [
    { symbol: '', coefficient: '1' },
    { symbol: '', coefficient: '' },
  ],
  denominator: '',
  and: [],
  escalation: [],
});

export const emptyAnd = (symbol = ''): AndDraft => ({
  symbol,
  condition: 'greater-than',
  threshold: '',
  lower: '',
  upper: '',
});

/** "90", "90s", "5m", "1h" → seconds; anything else as typed, for the server to name. */
export function seconds(text: string): number | string {
  const m = /^(\d{1,6})\s*([smh]?)$/.exec(text.trim());
  return m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!]! : text.trim();
}

/** The REST body's series, and and escalation fields of the draft (none it does not use). */
export function legsInput(symbol: string, d: LegsDraft): Partial<Record<'series' | 'and' | 'escalation', unknown>> {
  const out: Partial<Record<'series' | 'and' | 'escalation', unknown>> = {};
  if (d.shape === 'spread')
    out.series = {
      kind: 'spread',
      legs: d.legs.map((l, i) => ({ symbol: i === 0 ? symbol : l.symbol, coefficient: l.coefficient.trim() })),
    };
  if (d.shape === 'ratio') out.series = { kind: 'ratio', numerator: symbol, denominator: d.denominator };
  // The server refuses an AND beside a series: the draft keeps them, the body holds only what the shape uses.
  if (d.shape === 'single' && d.and.length)
    out.and = d.and.map((c) =>
      c.condition.endsWith('-channel')
        ? { symbol: c.symbol, condition: c.condition, lower: c.lower.trim(), upper: c.upper.trim() }
        : { symbol: c.symbol, condition: c.condition, threshold: c.threshold.trim() },
    );
  if (d.escalation.length)
    out.escalation = d.escalation.map((s) =>
      s.after.trim() === '' ? { to: s.to } : { to: s.to, afterSeconds: seconds(s.after) },
    );
  return out;
}

/** A stored rule's series, AND conditions and escalation chain back into the form. */
export function legsDraftOf(r: Pick<Rule, 'series' | 'and' | 'escalation'>): LegsDraft {
  const series: RuleSeries | undefined = r.series;
  const and: readonly AndCondition[] = r.and ?? [];
  return {
    ...emptyLegs(),
    shape: series?.kind ?? 'single',
    ...(series?.kind === 'spread' ? { legs: series.legs.map((l) => ({ ...l })) } : {}),
    denominator: series?.kind === 'ratio' ? series.denominator : '',
    and: and.map((c) => ({
      ...emptyAnd(c.symbol),
      condition: c.condition as RuleCondition,
      threshold: c.threshold ?? '',
      lower: c.lower ?? '',
      upper: c.upper ?? '',
    })),
    escalation: (r.escalation ?? []).map((s) => ({ to: s.to, after: String(s.afterSeconds ?? 0) })),
  };
}

/** The desk's instruments, as the form knows them (the watchlist's rows). */
export type KnownInstruments = readonly { symbol: string; kind?: string }[];

/** The fields of series, and and escalation the form has an error slot for (rule-error-<field>). */
const SLOTS =
  /^(series(\.kind|\.legs|\.numerator|\.denominator|\.legs\[\d+\]\.(symbol|coefficient))?|and(\[\d+\]\.(symbol|condition|threshold|lower|upper))?|escalation(\[\d+\]\.(to|afterSeconds))?)$/;
export const hasSlot = (field: string): boolean => SLOTS.test(field);

/** Every symbol a body names, as typed: the server alone knows which instruments the desk has. */
function named(body: { symbol: string; series?: unknown; and?: unknown }): Set<string> {
  const out = new Set([body.symbol]);
  const s = body.series as { legs?: unknown; denominator?: unknown } | undefined;
  const list = (x: unknown): unknown[] => (Array.isArray(x) ? (x as unknown[]) : []);
  const items = [...list(s?.legs), ...list(body.and)];
  for (const x of [...items.map((i) => (i as { symbol?: unknown } | null)?.symbol), s?.denominator])
    if (typeof x === 'string') out.add(x);
  return out;
}

/**
 * The first problem of a body's series, AND conditions or escalation chain, named by field as
 * the server's 422 would (schemas' own checks, so that a zero or float coefficient is refused
 * beside its input before anything is sent); undefined when they hold. Whether an instrument
 * exists is left to the server (the watchlist may not list it yet); the known sensors are
 * refused as legs, as the server refuses them.
 */
export function legsProblem(
  body: {
    symbol: string;
    condition: RuleCondition;
    backup?: string;
    series?: unknown;
    and?: unknown;
    escalation?: unknown;
  },
  known: KnownInstruments,
): { field: string; message: string } | undefined {
  if (body.series !== undefined || body.and !== undefined) {
    const sensors = new Map(known.filter((i) => i.kind === 'sensor').map((i) => [i.symbol, i]));
    const legs = validateRuleLegs(body, body, { symbols: named(body), sensors });
    if (!legs.ok) return { field: legs.field, message: legs.message };
  }
  if (body.escalation !== undefined) {
    const chain = checkEscalation(body.escalation, { hasBackup: !!body.backup });
    if (!chain.ok) return { field: chain.field, message: chain.message };
  }
  return undefined;
}
