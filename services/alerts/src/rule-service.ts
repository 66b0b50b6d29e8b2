import { Value } from '@sinclair/typebox/value';
import {
  RuleInput,
  validateRuleInput,
  type DeskRole,
  type Rule,
  type RuleStatus,
  type SensorRange,
} from '@tickdesk/schemas';
import { StoreError, type RuleStore } from './store/index.js';
import { overRemoteLimit, type RemoteTraderLimit } from './remote-trader-limit.js';
import type { WriteBudget } from './write-budget.js';

/** Who asks: a trader reads and changes only their own rules, an admin anyone's, compliance reads everyone's. */
export interface RuleActor {
  user: string;
  role: DeskRole;
}

/** Why a rule operation was refused; each caller words it (REST: codes and statuses; chat and ad-hoc: replies). */
export type RuleRefusal =
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'invalid'; field: string; message: string }
  | { kind: 'self-backup' }
  | { kind: 'not-found' }
  | { kind: 'rule-limit'; limit: number; message: string }
  /** The version the caller read is not the rule's version now. */
  | { kind: 'stale-version'; version: number }
  /** The rule changed between the read and the compare-and-set write. */
  | { kind: 'changed' }
  | { kind: 'wrong-status'; status: RuleStatus };
export type RuleOutcome = { ok: true; rule: Rule } | ({ ok: false } & RuleRefusal);

export interface RuleFilter {
  owner?: string;
  symbol?: string;
  status?: RuleStatus;
}

export interface RuleServiceDeps {
  rules: RuleStore;
  symbols: ReadonlySet<string>;
  /** The sensor instruments among them (sensorRanges): signed thresholds, no percentage moves across zero. */
  sensors?: ReadonlyMap<string, SensorRange>;
  /** The desk's traders now (a local recipient or backup must be one). */
  traders: () => ReadonlySet<string> | Promise<ReadonlySet<string>>;
  /** Partner desks' domains (topology.federation.peers): their traders may be a rule's recipient or backup, never an owner. */
  peers?: ReadonlySet<string>;
  /**
   * The per-user write budget (write-budget.ts). The REST API passes none: its rate limiter
   * counts every write request in the same Redis key before the route runs.
   */
  writeBudget?: WriteBudget;
  /** The shortest every-time cooldown (DEFAULT_MIN_COOLDOWN_SECONDS when absent). */
  minCooldownSeconds?: number;
  /** Partner traders the engines follow and their limit: a rule naming one more is refused. */
  remoteTraders?: RemoteTraderLimit;
  /** Adds each rule's flap state to what `get` and `list` answer (flap-view.ts); absent: the stored rules as they are. */
  annotate?: (rules: Rule[]) => Promise<Rule[]>;
  now?: () => number;
}

const READ_ALL: ReadonlySet<DeskRole> = new Set(['compliance', 'admin']);
const refuse = <R extends RuleRefusal>(r: R): { ok: false } & R => ({ ok: false, ...r });

/**
 * The rule operations of every path (REST, chat, ad-hoc): validation, ownership, the
 * per-trader cap (counted in the store's create script) and the write budget. Outstanding
 * alerts of a deleted or paused rule are retired by the engine when it hears the store's
 * change (retirement.ts), whichever path wrote it.
 */
export function createRuleService({
  rules,
  symbols,
  sensors,
  traders,
  peers,
  writeBudget,
  minCooldownSeconds,
  remoteTraders,
  annotate = (r) => Promise.resolve(r),
  now = Date.now,
}: RuleServiceDeps) {
  /** The rule, if the actor may see it: someone else's is the same as a missing one, so ids cannot be probed. */
  async function visible(actor: RuleActor, id: string): Promise<Rule | undefined> {
    const rule = await rules.get(id);
    return rule && (READ_ALL.has(actor.role) || rule.owner === actor.user) ? rule : undefined;
  }
  /** The rule, if the actor may change it: compliance and analysts change nothing. */
  async function writable(actor: RuleActor, id: string): Promise<Rule | undefined> {
    return actor.role === 'trader' || actor.role === 'admin' ? visible(actor, id) : undefined;
  }

  /** Counted before anything else, as the REST limiter counts refused requests too. */
  async function overBudget(actor: RuleActor): Promise<RuleOutcome | undefined> {
    const verdict = writeBudget ? await writeBudget.take(actor.user) : { ok: true as const };
    return verdict.ok ? undefined : refuse({ kind: 'rate-limited', retryAfterMs: verdict.retryAfterMs });
  }

  /** validateRuleInput (the field named), then the schema as a last guard. */
  async function check(input: unknown, owner: string): Promise<RuleInput | ({ ok: false } & RuleRefusal)> {
    const res = validateRuleInput(input, {
      symbols,
      ...(sensors ? { sensors } : {}),
      traders: await traders(),
      ...(peers ? { peers } : {}),
      nowMicros: now() * 1000,
      ...(minCooldownSeconds !== undefined ? { minCooldownSeconds } : {}),
    });
    if (!res.ok) return refuse({ kind: 'invalid', field: res.field, message: res.message });
    if (res.value.backup === (res.value.recipient ?? owner)) return refuse({ kind: 'self-backup' });
    const over = remoteTraders && (await overRemoteLimit(remoteTraders, res.value));
    if (over) return refuse({ kind: 'invalid', ...over });
    const wrong = Value.Errors(RuleInput, res.value).First();
    if (wrong) return refuse({ kind: 'invalid', field: wrong.path.slice(1) || 'rule', message: wrong.message });
    return res.value;
  }
  const refused = (x: unknown): x is { ok: false } & RuleRefusal =>
    typeof x === 'object' && x !== null && (x as { ok?: unknown }).ok === false;

  /** A change of an existing rule: the budget counted, then the rule the actor may change handed to `write`. */
  async function change(
    actor: RuleActor,
    id: string,
    write: (rule: Rule) => Promise<RuleOutcome>,
  ): Promise<RuleOutcome> {
    const limited = await overBudget(actor);
    if (limited) return limited;
    const rule = await writable(actor, id);
    return rule ? write(rule) : refuse({ kind: 'not-found' });
  }
  /** The store's compare-and-set answer as an outcome; `conflict`: what a lost compare-and-set means to the caller. */
  function written(res: Rule | 'not-found' | 'version-conflict', conflict: RuleRefusal): RuleOutcome {
    if (res === 'not-found') return refuse({ kind: 'not-found' });
    return res === 'version-conflict' ? refuse(conflict) : { ok: true, rule: res };
  }

  return {
    async get(actor: RuleActor, id: string): Promise<Rule | undefined> {
      const rule = await visible(actor, id);
      return rule && (await annotate([rule]))[0];
    },

    async list(actor: RuleActor, { owner, symbol, status }: RuleFilter = {}): Promise<Rule[]> {
      const all = READ_ALL.has(actor.role);
      if (!all && owner !== undefined && owner !== actor.user) return [];
      const who = all ? owner : actor.user;
      const found = await rules.list(who === undefined ? {} : { owner: who });
      return annotate(
        found.filter(
          (r) => (symbol === undefined || r.symbol === symbol) && (status === undefined || r.status === status),
        ),
      );
    },

    /** A rule of the actor's own. */
    async create(actor: RuleActor, input: unknown): Promise<RuleOutcome> {
      // Owners are desk users: a partner's account (a JID) never owns rules, whatever role it claims.
      if (actor.user.includes('@')) return refuse({ kind: 'invalid', field: 'owner', message: 'must be a desk user' });
      const limited = await overBudget(actor);
      if (limited) return limited;
      const checked = await check(input, actor.user);
      if (refused(checked)) return checked;
      try {
        return { ok: true, rule: await rules.create(actor.user, checked) };
      } catch (err) {
        if (!(err instanceof StoreError) || err.code !== 'TICKDESK_ALERTS_STORE_RULE_LIMIT') throw err;
        return refuse({
          kind: 'rule-limit',
          limit: (err as StoreError & { limit: number }).limit,
          message: err.message,
        });
      }
    },

    /** Replace a rule's input (its status and owner stay); `expected`: the version the caller read. */
    update: (actor: RuleActor, id: string, input: unknown, expected?: number): Promise<RuleOutcome> =>
      change(actor, id, async (rule) => {
        const checked = await check(input, rule.owner);
        if (refused(checked)) return checked;
        return written(await rules.update(id, checked, expected), { kind: 'stale-version', version: rule.version });
      }),

    /** Pause an active rule or resume a paused one, compare-and-set on the version whose status was checked. */
    setStatus: (actor: RuleActor, id: string, to: 'active' | 'paused', expected?: number): Promise<RuleOutcome> =>
      change(actor, id, async (rule) => {
        if (expected !== undefined && expected !== rule.version)
          return refuse({ kind: 'stale-version', version: rule.version });
        if (rule.status !== (to === 'active' ? 'paused' : 'active'))
          return refuse({ kind: 'wrong-status', status: rule.status });
        // A firing in between is a conflict, not lost.
        return written(await rules.setStatus(id, to, rule.version), { kind: 'changed' });
      }),

    remove: (actor: RuleActor, id: string): Promise<RuleOutcome> =>
      change(actor, id, async (rule) =>
        (await rules.remove(id)) ? { ok: true, rule } : refuse({ kind: 'not-found' }),
      ),
  };
}
export type RuleService = ReturnType<typeof createRuleService>;
