import type { FormField } from '@tickdesk/xmpp';
import { parseAndCondition, parseChain } from './chat-rule-words.js';
import { parseLeg } from './chat-series.js';

/*
 * The ad-hoc add form's fields for rules across instruments and escalation chains
 * (docs/protocol.md §9.2): `kind` one|spread|ratio, `legs` and `and` and `escalation` as
 * text-multi, one item a line, in the chat command's words. Values go on as typed to the
 * shared validation, which names what is wrong (series.legs[1].coefficient).
 */

export const RULE_KINDS = ['one', 'spread', 'ratio'] as const;

type Refused = { field: string; problem: string };

/**
 * A text-multi field's lines (XEP-0004 §3.3: one <value/> a line; a client that sends one
 * value holding newlines is read the same way), blank lines left out.
 */
function lines(f: Map<string, FormField>, name: string): string[] {
  const values = f.get(name)?.values ?? [];
  return values
    .flatMap((v) => v.split(/\r?\n/))
    .map((l) => l.trim())
    .filter(Boolean);
}
const wordsOf = (line: string): string[] => line.split(/\s+/);

/** Each line as one item, or the first line that is not one, named by field and line number. */
function eachLine<T>(
  f: Map<string, FormField>,
  name: string,
  read: (words: string[]) => { ok: true; value: T } | { ok: false; message: string },
): T[] | Refused {
  const out: T[] = [];
  for (const [i, line] of lines(f, name).entries()) {
    const words = wordsOf(line);
    const item = read(words);
    if (!item.ok) return { field: name, problem: `line ${i + 1}: ${item.message}` };
    if (words.length) return { field: name, problem: `line ${i + 1}: unexpected "${words[0]!.slice(0, 40)}"` };
    out.push(item.value);
  }
  return out;
}

/** A leg line: `ETHUSDT -15`, or `BTCUSDT` alone for a coefficient of 1. */
function leg(words: string[]) {
  const [symbol = '', coefficient] = words.splice(0, 2);
  return parseLeg(coefficient === undefined ? symbol : `${coefficient}*${symbol}`);
}

/**
 * Adds `series`, `and` and `escalation` to `input` from the submitted form, or names the
 * field that cannot be read. A field the chosen kind does not use is refused, not dropped.
 */
export function acrossInput(f: Map<string, FormField>, input: Record<string, unknown>): Refused | undefined {
  const one = (name: string) => f.get(name)?.values[0]?.trim() || undefined;
  const kind = one('kind') ?? 'one';
  if (!(RULE_KINDS as readonly string[]).includes(kind))
    return { field: 'kind', problem: `must be one of ${RULE_KINDS.join(', ')}` };
  if (kind !== 'spread' && lines(f, 'legs').length) return { field: 'legs', problem: 'is used only with kind spread' };
  if (kind !== 'ratio' && one('denominator')) return { field: 'denominator', problem: 'is used only with kind ratio' };
  if (kind === 'spread') {
    const legs = eachLine(f, 'legs', leg);
    if (!Array.isArray(legs)) return legs;
    // The first leg is the rule's instrument: a form that leaves the instrument out takes it from there.
    input.symbol ??= legs[0]?.symbol;
    input.series = { kind: 'spread', legs };
  }
  if (kind === 'ratio') input.series = { kind: 'ratio', numerator: input.symbol, denominator: one('denominator') };
  const and = eachLine(f, 'and', parseAndCondition);
  if (!Array.isArray(and)) return and;
  if (and.length) input.and = and;
  const steps = eachLine(f, 'escalation', (words) => {
    const step = parseChain(words);
    return step.ok && step.value.length > 1 ? { ok: false, message: 'one step a line' } : step;
  });
  if (!Array.isArray(steps)) return steps;
  if (steps.length) input.escalation = steps.flat();
  return undefined;
}
