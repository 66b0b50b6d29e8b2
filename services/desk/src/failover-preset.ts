import type { Env } from '@tickdesk/schemas';

/**
 * TICKDESK_FAILOVER=1: the fail-over desk. Each of these variables that the operator left
 * unset takes the preset's value; one set explicitly keeps its own (docs/operations.md,
 * "The fail-over desk").
 */
export const FAILOVER_PRESET = {
  TICKDESK_REDIS_MODE: 'sentinel',
  TICKDESK_ALERT_ENGINES: '2',
  TICKDESK_FEED_STANDBY: '1',
  TICKDESK_RECORDER_STANDBY: '1',
} as const satisfies Record<string, string>;

export type PresetVar = keyof typeof FAILOVER_PRESET;

export interface FailoverResolution {
  /** Whether TICKDESK_FAILOVER=1. */
  on: boolean;
  /** The environment with the preset applied: what `up` and every process it starts read. */
  env: Env;
  /** The preset's variables the operator left unset, now the preset's values. */
  fromPreset: PresetVar[];
  /** The preset's variables the operator set to another value than the preset's: theirs wins. */
  overridden: Array<{ name: PresetVar; value: string; preset: string }>;
}

const isSet = (env: Env, name: string): boolean => (env[name]?.trim() ?? '') !== '';

/**
 * The preset applied to `env` once: unset variables of FAILOVER_PRESET get its values,
 * explicit ones win (and are listed when they differ). A TICKDESK_FAILOVER other than
 * 0 or 1 throws `error`, naming the variable.
 */
export function resolveFailoverPreset(
  env: Env,
  error: (message: string) => Error = (m) => new Error(m),
): FailoverResolution {
  const text = env.TICKDESK_FAILOVER?.trim() ?? '';
  if (text !== '' && text !== '0' && text !== '1')
    throw error(`TICKDESK_FAILOVER=${JSON.stringify(text)} is invalid: expected 0 or 1`);
  if (text !== '1') return { on: false, env, fromPreset: [], overridden: [] };
  const names = Object.keys(FAILOVER_PRESET) as PresetVar[];
  const fromPreset = names.filter((n) => !isSet(env, n));
  const overridden = names
    .filter((n) => isSet(env, n) && env[n]!.trim() !== FAILOVER_PRESET[n])
    .map((n) => ({ name: n, value: env[n]!.trim(), preset: FAILOVER_PRESET[n] }));
  return {
    on: true,
    env: { ...env, ...Object.fromEntries(fromPreset.map((n) => [n, FAILOVER_PRESET[n]])) },
    fromPreset,
    overridden,
  };
}

/** What each overridden variable takes away from the fail-over desk, in the operator's words. */
const LOSS: Record<PresetVar, (value: string) => string | undefined> = {
  TICKDESK_REDIS_MODE: (v) => (v === 'single' ? 'one Redis, no fail-over of Redis' : undefined),
  TICKDESK_ALERT_ENGINES: (v) => (v === '1' ? 'one alert engine, none to take over its instruments' : undefined),
  TICKDESK_FEED_STANDBY: (v) => (v === '0' ? 'no standby feed' : undefined),
  TICKDESK_RECORDER_STANDBY: (v) => (v === '0' ? 'no standby recorder' : undefined),
};

/** What `up` starts: the desk's parts by name (`alerts-2`, `feed-standby`…) and its XMPP and Redis layout. */
export interface StartedDesk {
  server: 'prosody' | 'ejabberd';
  nodes: number;
  redisMode: 'single' | 'sentinel';
  parts: readonly string[];
}

/**
 * `up`'s start-up lines about the preset: what the fail-over desk runs (from the parts it
 * starts, not from the variables), each explicit value that differs from the preset (and
 * what it takes away), a preset variable this build does not act on, and the XMPP server's part.
 */
export function failoverLines(res: FailoverResolution, desk: StartedDesk): string[] {
  if (!res.on) return [];
  const engines = desk.parts.filter((p) => p === 'alerts' || /^alerts-\d+$/.test(p)).length;
  const runs = [
    desk.redisMode === 'sentinel' ? 'Redis with a replica and three sentinels' : 'one Redis',
    `${engines} alert engine${engines === 1 ? '' : 's'}`,
    desk.parts.includes('feed-standby') ? 'a feed and its standby' : 'one feed',
    desk.parts.includes('recorder-standby') ? 'a recorder and its standby' : 'one recorder',
    desk.server === 'ejabberd' && desk.nodes > 1
      ? `${desk.nodes} ejabberd nodes`
      : `one ${desk.server === 'ejabberd' ? 'ejabberd node' : 'Prosody'}`,
  ];
  const pad = ' '.repeat(27);
  const lines = [`  fail-over desk           TICKDESK_FAILOVER=1: ${runs.join(', ')}`];
  for (const o of res.overridden) {
    const loss = LOSS[o.name](o.value);
    lines.push(`${pad}${o.name}=${o.value} set explicitly (the preset's is ${o.preset})${loss ? `: ${loss}` : ''}`);
  }
  if (desk.nodes === 1)
    lines.push(
      `${pad}the XMPP server is one process (restarted when it exits); TICKDESK_XMPP_SERVER=ejabberd TICKDESK_XMPP_NODES=3 clusters it`,
    );
  return lines;
}
