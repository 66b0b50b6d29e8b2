import { parseAndCondition, parseChain, parseCondition, quote, seconds } from './chat-rule-words.js';
import { parseSubject } from './chat-series.js';

/** A trader's chat command to the desk account, parsed; validation of the rule happens after. */
export type ChatCommand =
  | { kind: 'help' }
  | { kind: 'list'; page: number }
  | { kind: 'add'; input: Record<string, unknown> }
  | { kind: 'delete' | 'pause' | 'resume'; id: string }
  /** A rule's own escalation chain set, or removed (`null`: the trader's default chain applies again). */
  | { kind: 'escalate'; id: string; escalation: Array<Record<string, unknown>> | null }
  | { kind: 'usage'; message: string };

export const USAGE = [
  'Commands:',
  '  alert <SYMBOL> crosses|crosses up|crosses down <price>',
  '  alert <SYMBOL> above|below <price>',
  '  alert <SYMBOL> enters|exits|inside|outside <low> <high>',
  '  alert <SYMBOL> up|down <amount>[%] in <N>s|m|h',
  '  alert <SYMBOL> crosses above|crosses below <price>',
  '  alert spread <SYMBOL> [+|-][<coefficient>*]<SYMBOL>... <condition>   2 to 5 legs',
  '  alert ratio <SYMBOL>/<SYMBOL> <condition>   no moves',
  '  alert <SYMBOL> <condition> and <SYMBOL> <condition> [and ...]   up to 5 conditions, no moves',
  '    options: once (default) | every [<N>s|m|h] | per bar 1s|1m|1h, critical, to <trader>, backup <trader>, expires <UTC time>, escalate <steps>, "text"',
  '  escalate <rule id> <step>[, <step>...]   step: recipient|webhook|backup|desk [after <N>s|m|h]',
  '  escalate <rule id> off   back to your default chain',
  '  alerts [page]          list your rules, a page at a time',
  '  delete|pause|resume <rule id>',
  'Examples: alert BTCUSDT crosses up 65000 critical "take profit"',
  '  alert spread BTCUSDT -15*ETHUSDT crosses above 0',
  '  alert ratio BTCUSDT/ETHUSDT above 19.5',
  '  alert BTCUSDT above 70000 and ETHUSDT below 3000',
  '  escalate r1a2b3c recipient, webhook after 60s, backup after 2m, desk after 5m',
].join('\n');

/** Split on spaces, keeping a "quoted text" as one token (marked by a leading quote). */
function tokens(text: string): string[] | undefined {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1] !== undefined ? `"${m[1]}` : m[2]!);
  return text.split('"').length % 2 === 1 ? out : undefined;
}

const usage = (message: string): ChatCommand => ({ kind: 'usage', message: `${message}\n\n${USAGE}` });
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
  if (lower === 'escalate') return parseEscalate(rest);
  if (lower !== 'alert') return usage(`Unknown command ${quote(verb!)}.`);
  return parseAlert(rest);
}

function parseEscalate(words: string[]): ChatCommand {
  const id = words.shift();
  const help = 'Usage: escalate <rule id> recipient, webhook after 60s, desk after 5m; or escalate <rule id> off.';
  if (id === undefined || !/^r[0-9a-z]{1,32}$/.test(id) || words.length === 0) return usage(help);
  if (words.length === 1 && ['off', 'none'].includes(words[0]!.toLowerCase()))
    return { kind: 'escalate', id, escalation: null };
  const chain = parseChain(words);
  if (!chain.ok) return usage(chain.message);
  return words.length ? usage(`Unexpected ${quote(words[0]!)}.`) : { kind: 'escalate', id, escalation: chain.value };
}

function parseAlert(words: string[]): ChatCommand {
  const subject = parseSubject(words);
  if (!subject.ok) return usage(subject.message);
  const condition = parseCondition(words);
  if (!condition.ok) return usage(condition.message);
  const { symbol, series } = subject.value;
  const input: Record<string, unknown> = { symbol, ...condition.value, frequency: 'once', priority: 'normal' };
  if (series) input.series = series;
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
    else if (lw === 'and') {
      const c = parseAndCondition(words);
      if (!c.ok) return usage(c.message);
      input.and = [...((input.and as unknown[] | undefined) ?? []), c.value];
    } else if (lw === 'escalate') {
      const chain = parseChain(words);
      if (!chain.ok) return usage(chain.message);
      input.escalation = chain.value;
    } else if (lw === 'to') {
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
