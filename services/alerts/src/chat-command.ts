import type { RuleInput } from '@tickdesk/schemas';

/** A trader's chat command to the desk account, parsed; validation of the rule happens after. */
export type ChatCommand =
  | { kind: 'help' }
  | { kind: 'list'; page: number }
  | { kind: 'add'; input: Record<string, unknown> }
  | { kind: 'delete' | 'pause' | 'resume'; id: string }
  | { kind: 'usage'; message: string };

export const USAGE = [
  'Commands:',
  '  alert <SYMBOL> crosses|crosses up|crosses down <price>',
  '  alert <SYMBOL> above|below <price>',
  '  alert <SYMBOL> enters|exits|inside|outside <low> <high>',
  '  alert <SYMBOL> up|down <amount>[%] in <N>s|m|h',
  '    options: once (default) | every [<N>s|m|h] | per bar 1s|1m|1h, critical, to <trader>, backup <trader>, expires <UTC time>, "text"',
  '  alerts [page]          list your rules, a page at a time',
  '  delete|pause|resume <rule id>',
  'Example: alert BTCUSDT crosses up 65000 critical "take profit"',
].join('\n');

const LEVEL: Record<string, RuleInput['condition']> = {
  crosses: 'crossing',
  crossing: 'crossing',
  'crosses up': 'crossing-up',
  'crosses down': 'crossing-down',
  above: 'greater-than',
  '>': 'greater-than',
  below: 'less-than',
  '<': 'less-than',
};
const CHANNEL: Record<string, RuleInput['condition']> = {
  enters: 'entering-channel',
  exits: 'exiting-channel',
  inside: 'inside-channel',
  outside: 'outside-channel',
};
const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `30s`, `5m`, `1h` as seconds; undefined when malformed. */
function seconds(text: string | undefined): number | undefined {
  const m = /^([0-9]{1,6})([smh])$/.exec(text ?? '');
  return m ? Number(m[1]) * UNIT[m[2]!]! : undefined;
}

/** Split on spaces, keeping a "quoted text" as one token (marked by a leading quote). */
function tokens(text: string): string[] | undefined {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? `"${m[1]}` : m[2]!);
  return text.split('"').length % 2 === 1 ? out : undefined;
}

const usage = (message: string): ChatCommand => ({ kind: 'usage', message: `${message}\n\n${USAGE}` });
/** A word of the trader's quoted back: short, so a reply never grows with what was sent. */
const quote = (word: string): string => `"${word.length > 40 ? `${word.slice(0, 39)}…` : word}"`;
const INTERVALS = ['1s', '1m', '1h'];
/** The value an option takes: the next word, unless there is none or it is the quoted text. */
const valueOf = (words: string[]): string | undefined =>
  words[0] === undefined || words[0].startsWith('"') ? undefined : words.shift();

export function parseChatCommand(text: string): ChatCommand {
  const words = tokens(text.trim());
  if (!words) return usage('Unbalanced quote.');
  const [verb, ...rest] = words;
  const lower = verb?.toLowerCase();
  if (!lower || lower === 'help' || lower === '?') return { kind: 'help' };
  if (lower === 'alerts' || lower === 'rules' || lower === 'list') {
    if (rest.length === 0) return { kind: 'list', page: 1 };
    return rest.length === 1 && /^[1-9][0-9]{0,5}$/.test(rest[0]!)
      ? { kind: 'list', page: Number(rest[0]) }
      : usage(`Usage: alerts [page], e.g. alerts 2.`);
  }
  if (lower === 'delete' || lower === 'pause' || lower === 'resume') {
    return rest.length === 1 && /^r[0-9a-z]{1,32}$/.test(rest[0]!)
      ? { kind: lower, id: rest[0]! }
      : usage(`Usage: ${lower} <rule id>, e.g. ${lower} r1a2b3c.`);
  }
  if (lower !== 'alert') return usage(`Unknown command ${quote(verb!)}.`);
  return parseAlert(rest);
}

function parseAlert(words: string[]): ChatCommand {
  const symbol = words.shift()?.toUpperCase();
  if (!symbol) return usage('Which instrument? e.g. alert BTCUSDT crosses 65000.');
  const input: Record<string, unknown> = { symbol, frequency: 'once', priority: 'normal' };
  let word = words.shift()?.toLowerCase();
  if (word === 'crosses' && (words[0]?.toLowerCase() === 'up' || words[0]?.toLowerCase() === 'down'))
    word = `crosses ${words.shift()!.toLowerCase()}`;
  if (word && LEVEL[word]) {
    input.condition = LEVEL[word];
    input.threshold = words.shift();
    if (input.threshold === undefined) return usage(`"${word}" needs a price.`);
  } else if (word && CHANNEL[word]) {
    input.condition = CHANNEL[word];
    input.lower = words.shift();
    input.upper = words.shift();
    if (input.upper === undefined) return usage(`"${word}" needs a low and a high price.`);
  } else if (word === 'up' || word === 'down') {
    const amount = words.shift() ?? '';
    const percent = amount.endsWith('%');
    input.condition = `moving-${word}${percent ? '-percent' : ''}`;
    input.amount = percent ? amount.slice(0, -1) : amount;
    if (words.shift()?.toLowerCase() !== 'in') return usage(`"${word}" needs "in <N>s|m|h", e.g. up 2% in 5m.`);
    input.windowSeconds = seconds(words.shift()?.toLowerCase());
    if (input.windowSeconds === undefined) return usage('A window is a number with s, m or h, e.g. 30s, 5m, 1h.');
  } else {
    return usage(word ? `Unknown condition ${quote(word)}.` : 'Which condition?');
  }
  while (words.length) {
    const w = words.shift()!;
    const lw = w.toLowerCase();
    if (lw === 'once') input.frequency = 'once';
    else if (lw === 'every') {
      input.frequency = 'every-time';
      const cooldown = seconds(words[0]?.toLowerCase());
      if (cooldown !== undefined) {
        words.shift();
        input.cooldownSeconds = cooldown;
      }
    } else if (lw === 'per') {
      // Every option that takes a value refuses to go without one: dropping it would add a rule the trader did not write.
      const interval = words[0]?.toLowerCase() === 'bar' ? words[1]?.toLowerCase() : undefined;
      if (interval === undefined || !INTERVALS.includes(interval))
        return usage('"per bar" needs 1s, 1m or 1h, e.g. per bar 1m.');
      words.splice(0, 2);
      input.frequency = 'once-per-bar';
      input.interval = interval;
    } else if (lw === 'critical' || lw === 'normal') input.priority = lw;
    else if (lw === 'to') {
      // A desk trader or a partner desk's trader by bare JID (bob@deskb.example).
      const recipient = valueOf(words);
      if (recipient === undefined) return usage('"to" needs a trader, e.g. to bob or to bob@deskb.example.');
      input.recipient = recipient.toLowerCase();
    } else if (lw === 'backup') {
      const backup = valueOf(words);
      if (backup === undefined) return usage('"backup" needs a trader, e.g. backup bob.');
      input.backup = backup.toLowerCase();
    } else if (lw === 'expires') {
      const expires = valueOf(words);
      if (expires === undefined) return usage('"expires" needs a UTC time, e.g. expires 2026-12-31T23:00:00Z.');
      input.expiresAt = expires;
    } else if (w.startsWith('"')) input.message = w.slice(1);
    else return usage(`Unexpected ${quote(w)}.`);
  }
  return { kind: 'add', input };
}
