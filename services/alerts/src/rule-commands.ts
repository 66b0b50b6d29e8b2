import { validateRuleInput, type Rule, type RuleInput } from '@tickdesk/schemas';
import { describeCondition } from './alert-message.js';
import { StoreError, type RuleStore } from './store/index.js';
import type { WriteBudget } from './write-budget.js';

export type CommandOutcome = { ok: true; text: string; rule?: Rule } | { ok: false; text: string; field?: string };

export interface RuleCommandDeps {
  rules: RuleStore;
  symbols: ReadonlySet<string>;
  traders: () => ReadonlySet<string>;
  /** The per-user write limit shared with the REST API; none: unlimited (tests). */
  writeBudget?: WriteBudget;
  /** The shortest every-time cooldown (DEFAULT_MIN_COOLDOWN_SECONDS when absent). */
  minCooldownSeconds?: number;
  now?: () => number;
}

/** One line per rule, as chat and ad-hoc replies show it. */
export function describeRule(r: Rule): string {
  const freq = r.frequency === 'once' ? 'once' : r.frequency === 'every-time' ? `every time (cooldown ${r.cooldownSeconds ?? 60}s)` : `once per ${r.interval} bar`;
  const extras = [r.priority === 'critical' ? 'critical' : '', r.backup ? `backup ${r.backup}` : '', r.expiresAt ? `expires ${r.expiresAt}` : ''].filter(Boolean);
  return `${r.id} [${r.status}] ${r.symbol} ${describeCondition(r)}, ${freq}${extras.length ? `, ${extras.join(', ')}` : ''}${r.message ? ` "${r.message}"` : ''}`;
}

/**
 * The rule operations traders run from any XMPP client, by chat or by ad-hoc command,
 * with the same validation as the REST API. A trader only touches their own rules.
 */
export function createRuleCommands({ rules, symbols, traders, writeBudget, minCooldownSeconds, now = Date.now }: RuleCommandDeps) {
  async function own(owner: string, id: string): Promise<Rule | CommandOutcome> {
    const rule = await rules.get(id);
    // Someone else's rule looks the same as a missing one: ids are not for probing.
    return rule && rule.owner === owner ? rule : { ok: false, text: `No rule ${id} of yours.` };
  }
  const isOutcome = (x: Rule | CommandOutcome): x is CommandOutcome => 'ok' in x;

  /** Every write counts against the budget REST writes use, before anything else, as REST counts refused requests too. */
  async function overBudget(owner: string): Promise<CommandOutcome | undefined> {
    const verdict = writeBudget ? await writeBudget.take(owner) : { ok: true as const };
    return verdict.ok ? undefined : { ok: false, text: `Too many changes: wait ${Math.ceil(verdict.retryAfterMs / 1000)} s and try again.` };
  }

  return {
    async add(owner: string, input: unknown): Promise<CommandOutcome> {
      const limited = await overBudget(owner);
      if (limited) return limited;
      const res = validateRuleInput(input, { symbols, traders: traders(), nowMicros: now() * 1000, ...(minCooldownSeconds !== undefined ? { minCooldownSeconds } : {}) });
      if (!res.ok) return { ok: false, field: res.field, text: `Not added. ${res.field}: ${res.message}` };
      if (res.value.backup === owner) return { ok: false, field: 'backup', text: 'Not added. backup: must be another trader, not yourself' };
      try {
        const rule = await rules.create(owner, res.value as RuleInput);
        return { ok: true, rule, text: `Added ${describeRule(rule)}` };
      } catch (err) {
        if (!(err instanceof StoreError) || err.code !== 'TICKDESK_ALERTS_STORE_RULE_LIMIT') throw err;
        const { limit } = err as StoreError & { limit: number };
        return { ok: false, text: `Not added. You have ${limit} rules, the most allowed: delete one first (send "alerts" to list them).` };
      }
    },
    mine: (owner: string): Promise<Rule[]> => rules.list({ owner }),
    async list(owner: string): Promise<CommandOutcome> {
      const mine = await rules.list({ owner });
      return { ok: true, text: mine.length ? mine.map(describeRule).join('\n') : 'You have no rules. Try: alert BTCUSDT crosses 65000' };
    },
    async remove(owner: string, id: string): Promise<CommandOutcome> {
      const limited = await overBudget(owner);
      if (limited) return limited;
      const rule = await own(owner, id);
      if (isOutcome(rule)) return rule;
      await rules.remove(id);
      return { ok: true, text: `Deleted ${id}.` };
    },
    async setActive(owner: string, id: string, active: boolean): Promise<CommandOutcome> {
      const limited = await overBudget(owner);
      if (limited) return limited;
      const rule = await own(owner, id);
      if (isOutcome(rule)) return rule;
      if (active && rule.status !== 'paused') return { ok: false, text: `${id} is ${rule.status}, not paused.` };
      if (!active && rule.status !== 'active') return { ok: false, text: `${id} is ${rule.status}, not active.` };
      const updated = await rules.setStatus(id, active ? 'active' : 'paused', rule.version);
      if (typeof updated === 'string') return { ok: false, text: `${id} changed meanwhile; try again.` };
      return { ok: true, rule: updated, text: `${active ? 'Resumed' : 'Paused'} ${describeRule(updated)}` };
    },
  };
}
export type RuleCommands = ReturnType<typeof createRuleCommands>;
