import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDeskSupervision } from './desk-supervision.js';
import { readDeskState } from './state-file.js';
import type { Running } from './supervisor.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

/** A part that runs until stopped. */
const forever = (pid: number): Running => {
  let end: (reason: string) => void = () => undefined;
  const ended = new Promise<string>((r) => (end = r));
  return { pid, ended, stop: async () => end('SIGTERM') };
};

function desk(lines: string[] = []) {
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-supervision-'));
  homes.push(home);
  const parts = createDeskSupervision({
    home,
    desk: {
      pid: 4242,
      startedAt: '2026-01-01T00:00:00.000Z',
      domain: 'desk.test',
      ports: { xmpp: 1, xmppTls: 2, xmppHttp: 3, redis: 4 },
    },
    partPorts: { feed: 45_001 },
    policy: { maxRestarts: 1, windowMs: 1_000, initialMs: 1, jitter: 0 },
    report: (line) => lines.push(line),
    logOf: {},
    onGiveUp: () => undefined,
  });
  return { home, parts };
}

describe("the desk's supervised parts in desk.json", () => {
  it('nothing is written while the desk starts; once started, every part with its pid and metrics port', async () => {
    const { home, parts } = desk();
    await parts.supervise('redis', () => forever(101)).start();
    await parts.supervise('feed', () => forever(102)).start();
    expect(readDeskState(home)).toBeUndefined();
    parts.started();
    expect(readDeskState(home)).toMatchObject({
      pid: 4242,
      parts: {
        redis: { state: 'running', pid: 101, restarts: 0 },
        feed: { state: 'running', pid: 102, restarts: 0, metricsPort: 45_001 },
      },
    });
    expect(readDeskState(home)?.parts.redis?.metricsPort).toBeUndefined();
    await parts.part('feed')?.stop();
    await parts.part('redis')?.stop();
  });

  it('once the stop has begun, a change is not written, even if the start ends after it', async () => {
    const { home, parts } = desk();
    await parts.supervise('redis', () => forever(101)).start();
    parts.stopping();
    parts.started();
    expect(readDeskState(home)).toBeUndefined();
    await parts.part('redis')?.stop();
    expect(readDeskState(home)).toBeUndefined();
  });

  it('once the stop has begun, a part that exits on its own (Ctrl-C reaches its process group) is stopped, not restarted', async () => {
    const lines: string[] = [];
    const { parts } = desk(lines);
    const ends: ((reason: string) => void)[] = [];
    const exiting = (pid: number): Running => {
      const ended = new Promise<string>((r) => ends.push(r));
      return { pid, ended, stop: async () => ends.at(-1)?.('SIGTERM') };
    };
    await parts.supervise('mqtt', () => exiting(201 + ends.length)).start();
    parts.started();
    parts.stopping();
    ends[0]!('exit 0');
    await new Promise((r) => setTimeout(r, 50));
    expect(ends).toHaveLength(1);
    expect(lines.filter((l) => /restart/.test(l))).toEqual([]);
    expect(lines).toContain('mqtt exited (exit 0) while the desk stops: stopped');
    expect(parts.part('mqtt')?.status()).toMatchObject({ state: 'stopped', pid: -1, restarts: 0 });
    await parts.part('mqtt')?.stop();
    expect(ends).toHaveLength(1);
  });
});
