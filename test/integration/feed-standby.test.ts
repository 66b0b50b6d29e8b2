import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeTickRows, DEFAULT_INSTRUMENTS, ticksNode } from '@tickdesk/schemas';
import { createItemSubscriber, type XmppClient } from '@tickdesk/xmpp';
import { connect, desk, log, waitFor } from './helpers.js';
import { runDeskService } from './desk-process.js';

/*
 * Two feed processes as `tickdesk up` runs them with TICKDESK_FEED_STANDBY=1: a primary and a
 * standby, each instrument published by whichever holds its lease. kill -9 of the active one:
 * the standby takes every instrument over within the goal, seq keeps increasing strictly per
 * instrument with the gap visible, and no seq is published twice.
 */
const TAKEOVER_GOAL_MS = 5_000;
const SYMBOLS = DEFAULT_INSTRUMENTS.map((i) => i.symbol);
const children: ChildProcess[] = [];
let watcher: XmppClient | undefined;

function startFeed(role: 'primary' | 'standby') {
  const p = runDeskService('feed', { TICKDESK_FEED_LEASE: role, TICKDESK_FEED_RATE: '100' });
  children.push(p.child);
  return p;
}

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await watcher?.stop();
});

describe('standby feed', () => {
  it('kill -9 of the active feed: the standby publishes every instrument within the goal, seq continues without a repeat', async () => {
    watcher = await connect('alice', 'standby-watch');
    const seen: Array<{ symbol: string; seqs: number[]; lease: number | undefined; at: number }> = [];
    const sub = createItemSubscriber({
      client: watcher,
      service: desk().pubsubHost,
      nodes: SYMBOLS.map(ticksNode),
      decode: decodeTickRows,
      log,
      onItem: (b) =>
        seen.push({ symbol: b.symbol, seqs: b.rows.map((r) => r.seq), lease: b.lease, at: performance.now() }),
    });
    await sub.start();

    const primary = startFeed('primary');
    await waitFor(() => primary.output().includes('feed running'), 60_000, 'the primary feed').catch((e: Error) => {
      throw new Error(`${e.message}\n${primary.output().slice(-3000)}`);
    });
    const standby = startFeed('standby');
    await waitFor(() => standby.output().includes('feed running'), 60_000, 'the standby feed').catch((e: Error) => {
      throw new Error(`${e.message}\n${standby.output().slice(-3000)}`);
    });
    // Both run side by side for a while: only the primary publishes.
    await waitFor(() => SYMBOLS.every((s) => seen.some((i) => i.symbol === s)), 15_000, 'items on every instrument');
    await new Promise((r) => setTimeout(r, 2_000));
    const primaryTokens = new Map(
      SYMBOLS.map((s) => [s, new Set(seen.filter((i) => i.symbol === s).map((i) => i.lease))]),
    );
    for (const [s, tokens] of primaryTokens) expect([...tokens], s).toHaveLength(1);
    expect(standby.output()).not.toContain('publishing: lease taken');
    // Each on a resource of its own: two sessions of feed@ on one resource replace each other in turn (RFC 6120 §7.7.2.2).
    expect(primary.output() + standby.output(), 'a feed session replaced by the other feed').not.toContain(
      'Replaced by new connection',
    );
    const increasing = (s: string) =>
      seen
        .filter((i) => i.symbol === s)
        .flatMap((i) => i.seqs)
        .every((q, k, all) => k === 0 || q > all[k - 1]!);
    expect(
      SYMBOLS.filter((s) => !increasing(s)),
      'instruments with a seq published out of order or twice while both feeds ran',
    ).toEqual([]);

    const before = seen.length;
    primary.child.kill('SIGKILL');
    const killedAt = performance.now();
    await new Promise((r) => primary.child.once('exit', r));
    const takenOver = (s: string) => seen.some((i) => i.symbol === s && !primaryTokens.get(s)!.has(i.lease));
    await waitFor(() => SYMBOLS.every(takenOver), 15_000, 'the standby on every instrument').catch((e: Error) => {
      throw new Error(`${e.message}\n${standby.output().slice(-3000)}`);
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await sub.stop();

    const takeoverMs: number[] = [];
    for (const s of SYMBOLS) {
      const items = seen.filter((i) => i.symbol === s);
      const seqs = items.flatMap((i) => i.seqs);
      // Strictly increasing in arrival order: no seq twice, none reused.
      for (let k = 1; k < seqs.length; k++) expect(seqs[k], `${s} seq ${k}`).toBeGreaterThan(seqs[k - 1]!);
      const firstNew = items.findIndex((i) => !primaryTokens.get(s)!.has(i.lease));
      const lastOld = items[firstNew - 1]!;
      const next = items[firstNew]!;
      // The new publisher's token is larger, and the gap in seq shows what nobody published.
      expect(next.lease!).toBeGreaterThan([...primaryTokens.get(s)!][0]!);
      expect(next.seqs[0]!, `${s} gap`).toBeGreaterThan(lastOld.seqs[lastOld.seqs.length - 1]! + 1);
      takeoverMs.push(next.at - killedAt);
    }
    log.info({ takeoverMs, items: seen.length - before }, 'standby takeover');
    console.info(
      `standby takeover after kill -9: ${Math.round(Math.min(...takeoverMs))}-${Math.round(Math.max(...takeoverMs))} ms over ${SYMBOLS.length} instruments`,
    );
    expect(Math.max(...takeoverMs)).toBeLessThanOrEqual(TAKEOVER_GOAL_MS);
  }, 120_000);
});
