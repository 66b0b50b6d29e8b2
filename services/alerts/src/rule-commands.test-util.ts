import type { Rule, RuleInput, RuleStatus } from '@tickdesk/schemas';
import { createRuleCommands } from './rule-commands.js';
import { StoreError, type RuleStore } from './store/index.js';

/** Alice's rule number `i` on BTCUSDT; `over` sets the fields a test cares about. */
export const listedRule = (i: number, over: Partial<Rule> = {}): Rule => ({
  id: `r${i.toString(36)}x`,
  owner: 'alice',
  symbol: 'BTCUSDT',
  condition: 'crossing-up',
  threshold: `${65000 + i}`,
  frequency: 'once',
  priority: 'normal',
  status: 'active',
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  version: 1,
  ...over,
});

/**
 * Rule commands for traders alice and bob on BTCUSDT over a fixed list of rules; create()
 * keeps its input in `added` and answers with `created` carrying that input.
 */
export function listedRuleCommands(rules: Rule[], created: Rule) {
  const added: unknown[] = [];
  const store = {
    list: async () => rules,
    get: async (id: string) => rules.find((r) => r.id === id),
    create: async (owner: string, input: Record<string, unknown>) => {
      added.push(input);
      return { ...created, ...input, owner };
    },
  } as unknown as RuleStore;
  const commands = createRuleCommands({
    rules: store,
    symbols: new Set(['BTCUSDT']),
    traders: () => new Set(['alice', 'bob']),
  });
  return { commands, added };
}

/**
 * The rule store's behaviour that the rules service relies on, in memory: at most `cap` rules
 * per owner (the store's TICKDESK_ALERTS_STORE_RULE_LIMIT), versions checked on an update or a status change,
 * and `race()` to have the next remove find its rule deleted just before, as a racing REST
 * delete would.
 */
export function memoryRules(cap = Infinity) {
  const rules = new Map<string, Rule>();
  let n = 0;
  let racing = false;
  const store = {
    async create(owner: string, input: RuleInput): Promise<Rule> {
      if ([...rules.values()].filter((r) => r.owner === owner).length >= cap) {
        throw Object.assign(
          new StoreError('TICKDESK_ALERTS_STORE_RULE_LIMIT', `${owner} has ${cap} rules, the most allowed`),
          { limit: cap },
        );
      }
      const rule: Rule = {
        id: `r${++n}`,
        owner,
        ...input,
        status: 'active',
        createdAt: '2026-11-21T10:00:00Z',
        updatedAt: '2026-11-21T10:00:00Z',
        version: 1,
      };
      rules.set(rule.id, rule);
      return rule;
    },
    get: async (id: string) => rules.get(id),
    list: async ({ owner }: { owner?: string } = {}) =>
      [...rules.values()].filter((r) => owner === undefined || r.owner === owner),
    async remove(id: string) {
      if (racing) rules.delete(id);
      return rules.delete(id);
    },
    async update(id: string, input: RuleInput, expected?: number) {
      const r = rules.get(id);
      if (!r) return 'not-found' as const;
      if (expected !== undefined && expected !== r.version) return 'version-conflict' as const;
      const next: Rule = {
        id,
        owner: r.owner,
        ...input,
        status: r.status,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
        version: r.version + 1,
      };
      rules.set(id, next);
      return next;
    },
    async setStatus(id: string, status: RuleStatus, expected?: number) {
      const r = rules.get(id);
      if (!r) return 'not-found' as const;
      if (expected !== undefined && expected !== r.version) return 'version-conflict' as const;
      const next = { ...r, status, version: r.version + 1 };
      rules.set(id, next);
      return next;
    },
  } as unknown as RuleStore;
  return {
    store,
    race: () => {
      racing = true;
    },
  };
}
