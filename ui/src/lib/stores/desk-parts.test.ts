import { describe, expect, it } from 'vitest';
import { deskLine, deskParts, heldInstruments, recentRestart } from './desk-parts.js';

describe('the desk parts from /health', () => {
  it('names each component as `tickdesk status` names its part, grouped and ordered, with its role and what it holds', () => {
    const rows = deskParts({
      api: { state: 'running' },
      'engine-2': { state: 'running', detail: 'slot 2: ETHUSDT SOLUSDT', restarts: 1, lastExit: 'SIGKILL' },
      engine: { state: 'running', detail: 'slot 1: BTCUSDT' },
      feeds: { state: 'running', detail: 'publishing BTCUSDT, ETHUSDT, SOLUSDT' },
      'feed-standby': { state: 'running', detail: 'standby: holds no instrument' },
      redis: { state: 'running', role: 'replica', restarts: 1 },
      'redis-replica': { state: 'running', role: 'primary' },
      'sentinel-1': { state: 'running' },
      xmpp: { state: 'running' },
      recorder: { state: 'running' },
    });
    expect(rows.map((r) => `${r.group}/${r.name}`)).toEqual([
      'XMPP/xmpp',
      'Redis/redis',
      'Redis/redis-replica',
      'Redis/sentinel-1',
      'Alert engines/alerts',
      'Alert engines/alerts-2',
      'Feeds/feed',
      'Feeds/feed-standby',
      'Recorders/recorder',
      'API/api',
    ]);
    expect(rows.find((r) => r.name === 'redis-replica')).toMatchObject({ role: 'primary', state: 'ok' });
    expect(rows.find((r) => r.name === 'alerts-2')).toMatchObject({
      holds: ['ETHUSDT', 'SOLUSDT'],
      restarts: 1,
      lastExit: 'SIGKILL',
    });
    expect(rows.find((r) => r.name === 'feed')!.holds).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
    expect(rows.find((r) => r.name === 'feed-standby')!.holds).toEqual([]);
    expect(rows.find((r) => r.name === 'api')).not.toHaveProperty('holds');
    expect(deskLine(rows)).toEqual({ ok: true, text: 'all 10 parts ok' });
  });

  it('tells a part whose process is gone (down) from one that runs unwell (degraded) or is starting', () => {
    const rows = deskParts({
      'engine-2': { state: 'degraded', detail: 'alerts-2 restarting', restarts: 1 },
      feeds: { state: 'degraded', detail: 'the feed does not answer' },
      'xmpp-2': {
        state: 'degraded',
        detail: 'XMPP node 2 (n2@localhost) port 5322: connect ECONNREFUSED 127.0.0.1:5322',
      },
      recorder: { state: 'degraded', detail: 'recorder reports degraded: XMPP session down' },
      engine: { state: 'starting', detail: 'the alert engine restarts (no heartbeat from pid 42 yet)' },
      redis: { state: 'degraded', detail: 'Redis: Connection is closed.' },
    });
    const state = Object.fromEntries(rows.map((r) => [r.name, r.state]));
    expect(state).toEqual({
      'alerts-2': 'down',
      feed: 'down',
      'xmpp-2': 'down',
      recorder: 'degraded',
      alerts: 'starting',
      redis: 'degraded',
    });
    expect(deskLine(rows).ok).toBe(false);
    expect(deskLine(rows).text).toBe(
      'xmpp-2 down, redis degraded, alerts starting, alerts-2 down, feed down, recorder degraded',
    );
  });

  it('reads the instruments out of the engine and feed details only', () => {
    expect(heldInstruments('slot 1: no instrument (lease renewal failing)')).toEqual([]);
    expect(heldInstruments('slot 3: AAPL ESZ6 (lease renewal failing)')).toEqual(['AAPL', 'ESZ6']);
    expect(heldInstruments('no tick recorded yet')).toBeUndefined();
    expect(heldInstruments(undefined)).toBeUndefined();
  });

  it('a restart within the last minute is recent, however quickly the part came back', () => {
    const [row] = deskParts({
      feeds: { state: 'running', restarts: 1, lastExit: 'SIGKILL', lastRestartAt: '2026-11-21T10:00:00.000Z' },
    });
    const at = Date.parse('2026-11-21T10:00:00.000Z');
    expect(row).toMatchObject({ state: 'ok', lastRestartAt: '2026-11-21T10:00:00.000Z' });
    expect(recentRestart(row!, at + 4_600)).toBe(5);
    expect(recentRestart(row!, at + 60_000)).toBe(60);
    expect(recentRestart(row!, at + 60_001)).toBeUndefined();
    expect(recentRestart(deskParts({ api: { state: 'running' } })[0]!, at)).toBeUndefined();
  });
});
