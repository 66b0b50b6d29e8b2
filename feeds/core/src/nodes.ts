import type { Logger } from 'pino';
import { barsNode, ticksNode, type Instrument } from '@tickdesk/schemas';
import { createBackoff, publisherNodeConfig, XmppError, type NodeConfig, type Pubsub } from '@tickdesk/xmpp';

/** Node configuration of instrument nodes (docs/protocol.md §5.2). */
export const instrumentNodeConfig = (title: string, maxItems: number): NodeConfig =>
  publisherNodeConfig(title, maxItems);

/**
 * A reply that may succeed when the same request is sent again: RFC 6120 §8.3.2 type
 * `wait`, or `internal-server-error`, which ejabberd answers ("Database failure") when
 * Mnesia aborts a pubsub transaction as `cyclic` (lock conflict between cluster nodes).
 * A refusal (forbidden, not-allowed, conflict, bad-request…) is never transient.
 */
export function isTransientXmppError(err: unknown): boolean {
  return (
    err instanceof XmppError &&
    err.code === 'TICKDESK_XMPP_STANZA_ERROR' &&
    (err.errorType === 'wait' || err.condition === 'internal-server-error')
  );
}

export interface RetryOptions {
  /** Tries in all, the first included (default 6). */
  attempts?: number;
  /** First backoff cap, doubling to `maxMs`, full jitter (defaults 250 ms and 4 s: at most ~8 s in all). */
  initialMs?: number;
  maxMs?: number;
  log?: Pick<Logger, 'warn'>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Run `fn`, again after a backoff while it fails transiently (isTransientXmppError), at most `attempts` times. */
export async function retryTransient<T>(what: string, fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const { attempts = 6, initialMs = 250, maxMs = 4_000, log, sleep = wait, random } = opts;
  const backoff = createBackoff({ initialMs, maxMs, ...(random ? { random } : {}) });
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransientXmppError(err) || backoff.attempt + 1 >= attempts) throw err;
      const { attempt, delayMs } = backoff.next();
      log?.warn({ what, attempt, delayMs, err }, 'transient XMPP error, retrying');
      await sleep(delayMs);
    }
  }
}

/**
 * Create each instrument's ticks/ and bars/ node, or bring an existing one's configuration
 * in line. One request at a time, each retried while it fails transiently: on a fresh
 * ejabberd cluster concurrent creates abort one another. A create refused as `conflict`
 * (the node appeared meanwhile, e.g. an earlier try that did commit) becomes a configure.
 */
export async function ensureInstrumentNodes(
  pubsub: Pubsub,
  instruments: readonly Instrument[],
  maxItems = { ticks: 100, bars: 600 },
  retry: RetryOptions = {},
): Promise<string[]> {
  const existing = new Set((await retryTransient('disco#items', () => pubsub.nodes(), retry)).map((n) => n.node));
  const made: string[] = [];
  for (const inst of instruments) {
    for (const [node, config] of [
      [ticksNode(inst.symbol), instrumentNodeConfig(`${inst.symbol} ticks`, maxItems.ticks)],
      [barsNode(inst.symbol), instrumentNodeConfig(`${inst.symbol} 1-second bars`, maxItems.bars)],
    ] as const) {
      const configure = () => retryTransient(`configure ${node}`, () => pubsub.configure(node, config), retry);
      if (existing.has(node)) await configure();
      else {
        try {
          await retryTransient(`create ${node}`, () => pubsub.create(node, config), retry);
          made.push(node);
        } catch (err) {
          if (!(err instanceof XmppError && err.condition === 'conflict')) throw err;
          await configure();
        }
      }
    }
  }
  return made;
}
