import { existsSync, readFileSync } from 'node:fs';
import { InfraError } from './errors.js';
import { renderFile } from './template.js';

const REPLICATION = new URL('../redis/replication.conf.tmpl', import.meta.url);
const SENTINEL = new URL('../redis/sentinel.conf.tmpl', import.meta.url);

/** The master name the sentinels monitor and clients ask for. */
export const DEFAULT_SENTINEL_MASTER = 'tickdesk';
/**
 * A primary silent this long is down for a sentinel (SDOWN); with the quorum agreeing it is
 * ODOWN and the fail-over starts. 5 s outlasts a busy machine's pauses (an AOF rewrite's
 * fork, a loaded core) without leaving the desk without writes for long: measured, a kill -9
 * is followed by a new primary in about down-after + 1 to 2 s (docs/operations.md).
 */
export const DEFAULT_SENTINEL_DOWN_AFTER_MS = 5_000;
/** A fail-over not finished in this time is abandoned and may be retried (twice this, by another sentinel). */
export const DEFAULT_SENTINEL_FAILOVER_TIMEOUT_MS = 15_000;
/**
 * A data node that exited is started again once the sentinels name another node primary; if
 * they still name it after their down-after plus this, no fail-over is coming (its replica
 * is not fit, or a sentinel majority is missing) and it starts as it was. Measured, a fail-over
 * ends 1 to 3 s after down-after (docs/operations.md); this leaves room for a loaded machine.
 */
export const DEFAULT_REJOIN_FAILOVER_MS = 10_000;
/** Sentinels that must agree the primary is down: 2 of the 3. */
export const SENTINEL_QUORUM = 2;

export interface SentinelSettings {
  name: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

function checkSettings(s: SentinelSettings): void {
  if (!NAME.test(s.name))
    throw new InfraError('TICKDESK_INFRA_START_FAILED', `bad Sentinel master name ${JSON.stringify(s.name)}`);
  if (!Number.isInteger(s.quorum) || s.quorum < 1)
    throw new InfraError('TICKDESK_INFRA_START_FAILED', `Sentinel quorum ${s.quorum} is not a positive integer`);
  if (!Number.isInteger(s.downAfterMs) || s.downAfterMs < 100)
    throw new InfraError('TICKDESK_INFRA_START_FAILED', `Sentinel down-after ${s.downAfterMs} ms is below 100 ms`);
  if (!Number.isInteger(s.failoverTimeoutMs) || s.failoverTimeoutMs < s.downAfterMs)
    throw new InfraError(
      'TICKDESK_INFRA_START_FAILED',
      `Sentinel fail-over timeout ${s.failoverTimeoutMs} ms is shorter than down-after`,
    );
}

function checkSecret(what: string, value: string): void {
  if (value.length < 16 || /\s/.test(value))
    throw new InfraError('TICKDESK_INFRA_START_FAILED', `the ${what} must be 16 or more characters without spaces`);
}

/**
 * The lines a Sentinel desk's redis-server gets after redis.conf: its login to the other
 * server (both may become the replica) and, unless it is the primary, `replicaof`.
 */
export function replicationConfigText({
  replicaPassword,
  primaryPort,
  ownPort,
}: {
  replicaPassword: string;
  primaryPort: number;
  ownPort: number;
}): string {
  checkSecret('replica password', replicaPassword);
  return renderFile(REPLICATION, {
    replicaPassword,
    replicaof: primaryPort === ownPort ? '' : `replicaof 127.0.0.1 ${primaryPort}`,
  });
}

/** One sentinel's first config (the sentinel rewrites it from then on). */
export function sentinelConfigText(
  opts: SentinelSettings & {
    dir: string;
    port: number;
    primaryPort: number;
    sentinelPassword: string;
    sentinelUserPassword: string;
  },
): string {
  checkSettings(opts);
  checkSecret("sentinels' password", opts.sentinelPassword);
  checkSecret("sentinel user's password", opts.sentinelUserPassword);
  return renderFile(SENTINEL, { ...opts });
}

/**
 * The primary's port as the sentinels last recorded it in their files (`sentinel monitor`
 * is rewritten at each fail-over; the highest `config-epoch` is the latest), or
 * `fallback` before any sentinel has run. A server restarted after a fail-over thus comes
 * back as a replica of the new primary instead of a second primary.
 */
export function recordedPrimaryPort(sentinelConfigs: readonly string[], name: string, fallback: number): number {
  let best: { epoch: number; port: number } | undefined;
  for (const path of sentinelConfigs) {
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const monitor = new RegExp(`^sentinel monitor ${name.replace(/[.]/g, '\\.')} \\S+ (\\d+) \\d+$`, 'm').exec(text);
    if (!monitor) continue;
    const epoch = Number(
      new RegExp(`^sentinel config-epoch ${name.replace(/[.]/g, '\\.')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0,
    );
    if (!best || epoch > best.epoch) best = { epoch, port: Number(monitor[1]) };
  }
  return best?.port ?? fallback;
}
