import { RuleInput, type EscalationChain, type Rule } from '@tickdesk/schemas';
import { describeCondition } from './alert-message.js';
import { crossSubject, describeCross } from './cross-alert.js';
import { createRuleService, type RuleActor, type RuleRefusal, type RuleServiceDeps } from './rule-service.js';

export type CommandOutcome = { ok: true; text: string; rule?: Rule } | { ok: false; text: string; field?: string };

/** The rules service's dependencies: chat and ad-hoc pass the write budget REST's limiter counts in. */
export type RuleCommandDeps = RuleServiceDeps;

/** A chain as the chat command writes it: "recipient, webhook after 60s, desk after 300s". */
const describeChain = (chain: EscalationChain): string =>
  chain.map((s) => (s.afterSeconds ? `${s.to} after ${s.afterSeconds}s` : s.to)).join(', ');

/** One line per rule, as chat and ad-hoc replies show it. */
export function describeRule(r: Rule): string {
  const freq =
    r.frequency === 'once'
      ? 'once'
      : r.frequency === 'every-time'
        ? `every time (cooldown ${r.cooldownSeconds ?? 60}s)`
        : `once per ${r.interval} bar`;
  const extras = [
    r.priority === 'critical' ? 'critical' : '',
    r.backup ? `backup ${r.backup}` : '',
    r.expiresAt ? `expires ${r.expiresAt}` : '',
    r.maxFirings !== undefined ? `pauses after ${r.maxFirings} firings` : '',
    r.minGapSeconds !== undefined ? `at most one alert per ${r.minGapSeconds}s` : '',
    r.groupWindowSeconds !== undefined ? `firings within ${r.groupWindowSeconds}s in one message` : '',
    r.escalation ? `escalates ${describeChain(r.escalation)}` : '',
  ].filter(Boolean);
  const status = r.pausedReason === 'firing-limit' && r.status === 'paused' ? 'paused at its firing limit' : r.status;
  const series = describeCross(r);
  const subject = crossSubject({ symbol: r.symbol, ...(series ? { series } : {}) }, describeCondition(r));
  return `${r.id} [${status}] ${subject}, ${freq}${extras.length ? `, ${extras.join(', ')}` : ''}${r.message ? ` "${r.message}"` : ''}`;
}

/** A refusal as chat and ad-hoc replies word it; `verb` is what was not done ("added"). */
function refusalText(r: RuleRefusal, id: string, verb: string): CommandOutcome {
  switch (r.kind) {
    case 'rate-limited':
      return { ok: false, text: `Too many changes: wait ${Math.ceil(r.retryAfterMs / 1000)} s and try again.` };
    case 'invalid':
      return { ok: false, field: r.field, text: `Not ${verb}. ${r.field}: ${r.message}` };
    case 'self-backup':
      return { ok: false, field: 'backup', text: `Not ${verb}. backup: must be another trader, not yourself` };
    case 'rule-limit':
      return {
        ok: false,
        text: `Not ${verb}. You have ${r.limit} rules, the most allowed: delete one first (send "alerts" to list them).`,
      };
    // Someone else's rule looks the same as a missing one: ids are not for probing.
    case 'not-found':
      return { ok: false, text: `No rule ${id} of yours.` };
    case 'wrong-status':
      return { ok: false, text: `${id} is ${r.status}, not ${verb === 'resumed' ? 'paused' : 'active'}.` };
    case 'stale-version':
    case 'changed':
      return { ok: false, text: `${id} changed meanwhile; try again.` };
  }
}

/**
 * The rule operations traders run from any XMPP client, by chat or by ad-hoc command:
 * the rule service the REST API uses, its outcomes worded as replies.
 */
/** What a trader wrote of a stored rule: the fields of RuleInput, without identity, status or flap state. */
const inputOf = (rule: Rule): Record<string, unknown> =>
  Object.fromEntries(Object.entries(rule).filter(([k]) => Object.hasOwn(RuleInput.properties, k)));

export function createRuleCommands(deps: RuleCommandDeps) {
  const service = createRuleService(deps);
  const trader = (user: string): RuleActor => ({ user, role: 'trader' });

  return {
    async add(owner: string, input: unknown): Promise<CommandOutcome> {
      const out = await service.create(trader(owner), input);
      return out.ok
        ? { ok: true, rule: out.rule, text: `Added ${describeRule(out.rule)}` }
        : refusalText(out, '', 'added');
    },
    mine: (owner: string): Promise<Rule[]> => service.list(trader(owner)),
    async list(owner: string): Promise<CommandOutcome> {
      const mine = await service.list(trader(owner));
      return {
        ok: true,
        text: mine.length ? mine.map(describeRule).join('\n') : 'You have no rules. Try: alert BTCUSDT crosses 65000',
      };
    },
    async remove(owner: string, id: string): Promise<CommandOutcome> {
      const out = await service.remove(trader(owner), id);
      return out.ok ? { ok: true, text: `Deleted ${id}.` } : refusalText(out, id, 'deleted');
    },
    /**
     * Give a rule of the owner's its own escalation chain, or take it away (`null`: the
     * trader's default chain applies again), checked as a REST PUT of the whole rule is.
     */
    async escalate(owner: string, id: string, chain: unknown[] | null): Promise<CommandOutcome> {
      const rule = await service.get(trader(owner), id);
      if (!rule) return refusalText({ kind: 'not-found' }, id, 'changed');
      const { escalation: _, ...input } = inputOf(rule);
      const out = await service.update(
        trader(owner),
        id,
        chain ? { ...input, escalation: chain } : input,
        rule.version,
      );
      if (!out.ok) return refusalText(out, id, 'changed');
      return { ok: true, rule: out.rule, text: `Changed ${describeRule(out.rule)}` };
    },
    async setActive(owner: string, id: string, active: boolean): Promise<CommandOutcome> {
      const out = await service.setStatus(trader(owner), id, active ? 'active' : 'paused');
      if (!out.ok) return refusalText(out, id, active ? 'resumed' : 'paused');
      return { ok: true, rule: out.rule, text: `${active ? 'Resumed' : 'Paused'} ${describeRule(out.rule)}` };
    },
  };
}
export type RuleCommands = ReturnType<typeof createRuleCommands>;
