import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import { parseSensorMap } from '@tickdesk/schemas';
import { loadDeskConfig } from './config.js';
import { deskServices } from './desk-services.js';
import type { MetricsPorts } from './metrics-ports.js';
import { deskDemoSensors, runsMqttDemo } from './run-mqtt-demo.js';

const SAMPLE = parseSensorMap(readFileSync(SAMPLE_MAP_FILE, 'utf8')).sensors;
const OWN = { ...SAMPLE[0]!, topic: 'plant/line1/temp', symbol: 'IOT.PLANT.TEMP' };
const metrics = (): MetricsPorts => {
  let next = 42_001;
  return { services: async () => ({ feed: 41_001, recorder: 41_002, alerts: 41_003 }), free: async () => next++ };
};

describe('the demo devices of `up`', () => {
  it("run with the mqtt feed and the sample map, for the sample's sensors only", () => {
    const mqtt = loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt' });
    expect(runsMqttDemo(mqtt, { sensors: SAMPLE })).toBe(true);
    expect(deskDemoSensors({ sensors: SAMPLE }).map((s) => s.symbol)).toEqual(SAMPLE.map((s) => s.symbol));
    expect(deskDemoSensors({ sensors: [OWN, SAMPLE[1]!] })).toEqual([SAMPLE[1]]);
    expect(runsMqttDemo(mqtt, { sensors: [OWN] })).toBe(false);
    expect(
      runsMqttDemo(loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt', TICKDESK_MQTT_DEMO: '0' }), { sensors: SAMPLE }),
    ).toBe(false);
    expect(runsMqttDemo(loadDeskConfig({}), {})).toBe(false);
    expect(() => loadDeskConfig({ TICKDESK_MQTT_DEMO: '2' })).toThrow(/TICKDESK_MQTT_DEMO/);
  });

  it('are the part mqtt-demo, started after the feeds and before the API, running tickdesk run mqtt-demo', async () => {
    const s = await deskServices(
      loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt' }),
      metrics(),
      {},
      { mqttDemo: true },
    );
    expect(s.names).toEqual(['recorder', 'alerts', 'feed', 'feed-mqtt', 'mqtt-demo', 'api']);
    expect(s.programOf('mqtt-demo')).toBe('mqtt-demo');
    expect(s.envOf('mqtt-demo', { TICKDESK_HOME: '/desk' }).TICKDESK_HOME).toBe('/desk');
    const without = await deskServices(loadDeskConfig({ TICKDESK_FEED: 'synthetic,mqtt' }), metrics(), {});
    expect(without.names).not.toContain('mqtt-demo');
  });
});
