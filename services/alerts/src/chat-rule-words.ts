import type { RuleCondition } from '@tickdesk/schemas';

/*
 * The words of a rule's condition, its spread legs and its escalation chain, shared by the
 * chat commands (chat-command.ts) and the ad-hoc form's text-multi fields (adhoc-forms.ts).
 * Only the shape is read here: every value goes on as typed (coefficients, levels, targets)
 * to validateRuleInput, which refuses it naming the field (series.legs[1].coefficient).
 */

/** What a parse gives: the fields, or what is wrong in the trader's words. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
export const no = (message: string): { ok: false; message: string } => ({ ok: false, message });

const LEVEL: Record<string, RuleCondition> = {
  crosses: 'crossing',
  crossing: 'crossing',
  'crosses up': 'crossing-up',
  'crosses above': 'crossing-up',
  'crosses down': 'crossing-down',
  'crosses below': 'crossing-down',
  above: 'greater-than',
  '>': 'greater-than',
  below: 'less-than',
  '<': 'less-than',
  // The schema's names too, as the ad-hoc form's "and" lines may write them.
  'crossing-up': 'crossing-up',
  'crossing-down': 'crossing-down',
  'greater-than': 'greater-than',
  'less-than': 'less-than',
};
const CHANNEL: Record<string, RuleCondition> = {
  enters: 'entering-channel',
  exits: 'exiting-channel',
  inside: 'inside-channel',
  outside: 'outside-channel',
  'entering-channel': 'entering-channel',
  'exiting-channel': 'exiting-channel',
  'inside-channel': 'inside-channel',
  'outside-channel': 'outside-channel',
};
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600 };
/** Words that end a spread's legs: the condition's first word. */
export const CONDITION_WORDS: ReadonlySet<string> = new Set([
  ...Object.keys(LEVEL).filter((w) => !w.includes(' ')),
  ...Object.keys(CHANNEL),
  'up',
  'down',
]);

/** `30s`, `5m`, `1h` as seconds; undefined when malformed. */
export function seconds(text: string | undefined): number | undefined {
  const m = /^([0-9]{1,6})([smh])$/.exec(text ?? '');
  return m ? Number(m[1]) * UNIT[m[2]!]! : undefined;
}

/** A word of the trader's quoted back: short, so a reply never grows with what was sent. */
export const quote = (word: string): string => `"${word.length > 40 ? `${word.slice(0, 39)}…` : word}"`;

/**
 * A condition and its values from the front of `words` (consumed): a level or crossing and
 * its price, a channel and its low and high, a move and its amount and window (`moves`).
 */
export function parseCondition(words: string[], moves = true): Parsed<Record<string, unknown>> {
  let word = words.shift()?.toLowerCase();
  const next = words[0]?.toLowerCase();
  if (word === 'crosses' && next !== undefined && LEVEL[`crosses ${next}`])
    word = `crosses ${words.shift()!.toLowerCase()}`;
  if (word && Object.hasOwn(LEVEL, word)) {
    const threshold = words.shift();
    return threshold === undefined
      ? no(`"${word}" needs a price.`)
      : { ok: true, value: { condition: LEVEL[word], threshold } };
  }
  if (word && Object.hasOwn(CHANNEL, word)) {
    const [lower, upper] = words.splice(0, 2);
    return upper === undefined
      ? no(`"${word}" needs a low and a high price.`)
      : { ok: true, value: { condition: CHANNEL[word], lower, upper } };
  }
  if (moves && (word === 'up' || word === 'down')) {
    const amount = words.shift() ?? '';
    const percent = amount.endsWith('%');
    if (words.shift()?.toLowerCase() !== 'in') return no(`"${word}" needs "in <N>s|m|h", e.g. up 2% in 5m.`);
    const windowSeconds = seconds(words.shift()?.toLowerCase());
    if (windowSeconds === undefined) return no('A window is a number with s, m or h, e.g. 30s, 5m, 1h.');
    const condition = `moving-${word}${percent ? '-percent' : ''}`;
    return { ok: true, value: { condition, amount: percent ? amount.slice(0, -1) : amount, windowSeconds } };
  }
  return no(word ? `Unknown condition ${quote(word)}.` : 'Which condition?');
}

/** One condition of an AND: `ETHUSDT below 3000`, `SOLUSDT inside 140 150` (no moves: §4.2). */
export function parseAndCondition(words: string[]): Parsed<Record<string, unknown>> {
  const symbol = words.shift()?.toUpperCase();
  if (symbol === undefined) return no('"and" needs an instrument and a condition, e.g. and ETHUSDT below 3000.');
  const c = parseCondition(words, false);
  return c.ok ? { ok: true, value: { symbol, ...c.value } } : c;
}

/**
 * Escalation steps from the front of `words` (consumed): `recipient, webhook after 60s,
 * desk after 5m`. A comma after a step says another follows, so the chain ends at the
 * first step without one and the rest of the command reads on.
 */
export function parseChain(words: string[]): Parsed<Array<{ to: string; afterSeconds?: number }>> {
  const steps: Array<{ to: string; afterSeconds?: number }> = [];
  for (;;) {
    let to = words.shift();
    if (to === undefined || to === ',' || to.startsWith('"'))
      return no('An escalation step is recipient, webhook, backup or desk, e.g. webhook after 60s.');
    let more = to.endsWith(',');
    to = (more ? to.slice(0, -1) : to).toLowerCase();
    const step: { to: string; afterSeconds?: number } = { to };
    if (!more && words[0]?.toLowerCase() === 'after') {
      words.shift();
      const wait = words.shift() ?? '';
      more = wait.endsWith(',');
      step.afterSeconds = seconds((more ? wait.slice(0, -1) : wait).toLowerCase());
      if (step.afterSeconds === undefined) return no(`"after" needs a wait such as 60s, 5m or 1h; not ${quote(wait)}.`);
    }
    if (!more && words[0] === ',') more = Boolean(words.shift());
    steps.push(step);
    if (!more) return { ok: true, value: steps };
  }
}
