import { describe, expect, it } from 'vitest';
import { deskInstruments } from '@tickdesk/schemas';
import { loadDeskConfig } from './config.js';
import { deskBanner } from './desk-banner.js';
import type { DeskInfra } from './desk-infra.js';
import type { DeskServices } from './desk-services.js';

const infra = {
  credentials: { accounts: {} },
  domain: 'desk.localhost',
  pubsubHost: 'pubsub.desk.localhost',
  redis: { port: 6380 },
  redisParts: [],
  xmpp: { logPath: 'x.log' },
  credentialsPath: 'c.json',
  caPath: 'ca.crt',
} as unknown as DeskInfra;
const services = {
  extraEngines: [],
  metrics: { feed: 1, recorder: 2, alerts: 3 },
  failover: { on: false },
  names: [],
} as unknown as DeskServices;
const sensor = { topic: 's/t', symbol: 'IOT.T', name: 'T', unit: '°C', decimals: 1, min: '-40', max: '85' };

function banner(env: Record<string, string>, sensors?: (typeof sensor)[]): string {
  const config = loadDeskConfig({ TICKDESK_HOME: '/tmp/desk', ...env });
  const instruments = deskInstruments(sensors ? { sensors } : {});
  return deskBanner({ config, infra, services, federation: undefined, instruments, logs: 'logs', deskLog: 'd.log' });
}

describe("up's banner", () => {
  it('names each feed source, the synthetic rate and the sensors of the map; every instrument node', () => {
    const text = banner({ TICKDESK_FEED: 'synthetic,mqtt', TICKDESK_MQTT_MAP_FILE: '/etc/map.json' }, [sensor]);
    expect(text).toMatch(/feed {21}synthetic, 200 ticks\/s over 8 instruments; mqtt, 1 sensor of \/etc\/map\.json\n/);
    expect(text).toMatch(/nodes .* for BTCUSDT, .*, ESZ6, IOT\.T\n/);
    expect(banner({ TICKDESK_FEED: 'replay' })).toMatch(/feed {21}replay\n/);
  });
});
