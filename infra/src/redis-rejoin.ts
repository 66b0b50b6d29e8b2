/**
 * Which role a Sentinel desk's data node takes when `up` starts it again after it exited
 * (docs/operations.md, "Redis with automatic fail-over"). The sentinels decide, not the
 * node's port: a primary that came back from its AOF before they noticed it was gone
 * stayed primary (no fail-over) and kept only what its own AOF had.
 */
export interface RejoinDeps {
  /** The node's own port. */
  ownPort: number;
  /** The primary each sentinel names now (SENTINEL GET-MASTER-ADDR-BY-NAME); undefined where one does not answer. */
  askSentinels: () => Promise<Array<number | undefined>>;
  /** Whether the set's other data node runs: without it nothing can be promoted. */
  otherAlive: () => boolean;
  /** The primary as the sentinels' own files last recorded it (used when no sentinel answers). */
  recordedPrimary: () => number;
  /** How long the sentinels may go on naming the dead node before it comes back as it was: their down-after + a fail-over. */
  waitMs: number;
  pollMs?: number;
  /** Aborted when the desk stops: the wait ends at once. */
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RejoinChoice {
  /** The primary to start as a replica of; the node's own port: it starts as primary. */
  primaryPort: number;
  /** Why, in the operator's words (for the desk's log). */
  why: string;
  waitedMs: number;
}

/** The port most sentinels name; a tie goes to another node than `own` (a sentinel names another node only after a fail-over to it). */
export function namedPrimary(answers: ReadonlyArray<number | undefined>, own: number): number | undefined {
  const counts = new Map<number, number>();
  for (const p of answers) if (p !== undefined) counts.set(p, (counts.get(p) ?? 0) + 1);
  let best: [number, number] | undefined;
  for (const [port, n] of counts) {
    if (!best || n > best[1] || (n === best[1] && port !== own)) best = [port, n];
  }
  return best?.[0];
}

/**
 * Asks the sentinels every `pollMs` until they name another node (then: its replica), or
 * nothing can or did change within `waitMs` (then: as it was, primary). A desk is never
 * left without Redis longer than `waitMs`: when the other node is down too, or no sentinel
 * answers, the node starts at once.
 */
export async function chooseRejoinRole({
  ownPort,
  askSentinels,
  otherAlive,
  recordedPrimary,
  waitMs,
  pollMs = 250,
  signal,
  now = Date.now,
  sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
}: RejoinDeps): Promise<RejoinChoice> {
  const started = now();
  for (;;) {
    if (signal?.aborted) throw new Error('stopping: not started again');
    const waitedMs = now() - started;
    const named = namedPrimary(await askSentinels(), ownPort);
    if (named === undefined) {
      const recorded = recordedPrimary();
      return {
        primaryPort: recorded,
        waitedMs,
        why: `no sentinel answers: ${recorded === ownPort ? 'primary' : `replica of 127.0.0.1:${recorded}`}, as their files last recorded`,
      };
    }
    if (named !== ownPort)
      return {
        primaryPort: named,
        waitedMs,
        why: `the sentinels name 127.0.0.1:${named} primary: back as its replica`,
      };
    if (!otherAlive())
      return {
        primaryPort: ownPort,
        waitedMs,
        why: 'the sentinels still name it primary and the other Redis server is down: back as primary',
      };
    if (waitedMs >= waitMs)
      return {
        primaryPort: ownPort,
        waitedMs,
        why: `the sentinels still name it primary after ${(waitMs / 1000).toFixed(1)} s (no fail-over): back as primary`,
      };
    await sleep(pollMs);
  }
}
