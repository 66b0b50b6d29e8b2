import { loadavg } from 'node:os';
import { health, timeline } from '../cluster/desk-watchers.js';
import { burstRules, chainTip, firedTracker, STEPS } from './burst.js';
import { LIVE, TRADERS, type ChaosDesk } from './chaos-desk.js';
import type { ChaosRow } from './chaos-table.js';
import { publisherStarts, receivedGaps, recordedGaps, total } from './ticks-lost.js';
import { standbyRole, watchTakeover } from './takeover.js';
import { chainVerifies, redisAfter, sleep, until, within } from './desk-checks.js';

/** Ticks of the ramp per second (each crosses one threshold: 10 alerts), and the tick at which the part is killed. */
const RAMP_PER_S = 10;
const KILL_AT = 30;
/** After the burst: every fired alert is delivered within this (receipt timeout 3 s, then resends). */
const DELIVERY_MS = 45_000;
/** The chain has settled when no firing of the burst's rules came for this long. */
const SETTLE_MS = 10_000;

/**
 * One burst of 1,000 alerts (burst.ts) with `part` killed (SIGKILL) at its 30th tick:
 * what reached the traders, what the chain says, and when the desk was whole again.
 */
export async function killDuringBurst(
  cd: ChaosDesk,
  part: string,
  base: number,
): Promise<{ row: ChaosRow; undelivered: Array<[string, string]> }> {
  const { desk, redis, traders, publish } = cd;
  await until(cd, 'the base tick published', 20_000, () => within(publish(String(base), true), 3_000));
  await sleep(1_000); // the engine has the price below every threshold
  const rules = await burstRules(redis, TRADERS, base);
  const fired = firedTracker(redis, await chainTip(redis), rules);
  const burstFrom = new Date(Date.now() - 1_000).toISOString();
  await sleep(1_500); // the engine has the rules
  const shownBefore = Object.fromEntries(TRADERS.map((t) => [t, traders[t]!.shownTwice()]));

  const before = desk.state().parts[part]!;
  let killedAt = 0;
  let takeover: ReturnType<typeof watchTakeover> | undefined;
  let load = 0;
  // /health and the traders' sessions every 500 ms, from before the kill until the burst is settled.
  const healthLine = timeline(
    async () => ({ ...(await health(desk)), sessions: TRADERS.every((t) => traders[t]!.client.state() === 'running') }),
    500,
  );
  // The first /health 200 with the part running again, watched from the kill on beside the rest of the burst.
  let whole: Promise<number> = Promise.resolve(0);
  const rampStart = Date.now();
  for (let k = 1; k <= STEPS; k++) {
    if (k === KILL_AT) {
      killedAt = Date.now();
      process.kill(before.pid, 'SIGKILL');
      takeover = watchTakeover(cd, part, before.pid, killedAt);
      load = loadavg()[0]!;
      whole = until(cd, `the desk whole again after the kill of ${part}`, 90_000, async () => {
        const p = desk.state().parts[part];
        return (
          p?.state === 'running' &&
          p.restarts > before.restarts &&
          (await fetch(`${desk.apiUrl}/health`, { signal: AbortSignal.timeout(2_000) })).ok &&
          Date.now()
        );
      });
      whole.catch(() => undefined);
    }
    await until(cd, `burst tick ${k} published`, 60_000, () => within(publish(String(base + k)), 3_000));
    await sleep(Math.max(0, rampStart + (k * 1000) / RAMP_PER_S - Date.now()));
  }
  const firstWhole = await whole;

  // The burst's firings settle (every rule fired, or none more for SETTLE_MS: a Redis
  // fail-over held them back 12 s once), then every one reaches its trader.
  let last = -1;
  let since = Date.now();
  await until(cd, 'the chain to stop growing', 60_000, async () => {
    const n = (await fired.poll()).size;
    if (n !== last) [last, since] = [n, Date.now()];
    const settled = n === rules.size || (n > 0 && Date.now() - since >= SETTLE_MS);
    if (!settled) await sleep(1_000);
    return settled;
  });
  // Fired: the chain's `fired` records and the alerts stored for the burst's rules (one stored without its record is counted apart).
  const all = new Map(fired.fired);
  const undelivered = () => [...all].filter(([id, owner]) => !traders[owner]?.ids().has(id));
  await until(cd, 'every fired alert delivered', DELIVERY_MS, async () => {
    await fired.poll();
    for (const [id, owner] of [...fired.fired, ...(await fired.stored(burstFrom))]) all.set(id, owner);
    return undelivered().length === 0;
  }).catch(() => undefined);
  const unrecorded = [...all.keys()].filter((id) => !fired.fired.has(id));
  await sleep(Math.max(0, firstWhole + 5_000 - Date.now()));
  await healthLine.stop();
  const took = await takeover!.result();

  // Whole again: from when /health was ok (and both traders' sessions up) for good, not its first 200
  // (services notice a lost XMPP session a moment after the server is back).
  const seen = healthLine.points.filter((p) => p.at >= killedAt);
  const lastBad = seen.findLastIndex((p) => !(p.value.status === 'ok' && p.value.sessions));
  const wholeAt =
    lastBad === seen.length - 1
      ? Number.POSITIVE_INFINITY
      : Math.max(firstWhole, lastBad < 0 ? 0 : seen[lastBad + 1]!.at);
  // What kept it from being whole longest: each component not ok, and for how long /health said so.
  const notOk = new Map<string, number>();
  for (const p of seen) {
    for (const [name, c] of Object.entries(p.value.components)) {
      const k = `${name} ${c.state}${c.detail ? ` (${c.detail.slice(0, 60)})` : ''}`;
      if (c.state !== 'running') notOk.set(k, (notOk.get(k) ?? 0) + 0.5);
    }
  }
  const slowest = [...notOk]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2)
    .map(([what, s]) => `${what} ${s} s`)
    .join(', ');

  const ids = new Set(all.keys());
  const got = TRADERS.flatMap((t) => traders[t]!.received.filter((r) => ids.has(r.id)));
  const delivered = new Set(got.map((r) => r.id)).size;
  // The longest wait between two of the burst's alerts arriving (10 a tick, 10 ticks a second when nothing stops them).
  const arrivals = got.map((r) => r.at).sort((a, b) => a - b);
  const paused = arrivals.reduce((m, t, k) => (k > 0 ? Math.max(m, t - arrivals[k - 1]!) : m), 0) / 1000;
  // Every burst rule fires once: one that reached a trader under two ids (two ticks) was shown twice.
  const idsByRule = new Map<string, Set<string>>();
  for (const r of TRADERS.flatMap((t) => traders[t]!.received))
    if (rules.has(r.rule)) idsByRule.set(r.rule, (idsByRule.get(r.rule) ?? new Set()).add(r.id));
  const onceShownTwice = [...idsByRule.values()].filter((s) => s.size > 1).length;
  const windowEnd = Math.min(wholeAt, Date.now()) + 2_000;
  const analyst = total(receivedGaps(cd.ticks.items, killedAt - 2_000, windowEnd));
  const history = total(await recordedGaps(redis, LIVE, killedAt - 2_000, windowEnd, publisherStarts(cd.ticks.items)));
  const after = desk.state().parts[part]!;
  const missing = undelivered();
  const notes = [
    `load ${load.toFixed(1)}; restarts ${before.restarts}→${after.restarts}; alerts paused ${paused.toFixed(1)} s at most`,
    slowest ? `/health not ok: ${slowest}` : '',
    missing.length
      ? `undelivered: ${TRADERS.map((t) => `${t} ${missing.filter(([, o]) => o === t).length} (session ${traders[t]!.client.state()})`).join(', ')}`
      : '',
    took.by
      ? `taken over by ${took.by}${took.allSeconds !== undefined ? ` (every instrument in ${took.allSeconds.toFixed(1)} s)` : ''}`
      : '',
    part.startsWith('redis') ? await redisAfter(cd, part) : '',
    fired.firedTwice() ? `${fired.firedTwice()} alerts with two fired records` : '',
    unrecorded.length ? `${unrecorded.length} alerts stored and sent without their fired record in the chain` : '',
    history.holes ? `history: ${history.missing} ticks missing in ${history.holes} places` : '',
    analyst.restarts ? `${analyst.restarts} seq jumps of a new publisher (restart or take-over)` : '',
    analyst.disorder + history.disorder ? `${analyst.disorder + history.disorder} items out of order` : '',
  ]
    .filter(Boolean)
    .join('; ');
  const row: ChaosRow = {
    desk: cd.label,
    kill: part,
    delivered,
    fired: all.size,
    unrecorded: unrecorded.length,
    rules: rules.size,
    duplicatesById: got.length - delivered,
    shownTwice: Math.max(
      TRADERS.reduce((n, t) => n + traders[t]!.shownTwice() - shownBefore[t]!, 0),
      onceShownTwice,
    ),
    chainOk: await chainVerifies(cd),
    secondsToWhole: (wholeAt - killedAt) / 1000,
    ticksLostAnalyst: analyst.missing,
    ticksLostHistory: history.missing,
    holesHistory: history.holes,
    notes,
    ...(standbyRole(part)
      ? {
          takeoverS: took.seconds ?? Number.POSITIVE_INFINITY,
          ...(took.allSeconds !== undefined ? { takeoverAllS: took.allSeconds } : {}),
        }
      : {}),
    disorderAnalyst: analyst.disorder,
    disorderHistory: history.disorder,
  };
  return { row, undelivered: missing };
}
