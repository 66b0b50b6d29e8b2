import { spawn } from 'node:child_process';
import type { Redis } from 'ioredis';
import { createRuleStore } from '@tickdesk/alerts';
import { Decimal, DEFAULT_INSTRUMENTS, nowMicros, validateRuleInput, type RuleInput } from '@tickdesk/schemas';
import { CLI, type ClusterDesk } from '../cluster/cluster-desk.js';

/**
 * The soak's rules. Level rules (greater-than half the reference price, less-than twice
 * it: true all hour, the walk moves a price about 1 % in an hour at 5,000 ticks/s)
 * fire every `levelCooldownS` each, so their rate is known: levels / cooldown. Crossing
 * rules sit every `CROSSING_SPACING` ticks around the reference price, so the walk is
 * always near one; they fire when it crosses one after their cooldown, at most
 * crossings / cooldown. Per trader the two together stay under the desk's per-trader
 * cap (60 alerts per 60 s, docs/operations.md) once creation is spread over one level
 * cooldown, which spreads the level rules' firings evenly.
 */
export interface SoakRulePlan {
  traders: string[];
  rulesPerTrader: number;
  crossingPerTrader: number;
  levelCooldownS: number;
  crossingCooldownS: number;
}

const CROSSING_SPACING = 400;

export interface PlannedRule {
  owner: string;
  kind: 'level' | 'crossing';
  input: RuleInput;
}

const ctx = { symbols: new Set(DEFAULT_INSTRUMENTS.map((i) => i.symbol)), nowMicros: nowMicros() };
function valid(input: Record<string, unknown>): RuleInput {
  const r = validateRuleInput(input, ctx);
  if (!r.ok) throw new Error(`soak rule refused: ${r.field}: ${r.message}`);
  return r.value;
}

/** The rules in creation order: traders interleaved, so each trader's are spread over the ramp too. */
export function planRules(p: SoakRulePlan): PlannedRule[] {
  const n = DEFAULT_INSTRUMENTS.length;
  const crossingPerInstrument = Math.ceil((p.crossingPerTrader * p.traders.length) / n);
  const out: PlannedRule[] = [];
  let level = 0;
  let crossing = 0;
  const every = p.crossingPerTrader > 0 ? Math.floor(p.rulesPerTrader / p.crossingPerTrader) : Infinity;
  for (let k = 0; k < p.rulesPerTrader; k++) {
    for (const owner of p.traders) {
      const isCrossing = (k + 1) % every === 0 && Math.floor((k + 1) / every) <= p.crossingPerTrader;
      if (isCrossing) {
        const inst = DEFAULT_INSTRUMENTS[crossing % n]!;
        const c = Math.floor(crossing / n);
        const offset = Math.round((c - (crossingPerInstrument - 1) / 2) * CROSSING_SPACING);
        const threshold = new Decimal(inst.referencePrice).plus(new Decimal(inst.tickSize).times(offset)).toFixed();
        out.push({
          owner,
          kind: 'crossing',
          input: valid({
            symbol: inst.symbol,
            condition: 'crossing',
            threshold,
            frequency: 'every-time',
            cooldownSeconds: p.crossingCooldownS,
            priority: 'normal',
          }),
        });
        crossing += 1;
      } else {
        const inst = DEFAULT_INSTRUMENTS[level % n]!;
        const up = level % 2 === 0;
        const threshold = new Decimal(inst.referencePrice).times(up ? 0.5 : 2).toFixed();
        out.push({
          owner,
          kind: 'level',
          input: valid({
            symbol: inst.symbol,
            condition: up ? 'greater-than' : 'less-than',
            threshold,
            frequency: 'every-time',
            cooldownSeconds: p.levelCooldownS,
            priority: 'normal',
          }),
        });
        level += 1;
      }
    }
  }
  return out;
}

/** Alerts per 60 s one trader's rules can send at most, against the per-trader cap. */
export function perTraderPerMinute(p: SoakRulePlan): number {
  return (
    ((p.rulesPerTrader - p.crossingPerTrader) * 60) / p.levelCooldownS +
    (p.crossingPerTrader * 60) / p.crossingCooldownS
  );
}

/** Creates the rules at an even pace over `rampMs` (the rule store, which REST, chat and ad-hoc call), noting each id's kind in `kinds`. */
export async function createRules(
  redis: Redis,
  rules: PlannedRule[],
  rampMs: number,
  stopped: () => boolean,
  kinds: Map<string, PlannedRule['kind']>,
): Promise<void> {
  const store = createRuleStore({ redis, maxRulesPerOwner: 500 });
  const t0 = Date.now();
  for (let i = 0; i < rules.length && !stopped(); i++) {
    const due = t0 + (i * rampMs) / rules.length;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const r = await store.create(rules[i]!.owner, rules[i]!.input);
    kinds.set(r.id, rules[i]!.kind);
  }
}

/** `tickdesk users add <name> --role trader` against the running desk, as an operator does. */
export function addTrader(desk: ClusterDesk, name: string): Promise<void> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('TICKDESK_') && !k.startsWith('VITEST')) env[k] = v;
  env.TICKDESK_HOME = desk.home;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'users', 'add', name, '--role', 'trader'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`tickdesk users add ${name}: exit ${code}\n${text}`));
    });
  });
}
