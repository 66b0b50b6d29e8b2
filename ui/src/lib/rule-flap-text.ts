import type { Rule } from '@tickdesk/schemas';
import { clockUtc } from './time-format.js';

/** One line of what holds a rule back or gathers its firings, in a trader's words. */
export interface FlapLine {
  /** limited: alerts are not going out as they fire now; grouping: a group message is open; setting: what the rule is set to do. */
  kind: 'limited' | 'grouping' | 'setting';
  /** firing-limit, rate-cap, min-gap, grouping, max-firings, min-gap-setting, group-setting. */
  reason: string;
  text: string;
}

/** What RuleFlapBadge shows for a rule (REST adds `limited`, `grouping` and `firings`: docs/alerts-protocol.md "Flap control"). */
export function flapLines(r: Rule): FlapLine[] {
  const out: FlapLine[] = [];
  const l = r.limited;
  if (l?.reason === 'firing-limit')
    out.push({
      kind: 'limited',
      reason: 'firing-limit',
      text: `Paused itself at ${clockUtc(l.since)} after ${r.firings ?? r.maxFirings ?? '?'} firings, its limit. Resume it to start counting again.`,
    });
  else if (l?.reason === 'rate-cap')
    out.push({
      kind: 'limited',
      reason: 'rate-cap',
      text: `Rate-capped since ${clockUtc(l.since)}${l.detail ? ` (${l.detail})` : ''}: firings over the cap are recorded as suppressed, not sent${l.until ? `, until ${clockUtc(l.until)} at the earliest` : ''}.`,
    });
  else if (l?.reason === 'min-gap')
    out.push({
      kind: 'limited',
      reason: 'min-gap',
      text: `Holding back firings that come within ${r.minGapSeconds ?? '?'}s of the last alert (since ${clockUtc(l.since)}); they are recorded as suppressed.`,
    });
  if (r.grouping)
    out.push({
      kind: 'grouping',
      reason: 'grouping',
      text: `Grouping: ${r.grouping.firings} firing${r.grouping.firings === 1 ? '' : 's'} so far, sent as one message at ${clockUtc(r.grouping.until)}.`,
    });
  else if (r.groupWindowSeconds !== undefined)
    out.push({
      kind: 'setting',
      reason: 'group-setting',
      text: `Firings within ${r.groupWindowSeconds}s go out as one message.`,
    });
  if (r.maxFirings !== undefined && l?.reason !== 'firing-limit')
    out.push({
      kind: 'setting',
      reason: 'max-firings',
      text: `${r.firings ?? 0} of ${r.maxFirings} firings before it pauses itself.`,
    });
  if (r.minGapSeconds !== undefined && l?.reason !== 'min-gap')
    out.push({ kind: 'setting', reason: 'min-gap-setting', text: `At most one alert every ${r.minGapSeconds}s.` });
  return out;
}
