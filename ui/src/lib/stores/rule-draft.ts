import { FLAP_FIELDS, RuleInput, type Rule, type RuleCondition } from '@tickdesk/schemas';
import { localpart } from '../jid.js';
import { utcInput } from '../time-format.js';
import { emptyLegs, legsDraftOf, legsInput, seconds, type LegsDraft } from './rule-legs-draft.js';

/** The rule input fields the form has an input for (and an error slot: rule-error-<field>). */
export const FORM_FIELDS = [
  'symbol',
  'condition',
  'threshold',
  'lower',
  'upper',
  'amount',
  'windowSeconds',
  'frequency',
  'interval',
  'cooldownSeconds',
  'expiresAt',
  'backup',
  'priority',
  'message',
  'series',
  'and',
  'escalation',
] as const;

/** The rule form as typed: every field a string, so nothing typed is lost or reformatted. */
export interface RuleDraft extends LegsDraft {
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
  /** The backup as stored, sent back as it is while left untouched (a partner's bare JID keeps its domain). */
  storedBackup: string;
  /**
   * Every other RuleInput field of the stored rule (recipient, flap control…): the form has
   * no inputs for them, so an edit sends them back as they were,
   * including fields added to RuleInput after this form was written.
   */
  kept: Partial<RuleInput>;
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
  storedBackup: '',
  kept: {},
  ...emptyLegs(),
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
  const backup = d.backup.trim();
  // A typed JID of this desk becomes its username; a bare username stays as typed.
  if (backup) body.backup = backup === d.storedBackup || !backup.includes('@') ? backup : localpart(backup);
  body.priority = d.priority;
  if (d.message.trim()) body.message = d.message;
  Object.assign(body, legsInput(d.symbol, d));
  const flap: readonly string[] = FLAP_FIELDS;
  for (const [k, v] of Object.entries(d.kept))
    // Flap control applies to repeating rules only (the server refuses it on a once rule).
    if (!(k in body) && (d.frequency !== 'once' || !flap.includes(k))) body[k] = structuredClone(v);
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
    storedBackup: r.backup ?? '',
    kept: keptOf(r),
    ...legsDraftOf(r),
  };
}

/** The stored rule's input fields the form does not edit; its state (status, firings…) is not input. */
function keptOf(r: Rule): Partial<RuleInput> {
  const form: readonly string[] = FORM_FIELDS;
  const stored = r as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(RuleInput.properties)
      .filter((k) => !form.includes(k) && stored[k] !== undefined)
      .map((k) => [k, structuredClone(stored[k])]),
  );
}
