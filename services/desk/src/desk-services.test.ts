import { describe, expect, it } from 'vitest';
import { loadDeskConfig } from './config.js';
import { deskServices } from './desk-services.js';
import type { MetricsPorts } from './metrics-ports.js';

/** The services' ports 41001…41003, then 42001, 42002… for each extra part. */
const metrics = (): MetricsPorts => {
  let next = 42_001;
  return { services: async () => ({ feed: 41_001, recorder: 41_002, alerts: 41_003 }), free: async () => next++ };
};
const base = { TICKDESK_HOME: '/desk', TICKDESK_TOPOLOGY: '/desk/topology.json' };

describe('the service processes of a desk', () => {
  it('one of each by default, started recorder, alerts, feed, api, each running its own program', async () => {
    const s = await deskServices(loadDeskConfig({}), metrics(), {});
    expect(s.names).toEqual(['recorder', 'alerts', 'feed', 'api']);
    expect(s.partPorts).toEqual({ feed: 41_001, recorder: 41_002, alerts: 41_003 });
    expect(s.names.map((n) => s.programOf(n))).toEqual(['recorder', 'alerts', 'feed', 'api']);
    expect(s.envOf('feed', base)).toMatchObject({
      ...base,
      TICKDESK_FEED_METRICS_PORT: '41001',
      TICKDESK_RECORDER_METRICS_PORT: '41002',
      TICKDESK_ALERTS_METRICS_PORT: '41003',
    });
    expect(s.envOf('feed', base).TICKDESK_FEED_LEASE).toBeUndefined();
  });

  it('the fail-over preset: standbys and a second engine, each with its own metrics port and lease role', async () => {
    const env = { TICKDESK_FAILOVER: '1', TICKDESK_XMPP_SERVER: 'ejabberd' };
    const s = await deskServices(loadDeskConfig(env), metrics(), env);
    expect(s.names).toEqual(['recorder', 'recorder-standby', 'alerts', 'alerts-2', 'feed', 'feed-standby', 'api']);
    expect(s.names.map((n) => s.programOf(n))).toEqual([
      'recorder',
      'recorder',
      'alerts',
      'alerts',
      'feed',
      'feed',
      'api',
    ]);
    // Chosen in this order: the feed's standby, the extra engines, the recorder's standby.
    expect(s.partPorts).toMatchObject({ 'feed-standby': 42_001, 'alerts-2': 42_002, 'recorder-standby': 42_003 });
    expect(s.envOf('feed', base)).toMatchObject({
      TICKDESK_FEED_LEASE: 'primary',
      TICKDESK_FEED_METRICS_PORT: '41001',
    });
    expect(s.envOf('feed-standby', base)).toMatchObject({
      TICKDESK_FEED_LEASE: 'standby',
      TICKDESK_FEED_METRICS_PORT: '42001',
    });
    expect(s.envOf('alerts-2', base)).toMatchObject({
      TICKDESK_ALERTS_PART: 'alerts-2',
      TICKDESK_ALERTS_METRICS_PORT: '42002',
    });
    expect(s.envOf('recorder-standby', base)).toMatchObject({
      TICKDESK_RECORDER_LEASE: 'standby',
      TICKDESK_RECORDER_METRICS_PORT: '42003',
    });
    // Every child reads the preset's values, resolved once by up.
    expect(s.envOf('api', base)).toMatchObject({ TICKDESK_REDIS_MODE: 'sentinel', TICKDESK_ALERT_ENGINES: '2' });
  });
});

describe('one feed process per source', () => {
  it('runs feed for the first source and feed-<source> for each further one, each with its own source and metrics port', async () => {
    const s = await deskServices(loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt' }), metrics(), {});
    expect(s.names).toEqual(['recorder', 'alerts', 'feed', 'feed-mqtt', 'api']);
    expect(s.programOf('feed-mqtt')).toBe('feed');
    expect(s.partPorts['feed-mqtt']).toBe(42_001);
    expect(s.envOf('feed', base)).toMatchObject({ TICKDESK_FEED: 'synthetic', TICKDESK_FEED_METRICS_PORT: '41001' });
    expect(s.envOf('feed-mqtt', base)).toMatchObject({ TICKDESK_FEED: 'mqtt', TICKDESK_FEED_METRICS_PORT: '42001' });
    expect(s.envOf('feed-mqtt', base).TICKDESK_FEED_LEASE).toBeUndefined();
  });

  it('with a standby: the first source has its standby, the MQTT adapter none', async () => {
    const s = await deskServices(
      loadDeskConfig({ TICKDESK_FEED: 'binance,mqtt', TICKDESK_FEED_STANDBY: '1' }),
      metrics(),
      {},
    );
    expect(s.names).toEqual(['recorder', 'alerts', 'feed', 'feed-standby', 'feed-mqtt', 'api']);
    expect(s.envOf('feed-standby', base)).toMatchObject({ TICKDESK_FEED: 'binance', TICKDESK_FEED_LEASE: 'standby' });
    expect(s.envOf('feed-mqtt', base)).toMatchObject({ TICKDESK_FEED: 'mqtt' });
    expect(s.envOf('feed-mqtt', base).TICKDESK_FEED_LEASE).toBeUndefined();
    expect(new Set(Object.values(s.partPorts)).size).toBe(Object.keys(s.partPorts).length);
  });
});
