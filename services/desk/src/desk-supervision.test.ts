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

function desk() {
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
    policy: { maxRestarts: 1, windowMs: 1_000 },
    report: () => undefined,
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
});
