import { describe, expect, it } from 'vitest';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import { feedSources, loadDeskConfig } from './config.js';
import { deskServices } from './desk-services.js';
import type { MetricsPorts } from './metrics-ports.js';

const metrics = (): MetricsPorts => {
  let next = 42_001;
  return { services: async () => ({ feed: 41_001, recorder: 41_002, alerts: 41_003 }), free: async () => next++ };
};
const base = { TICKDESK_HOME: '/desk', TICKDESK_TOPOLOGY: '/desk/topology.json' };

describe('TICKDESK_FEED, a list of feed sources', () => {
  it('takes one source or several, and the sensor map defaults to the sample shipped with the MQTT feed', () => {
    expect(feedSources(loadDeskConfig({}))).toEqual(['synthetic']);
    const c = loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt' });
    expect(feedSources(c)).toEqual(['synthetic', 'mqtt']);
    expect(c.TICKDESK_MQTT_MAP_FILE).toBe(SAMPLE_MAP_FILE);
    expect(c.TICKDESK_MQTT_SENSORS_MAX).toBe(256);
    expect(feedSources(loadDeskConfig({ TICKDESK_FEED: 'mqtt' }))).toEqual(['mqtt']);
  });

  it.each([
    ['synthetic,bloomberg', /"bloomberg" is no feed source; each must be one of synthetic, replay, binance, mqtt/],
    ['mqtt,mqtt', /mqtt is listed twice/],
    ['synthetic,binance', /synthetic and binance would publish the same market instruments/],
    [',', /list one or more of/],
  ])('refuses TICKDESK_FEED=%s naming the variable', (value, message) => {
    expect(() => loadDeskConfig({ TICKDESK_FEED: value })).toThrow(/^TICKDESK_FEED=/);
    expect(() => loadDeskConfig({ TICKDESK_FEED: value })).toThrow(message);
  });

  it('refuses a standby feed for an MQTT adapter listed first (one broker session per client id)', () => {
    expect(() => loadDeskConfig({ TICKDESK_FEED: 'mqtt,synthetic', TICKDESK_FEED_STANDBY: '1' })).toThrow(
      /may not be mqtt/,
    );
    expect(loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt', TICKDESK_FEED_STANDBY: '1' })).toBeDefined();
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
