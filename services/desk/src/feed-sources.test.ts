import { describe, expect, it } from 'vitest';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import { feedSources, loadDeskConfig } from './config.js';

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
