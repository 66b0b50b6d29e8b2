import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

/**
 * A chain head recorded outside Redis. The HMAC stops anyone with Redis write access from
 * rewriting records, but not from cutting the chain's tail and pointing the head at an
 * earlier, genuine record; the anchor, a file only the desk's Unix user can write, shows
 * that cut: verify() fails when the chain ends before the anchored seq or holds another
 * hash there. Records appended after the last anchoring (at most `everyMs`) are not covered.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
  /** When the anchor was written (XEP-0082). */
  at: string;
}

const HASH = /^[0-9a-f]{64}$/;

/** Where a desk keeps the anchor: in its runtime folder, beside credentials.json, not in Redis. */
export const auditAnchorPath = (home: string): string => join(home, 'audit-anchor.json');

/** The anchor in `path`; undefined when there is none. A file that is there but unreadable is an error: it was tampered with. */
export function readAuditAnchor(path: string): AuditAnchor | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const a = JSON.parse(text) as Partial<AuditAnchor>;
  if (
    !Number.isSafeInteger(a.seq) ||
    a.seq! < 0 ||
    typeof a.hash !== 'string' ||
    !HASH.test(a.hash) ||
    typeof a.at !== 'string'
  ) {
    throw new Error(`the audit anchor ${path} is malformed`);
  }
  return { seq: a.seq!, hash: a.hash, at: a.at };
}

/** Replace the anchor atomically (a reader sees the old one or the new one), 0600 in a 0700 folder. */
export function writeAuditAnchor(path: string, anchor: AuditAnchor): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(anchor) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * Keeps the anchor at the chain's head: every `everyMs`, if the head moved on. It never
 * moves the anchor back or sideways: a head behind the anchor, or another hash at its
 * seq, is what a cut tail looks like; that is logged, and verify() reports it.
 */
export function createAuditAnchorWriter({
  head,
  path,
  log,
  everyMs = 1_000,
  now = Date.now,
}: {
  head: () => Promise<{ seq: number; hash: string }>;
  path: string;
  log: Logger;
  everyMs?: number;
  now?: () => number;
}) {
  let timer: NodeJS.Timeout | undefined;
  let last = readAuditAnchor(path);
  let warned = false;

  async function anchor(): Promise<void> {
    const h = await head();
    if (last && (h.seq < last.seq || (h.seq === last.seq && h.hash !== last.hash))) {
      if (!warned)
        log.error(
          { anchored: last.seq, head: h.seq },
          'the audit chain no longer reaches its anchored head: records were removed or replaced',
        );
      warned = true;
      return;
    }
    if (last && h.seq === last.seq) return;
    last = { seq: h.seq, hash: h.hash, at: new Date(now()).toISOString() };
    writeAuditAnchor(path, last);
  }

  return {
    anchor,
    start(): void {
      timer = setInterval(
        () => void anchor().catch((err: Error) => log.warn({ err }, 'audit anchor not written')),
        everyMs,
      );
      timer.unref();
    },
    /** Stops the timer and anchors the head once more. */
    async stop(): Promise<void> {
      clearInterval(timer);
      await anchor().catch((err: Error) => log.warn({ err }, 'audit anchor not written'));
    },
  };
}
