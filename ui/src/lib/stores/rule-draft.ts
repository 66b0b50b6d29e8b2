import { FLAP_FIELDS, type FlapField, type Rule, type RuleCondition, type RuleInput } from '@tickdesk/schemas';
import { localpart } from '../jid.js';
import { utcInput } from '../time-format.js';

/** The rule form as typed: every field a string, so nothing typed is lost or reformatted. */
export interface RuleDraft {
  editingId: string | undefined;
  version: number | undefined;
  symbol: string;
  condition: RuleCondition;
  threshold: string;
  lower: string;
  upper: string;
  amount: string;
  percent: string;
  window: string;
  frequency: 'once' | 'once-per-bar' | 'every-time';
  interval: '1s' | '1m' | '1h';
  cooldown: string;
  priority: 'normal' | 'critical';
  backup: string;
  expires: string;
  message: string;
  /** A stored rule's flap control (maxFirings, minGapSeconds, groupWindowSeconds): no inputs, kept through an edit. */
  flap: Partial<Pick<RuleInput, FlapField>>;
}

export const emptyDraft = (symbol = ''): RuleDraft => ({
  editingId: undefined,
  version: undefined,
  symbol,
  condition: 'crossing-up',
  threshold: '',
  lower: '',
  upper: '',
  amount: '',
  percent: '',
  window: '',
  frequency: 'once',
  interval: '1m',
  cooldown: '',
  priority: 'normal',
  backup: '',
  expires: '',
  message: '',
  flap: {},
});

/** Which inputs a condition uses (schemas/src/rule-validation.ts refuses the others). */
export function usedFields(d: Pick<RuleDraft, 'condition' | 'frequency'>): Set<string> {
  const used = new Set<string>();
  const c = d.condition;
  if (c.startsWith('crossing') || c === 'greater-than' || c === 'less-than') used.add('threshold');
  else if (c.endsWith('-channel')) {
    used.add('lower');
    used.add('upper');
  } else used.add(c.endsWith('-percent') ? 'percent' : 'amount').add('window');
  if (d.frequency === 'once-per-bar') used.add('interval');
  if (d.frequency === 'every-time') used.add('cooldown');
  return used;
}

/** "90", "90s", "5m", "1h" → seconds; anything else as typed, for the server to name. */
function seconds(text: string): number | string {
  const m = /^(\d{1,6})\s*([smh]?)$/.exec(text.trim());
  return m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!]! : text.trim();
}

/** The REST body: only the fields this condition and frequency use; the server validates. */
export function toRuleInput(d: RuleDraft): RuleInput {
  const used = usedFields(d);
  const body: Record<string, unknown> = { symbol: d.symbol, condition: d.condition };
  if (used.has('threshold')) body.threshold = d.threshold.trim();
  if (used.has('lower')) body.lower = d.lower.trim();
  if (used.has('upper')) body.upper = d.upper.trim();
  if (used.has('amount')) body.amount = d.amount.trim();
  if (used.has('percent')) body.amount = d.percent.trim().replace(/%$/, '');
  if (used.has('window')) body.windowSeconds = seconds(d.window);
  body.frequency = d.frequency;
  if (used.has('interval')) body.interval = d.interval;
  if (used.has('cooldown') && d.cooldown.trim()) body.cooldownSeconds = seconds(d.cooldown);
  if (d.expires.trim()) body.expiresAt = utcInput(d.expires);
  if (d.backup.trim()) body.backup = localpart(d.backup.trim());
  body.priority = d.priority;
  if (d.message.trim()) body.message = d.message;
  if (d.frequency !== 'once') Object.assign(body, d.flap);
  return body as RuleInput;
}

/** A stored rule back into the form, for editing. */
export function draftOf(r: Rule): RuleDraft {
  const percent = r.condition.endsWith('-percent');
  return {
    ...emptyDraft(r.symbol),
    editingId: r.id,
    version: r.version,
    condition: r.condition,
    threshold: r.threshold ?? '',
    lower: r.lower ?? '',
    upper: r.upper ?? '',
    amount: percent ? '' : (r.amount ?? ''),
    percent: percent ? (r.amount ?? '') : '',
    window: r.windowSeconds === undefined ? '' : String(r.windowSeconds),
    frequency: r.frequency,
    interval: r.interval ?? '1m',
    cooldown: r.cooldownSeconds === undefined ? '' : String(r.cooldownSeconds),
    priority: r.priority,
    backup: r.backup ?? '',
    expires: r.expiresAt ?? '',
    message: r.message ?? '',
    flap: Object.fromEntries(FLAP_FIELDS.flatMap((f) => (r[f] === undefined ? [] : [[f, r[f]]]))),
  };
}
