import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusLines } from './desk-status.js';
import { readDeskState, runningDeskPid } from './state-file.js';

const homes: string[] = [];
function homeWith(deskJson: unknown): string {
  const home = mkdtempSync(join(tmpdir(), 'tickdesk-state-'));
  homes.push(home);
  writeFileSync(join(home, 'desk.json'), typeof deskJson === 'string' ? deskJson : JSON.stringify(deskJson));
  return home;
}
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

const probes = { alive: (pid: number) => pid !== 999_999, listening: async () => true };

describe('desk.json written by an older build', () => {
  it('before supervision (services by pid, no parts): status and down still find the running desk; its parts show unknown state and restarts', async () => {
    // The shape `tickdesk up` wrote at 5f560d5 (services/desk/src/state-file.ts).
    const home = homeWith({
      pid: process.pid,
      startedAt: '2026-12-01T08:00:00.000Z',
      domain: 'desk.localhost',
      ports: { xmpp: 5222, xmppTls: 5223, xmppHttp: 5280, redis: 6380 },
      services: { prosody: 4101, recorder: 4102, feed: 999_999 },
    });
    const desk = readDeskState(home);
    expect(desk?.pid).toBe(process.pid);
    const { lines, degraded } = await statusLines(desk!, probes);
    expect(degraded).toEqual(['feed exited']);
    expect(lines[0]).toBe(`desk: degraded (feed exited) since 2026-12-01T08:00:00.000Z (pid ${process.pid})`);
    expect(lines).toContain('  prosody   running (pid 4101)  state not recorded, restarts unknown');
    expect(lines).toContain('  feed      exited (pid 999999)  state not recorded, restarts unknown');
  });

  it('before ejabberd (no xmppServer, xmppNodes, ports.xmppDist) and with fields missing from a part', async () => {
    const home = homeWith({
      pid: process.pid,
      ports: { xmpp: 5222, redis: 6380 },
      parts: {
        prosody: { state: 'running', pid: 4101, restarts: 0 },
        alerts: { state: 'running', pid: 4102 },
        api: { state: 'standby', pid: 4103, restarts: 1 },
      },
    });
    const { lines, degraded } = await statusLines(readDeskState(home)!, probes);
    expect(lines[0]).toBe(`desk: degraded (api standby) since an unknown time (pid ${process.pid})`);
    expect(degraded).toEqual(['api standby']);
    expect(lines).toContain('  prosody   running (pid 4101)  restarts 0');
    expect(lines).toContain('  alerts    running (pid 4102)  restarts unknown');
    expect(lines).toContain('  api       standby (pid 4103)  restarts 1, last exit ?, last restart ?');
  });

  it('a desk.json without a desk pid is an error naming the file, not a stopped desk', () => {
    const home = homeWith({ startedAt: 'x', parts: {} });
    expect(() => readDeskState(home)).toThrow(/desk\.json names no desk pid/);
    expect(() => readDeskState(homeWith('{"pid": 12'))).toThrow(/desk\.json is not readable/);
  });

  it('up finds a desk an older build runs, and is not stopped by a desk.json that names none', () => {
    expect(runningDeskPid(homeWith({ pid: process.pid, services: { feed: 1 } }))).toBe(process.pid);
    expect(runningDeskPid(homeWith({ pid: 999_999, parts: {} }))).toBeUndefined();
    expect(runningDeskPid(homeWith('{"pid": 12'))).toBeUndefined();
  });
});
