import { RULE_CONDITIONS, xmlTextProblem } from '@tickdesk/schemas';
import { parseForm, xml, NS_DATA, type Element } from '@tickdesk/xmpp';
import { acrossInput, RULE_KINDS } from './adhoc-form-across.js';

/** XEP-0068 FORM_TYPE of the desk's rule forms. */
const FORM_TYPE = 'urn:tickdesk:alerts:rule:0';
/** Above this many rules the delete form asks for the id as text instead of offering each as an option. */
const MAX_DELETE_OPTIONS = 100;

const TEXT_FIELDS = ['threshold', 'lower', 'upper', 'amount', 'recipient', 'backup', 'expiresAt', 'message'] as const;
const INT_FIELDS = ['windowSeconds', 'cooldownSeconds'] as const;

const field = (v: string, type: string, label: string, options: string[] = [], value?: string) =>
  xml(
    'field',
    { var: v, type, label },
    ...(value !== undefined ? [xml('value', {}, value)] : []),
    ...options.map((o) => xml('option', { label: o }, xml('value', {}, o))),
  );

export function addForm(symbols: readonly string[]): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'form' },
    xml('title', {}, 'New alert rule'),
    xml(
      'instructions',
      {},
      'Fill the fields the condition needs: threshold for crossings and levels, lower and upper for channels, amount and window for moves. Prices are decimals such as 65000.5. For a spread or a ratio of instruments choose its kind and fill its legs or denominator; the condition then applies to its value.',
    ),
    field('FORM_TYPE', 'hidden', '', [], FORM_TYPE),
    field('symbol', 'list-single', 'Instrument', [...symbols]),
    field('kind', 'list-single', 'Rule on: the instrument (one), a spread or a ratio', [...RULE_KINDS], 'one'),
    field('legs', 'text-multi', 'Spread legs, one a line: SYMBOL COEFFICIENT, the instrument first (e.g. ETHUSDT -15)'),
    field('denominator', 'list-single', 'Ratio: the instrument divided by', [...symbols]),
    field('condition', 'list-single', 'Condition', [...RULE_CONDITIONS], 'crossing'),
    field('threshold', 'text-single', 'Price level'),
    field('lower', 'text-single', 'Channel low'),
    field('upper', 'text-single', 'Channel high'),
    field('amount', 'text-single', 'Move (price units, or percent for the -percent conditions)'),
    field('windowSeconds', 'text-single', 'Move window, seconds'),
    field('frequency', 'list-single', 'Frequency', ['once', 'once-per-bar', 'every-time'], 'once'),
    field('interval', 'list-single', 'Bar (once-per-bar)', ['1s', '1m', '1h']),
    field('cooldownSeconds', 'text-single', 'Cooldown, seconds (every-time)'),
    field('priority', 'list-single', 'Priority', ['normal', 'critical'], 'normal'),
    field('recipient', 'text-single', 'Recipient (default: you; a partner desk trader as user@domain)'),
    field('backup', 'text-single', 'Backup trader'),
    field('expiresAt', 'text-single', 'Expires (UTC, e.g. 2026-12-31T23:00:00Z)'),
    field('message', 'text-single', 'Message'),
    field(
      'and',
      'text-multi',
      'And (up to 4), one a line: SYMBOL above|below|crosses up|crosses down PRICE, or enters|exits|inside|outside LOW HIGH',
    ),
    field('escalation', 'text-multi', 'Escalation, one step a line: recipient|webhook|backup|desk [after 60s|5m|1h]'),
  );
}

/** The delete form: the trader's rule ids as options, or a text field when there are too many to list in one stanza. */
export function deleteForm(ids: readonly string[]): Element {
  const id =
    ids.length <= MAX_DELETE_OPTIONS
      ? field('id', 'list-single', 'Rule', [...ids])
      : field('id', 'text-single', `Rule id (you have ${ids.length} rules: send "alerts" in chat to list them)`);
  return xml('x', { xmlns: NS_DATA, type: 'form' }, field('FORM_TYPE', 'hidden', '', [], FORM_TYPE), id);
}

export type FormInput =
  { ok: true; input: Record<string, unknown>; id?: string } | { ok: false; field: string; problem: string };

/**
 * The submitted form as rule input (empty fields absent; integers stay strings only when
 * malformed, so validation names them), after every value is checked against XML 1.0
 * Char: a refusal names the field.
 */
export function formInput(x: Element | undefined): FormInput {
  const f = parseForm(x);
  for (const [name, value] of f) {
    for (const v of value.values) {
      const problem = xmlTextProblem(v);
      if (problem) return { ok: false, field: name.slice(0, 40), problem };
    }
  }
  const one = (name: string) => f.get(name)?.values[0]?.trim() || undefined;
  const input: Record<string, unknown> = {
    symbol: one('symbol'),
    condition: one('condition'),
    frequency: one('frequency') ?? 'once',
    priority: one('priority') ?? 'normal',
  };
  if (input.frequency === 'once-per-bar') input.interval = one('interval');
  for (const name of TEXT_FIELDS) if (one(name) !== undefined) input[name] = one(name);
  for (const name of INT_FIELDS) {
    const v = one(name);
    if (v !== undefined) input[name] = /^[0-9]{1,9}$/.test(v) ? Number(v) : v;
  }
  const across = acrossInput(f, input);
  if (across) return { ok: false, ...across };
  const id = one('id');
  return { ok: true, input, ...(id !== undefined ? { id } : {}) };
}
