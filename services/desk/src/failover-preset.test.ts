import { describe, expect, it } from 'vitest';
import { loadAlertsConfig } from '@tickdesk/alerts';
import { loadDeskConfig, redisPorts } from './config.js';
import { failoverLines, FAILOVER_PRESET, resolveFailoverPreset } from './failover-preset.js';

describe('the fail-over desk (TICKDESK_FAILOVER)', () => {
  it('changes nothing when unset or 0', () => {
    for (const env of [{}, { TICKDESK_FAILOVER: '0' }, { TICKDESK_FAILOVER: ' ' }]) {
      const r = resolveFailoverPreset(env);
      expect(r).toEqual({ on: false, env, fromPreset: [], overridden: [] });
    }
    expect(loadDeskConfig({})).toMatchObject({
      TICKDESK_FAILOVER: 0,
      TICKDESK_REDIS_MODE: 'single',
      TICKDESK_FEED_STANDBY: 0,
    });
  });

  it('sets Sentinel, two engines, a standby feed and a standby recorder for the variables left unset', () => {
    const r = resolveFailoverPreset({ TICKDESK_FAILOVER: '1', TICKDESK_API_PORT: '18080' });
    expect(r.on).toBe(true);
    expect(r.env).toEqual({
      TICKDESK_FAILOVER: '1',
      TICKDESK_API_PORT: '18080',
      TICKDESK_REDIS_MODE: 'sentinel',
      TICKDESK_ALERT_ENGINES: '2',
      TICKDESK_FEED_STANDBY: '1',
      TICKDESK_RECORDER_STANDBY: '1',
    });
    expect(r.fromPreset).toEqual(Object.keys(FAILOVER_PRESET));
    expect(r.overridden).toEqual([]);
  });

  it('is what the desk config and the engines read from the same resolved environment', () => {
    const env = resolveFailoverPreset({ TICKDESK_FAILOVER: '1' }).env;
    const desk = loadDeskConfig({ TICKDESK_FAILOVER: '1' });
    expect(desk).toMatchObject({ TICKDESK_FAILOVER: 1, TICKDESK_REDIS_MODE: 'sentinel', TICKDESK_FEED_STANDBY: 1 });
    expect(redisPorts(desk).sentinels).toHaveLength(3);
    expect(loadAlertsConfig(env).engines).toBe(2);
    // A child given the resolved environment resolves it to the same values again.
    expect(resolveFailoverPreset(env).env).toEqual(env);
    expect(loadDeskConfig(env)).toEqual(desk);
  });

  it('lets an explicit value win, and lists the ones that differ from the preset', () => {
    const r = resolveFailoverPreset({
      TICKDESK_FAILOVER: '1',
      TICKDESK_ALERT_ENGINES: '1',
      TICKDESK_REDIS_MODE: 'sentinel',
      TICKDESK_FEED_STANDBY: '0',
    });
    expect(r.env).toMatchObject({
      TICKDESK_ALERT_ENGINES: '1',
      TICKDESK_REDIS_MODE: 'sentinel',
      TICKDESK_FEED_STANDBY: '0',
      TICKDESK_RECORDER_STANDBY: '1',
    });
    expect(r.fromPreset).toEqual(['TICKDESK_RECORDER_STANDBY']);
    expect(r.overridden).toEqual([
      { name: 'TICKDESK_ALERT_ENGINES', value: '1', preset: '2' },
      { name: 'TICKDESK_FEED_STANDBY', value: '0', preset: '1' },
    ]);
    expect(loadDeskConfig({ TICKDESK_FAILOVER: '1', TICKDESK_REDIS_MODE: 'single' }).TICKDESK_REDIS_MODE).toBe(
      'single',
    );
  });

  it('says at start-up what the desk runs, from the parts it starts, and what an explicit value takes away', () => {
    const parts = ['recorder', 'alerts', 'feed', 'feed-standby', 'api'];
    const lines = failoverLines(resolveFailoverPreset({ TICKDESK_FAILOVER: '1', TICKDESK_ALERT_ENGINES: '1' }), {
      server: 'prosody',
      nodes: 1,
      redisMode: 'sentinel',
      parts,
    });
    expect(lines[0]).toMatch(
      /TICKDESK_FAILOVER=1: Redis with a replica and three sentinels, 1 alert engine, a feed and its standby, one recorder, one Prosody$/,
    );
    expect(lines.join('\n')).toMatch(
      /TICKDESK_ALERT_ENGINES=1 set explicitly \(the preset's is 2\): one alert engine, none to take over/,
    );
    expect(lines.join('\n')).toMatch(/TICKDESK_XMPP_NODES=3 clusters it/);
    const cluster = failoverLines(resolveFailoverPreset({ TICKDESK_FAILOVER: '1' }), {
      server: 'ejabberd',
      nodes: 3,
      redisMode: 'sentinel',
      parts: ['recorder', 'recorder-standby', 'alerts', 'alerts-2', 'feed', 'feed-standby', 'api'],
    });
    expect(cluster).toEqual([
      '  fail-over desk           TICKDESK_FAILOVER=1: Redis with a replica and three sentinels, 2 alert engines, a feed and its standby, a recorder and its standby, 3 ejabberd nodes',
    ]);
    expect(
      failoverLines(resolveFailoverPreset({}), { server: 'prosody', nodes: 1, redisMode: 'single', parts }),
    ).toEqual([]);
  });

  it('works with a clustered ejabberd desk', () => {
    const c = loadDeskConfig({ TICKDESK_FAILOVER: '1', TICKDESK_XMPP_SERVER: 'ejabberd', TICKDESK_XMPP_NODES: '3' });
    expect(c).toMatchObject({ TICKDESK_XMPP_NODES: 3, TICKDESK_REDIS_MODE: 'sentinel', TICKDESK_FEED_STANDBY: 1 });
  });

  it.each(['2', 'yes', 'true'])('refuses TICKDESK_FAILOVER=%s naming the variable', (v) => {
    expect(() => loadDeskConfig({ TICKDESK_FAILOVER: v })).toThrow(
      /TICKDESK_FAILOVER="[^"]+" is invalid: expected 0 or 1/,
    );
  });
});
