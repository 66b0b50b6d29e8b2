import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DeskPart, DeskStateFile } from '@tickdesk/schemas';
import { statusLines } from './desk-status.js';
import { readDeskState, writeDeskState } from './state-file.js';

const node = (i: number) => ({
  name: `tickdesk-n${i}@localhost`,
  c2sPort: 5222 + (i - 1) * 100,
  c2sDirectTlsPort: 1,
  httpPort: 1,
  distPort: 1,
});
const part = (p: Partial<DeskPart> = {}): DeskPart => ({ state: 'running', pid: 100, restarts: 0, ...p });

function desk(parts: Record<string, DeskPart>, nodes = 3): DeskStateFile {
  return {
    pid: 1,
    startedAt: '2026-12-06T03:00:00.000Z',
    domain: 'desk.localhost',
    ports: { xmpp: 5222, xmppTls: 5223, xmppHttp: 5280, redis: 6380 },
    xmppNodes: Array.from({ length: nodes }, (_, k) => node(k + 1)),
    parts,
  };
}

const everyone = { alive: () => true, listening: async () => true };

describe('tickdesk status', () => {
  it('names every XMPP node of a cluster with its Erlang node, port and state', async () => {
    const { lines, degraded } = await statusLines(
      desk({ redis: part(), xmpp: part({ pid: 11 }), 'xmpp-2': part({ pid: 12 }), 'xmpp-3': part({ pid: 13 }) }),
      everyone,
    );
    expect(degraded).toEqual([]);
    expect(lines[0]).toBe('desk: running since 2026-12-06T03:00:00.000Z (pid 1)');
    expect(lines).toContain('  xmpp      running (pid 11)  node 1 tickdesk-n1@localhost 127.0.0.1:5222  restarts 0');
    expect(lines).toContain('  xmpp-2    running (pid 12)  node 2 tickdesk-n2@localhost 127.0.0.1:5322  restarts 0');
    expect(lines).toContain('  xmpp-3    running (pid 13)  node 3 tickdesk-n3@localhost 127.0.0.1:5422  restarts 0');
  });

  it("names the MQTT broker's TLS port, and says so when the broker is gone", async () => {
    const withBroker = { ...desk({ redis: part(), xmpp: part(), mqtt: part({ pid: 21 }) }, 1) };
    withBroker.ports = { ...withBroker.ports, mqtt: 8883 };
    const { lines } = await statusLines(withBroker, everyone);
    expect(lines).toContain('  mqtt      running (pid 21)  mqtts port 8883  restarts 0');
    const gone = await statusLines(withBroker, { alive: (pid) => pid !== 21, listening: async () => true });
    expect(gone.degraded).toEqual(['mqtt exited']);
  });

  it("reads the broker's port back from desk.json", () => {
    const home = mkdtempSync(join(tmpdir(), 'tickdesk-status-mqtt-'));
    try {
      writeDeskState(home, { ...desk({ mqtt: part() }, 1), ports: { ...desk({}).ports, mqtt: 18883 } });
      expect(readDeskState(home)?.ports).toEqual({ xmpp: 5222, redis: 6380, mqtt: 18883 });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('reports the desk degraded while a node is being restarted, naming it', async () => {
    const { lines, degraded } = await statusLines(
      desk({
        xmpp: part(),
        'xmpp-2': part({
          state: 'restarting',
          pid: -1,
          restarts: 1,
          lastExit: 'SIGKILL',
          lastRestartAt: '2026-12-06T03:10:00.000Z',
        }),
        'xmpp-3': part(),
      }),
      everyone,
    );
    expect(degraded).toEqual(['xmpp-2 restarting']);
    expect(lines[0]).toBe('desk: degraded (xmpp-2 restarting) since 2026-12-06T03:00:00.000Z (pid 1)');
    expect(lines).toContain(
      '  xmpp-2    restarting  node 2 tickdesk-n2@localhost 127.0.0.1:5322  restarts 1, last exit SIGKILL, last restart 2026-12-06T03:10:00.000Z',
    );
  });

  it('a node whose process runs but whose client port refuses is not listening; a dead process has exited', async () => {
    const { degraded } = await statusLines(
      desk({
        xmpp: part({ pid: 11 }),
        'xmpp-2': part({ pid: 12 }),
        'xmpp-3': part({ pid: 13 }),
        feed: part({ pid: 14 }),
      }),
      {
        alive: (pid) => pid !== 14,
        listening: async (port) => port !== 5422,
      },
    );
    expect(degraded).toEqual(['xmpp-3 not listening', 'feed exited']);
  });

  it('several alert engines: each line names the instruments the engine reports holding', async () => {
    const reports: Record<number, string> = { 9001: 'slot 1: AAPL ESZ6', 9002: 'slot 2: BTCUSDT ETHUSDT' };
    const { lines } = await statusLines(
      desk({ alerts: part({ pid: 21, metricsPort: 9001 }), 'alerts-2': part({ pid: 22, metricsPort: 9002 }) }, 1),
      {
        ...everyone,
        report: async (port) => reports[port],
      },
    );
    expect(lines).toContain(
      '  alerts    running (pid 21)  restarts 0  metrics http://127.0.0.1:9001/metrics  slot 1: AAPL ESZ6',
    );
    expect(lines).toContain(
      '  alerts-2  running (pid 22)  restarts 0  metrics http://127.0.0.1:9002/metrics  slot 2: BTCUSDT ETHUSDT',
    );
  });

  it('a recorder with its standby: each line says how many instruments it records (the feed and its standby likewise)', async () => {
    const reports: Record<number, string> = {
      9101: 'recording 5 of 5 instruments',
      9102: 'standby: records no instrument',
      9103: 'publishing BTCUSDT',
      9104: 'standby: holds no instrument',
    };
    const { lines } = await statusLines(
      desk(
        {
          recorder: part({ pid: 31, metricsPort: 9101 }),
          'recorder-standby': part({ pid: 32, metricsPort: 9102 }),
          feed: part({ pid: 33, metricsPort: 9103 }),
          'feed-standby': part({ pid: 34, metricsPort: 9104 }),
        },
        1,
      ),
      { ...everyone, report: async (port) => reports[port] },
    );
    expect(lines).toContain(
      '  recorder  running (pid 31)  restarts 0  metrics http://127.0.0.1:9101/metrics  recording 5 of 5 instruments',
    );
    expect(lines).toContain(
      '  recorder-standby running (pid 32)  restarts 0  metrics http://127.0.0.1:9102/metrics  standby: records no instrument',
    );
    expect(lines).toContain(
      '  feed-standby running (pid 34)  restarts 0  metrics http://127.0.0.1:9104/metrics  standby: holds no instrument',
    );
    // Without a standby the recorder's line stays as it was.
    const alone = await statusLines(desk({ recorder: part({ pid: 31, metricsPort: 9101 }) }, 1), {
      ...everyone,
      report: async (port) => reports[port],
    });
    expect(alone.lines[1]).toBe('  recorder  running (pid 31)  restarts 0  metrics http://127.0.0.1:9101/metrics');
  });

  it('a single-node desk keeps its one xmpp line, without node names', async () => {
    const { lines } = await statusLines(desk({ xmpp: part({ pid: 11 }) }, 1), everyone);
    expect(lines[1]).toBe('  xmpp      running (pid 11)  restarts 0');
  });
});
