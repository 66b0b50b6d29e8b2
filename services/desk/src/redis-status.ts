import { askSentinelsForPrimary } from '@tickdesk/infra';

/** A Sentinel desk's Redis parts by port: `redis` on TICKDESK_REDIS_PORT, `redis-replica` on the next (their roles at the first start). */
const partOf = (port: number, redisPort: number): string =>
  port === redisPort ? 'redis' : port === redisPort + 1 ? 'redis-replica' : `port ${port}`;

/**
 * `tickdesk status`'s Sentinel line: the primary each sentinel names now, e.g.
 * `redis primary: redis-replica (127.0.0.1:6381), named by 3 of 3 sentinels`; after a
 * fail-over it is the part started as the replica. Sentinels that disagree are listed.
 */
export function redisPrimaryLine(answers: ReadonlyArray<number | undefined>, redisPort: number): string {
  const named = answers.filter((p): p is number => p !== undefined);
  if (named.length === 0) return `  redis primary: unknown, no sentinel answers (of ${answers.length})`;
  const counts = new Map<number, number>();
  for (const p of named) counts.set(p, (counts.get(p) ?? 0) + 1);
  const [port, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
  const others = [...counts].filter(([p]) => p !== port).map(([p, c]) => `${c} name ${partOf(p, redisPort)}`);
  return `  redis primary: ${partOf(port, redisPort)} (127.0.0.1:${port}), named by ${n} of ${answers.length} sentinels${others.length ? `; ${others.join(', ')}` : ''}`;
}

/** Each sentinel's answer to SENTINEL GET-MASTER-ADDR-BY-NAME (undefined when it does not answer). */
export function askSentinels(
  sentinels: ReadonlyArray<{ port: number }>,
  password: string,
  masterName: string,
): Promise<Array<number | undefined>> {
  return askSentinelsForPrimary(
    sentinels.map((s) => s.port),
    password,
    masterName,
  );
}
