import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS, deskInstruments, parseDeskTopology } from '@tickdesk/schemas';
import { ConfigError, loadDeskConfig } from './config.js';
import { buildDeskTopology } from './topology.js';
import { sensorsOf } from './topology-sensors.js';

const home = mkdtempSync(join(tmpdir(), 'tickdesk-topology-sensors-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const freezer = {
  topic: 'sites/+/freezer',
  symbol: 'IOT.FREEZER',
  name: 'Freezers',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '10',
};
function mapFile(name: string, value: unknown): string {
  const path = join(home, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}
const settings = (feeds: string[], file: string) => ({ feeds, mapFile: file, maxSensors: 256 });

describe('desk topology: sensors', () => {
  it('with the mqtt feed: the map entries; the catalogue is the market instruments then the sensors', () => {
    const file = mapFile('one.json', { sensors: [freezer] });
    const part = sensorsOf(settings(['synthetic', 'mqtt'], file));
    expect(part).toEqual({ sensors: [freezer] });
    const instruments = deskInstruments(part);
    expect(instruments.map((i) => i.symbol)).toEqual([...DEFAULT_INSTRUMENTS.map((i) => i.symbol), 'IOT.FREEZER']);
    expect(instruments.at(-1)).toEqual({
      kind: 'sensor',
      symbol: 'IOT.FREEZER',
      name: 'Freezers',
      unit: '°C',
      decimals: 1,
      min: '-40',
      max: '10',
    });
  });

  it("up's topology: the sample map's sensors by default with mqtt in TICKDESK_FEED, none without it", () => {
    const build = (env: Record<string, string>) => buildDeskTopology(loadDeskConfig({ TICKDESK_HOME: home, ...env }));
    const withMqtt = build({ TICKDESK_FEED: 'synthetic,mqtt' });
    expect(withMqtt.sensors?.map((s) => s.symbol)).toContain('IOT.SITE1.TEMP');
    expect(deskInstruments(withMqtt).filter((i) => i.kind === 'sensor')).toHaveLength(withMqtt.sensors!.length);
    expect(build({})).not.toHaveProperty('sensors');
    const file = mapFile('env.json', { sensors: [freezer] });
    expect(build({ TICKDESK_FEED: 'mqtt', TICKDESK_MQTT_MAP_FILE: file }).sensors).toEqual([freezer]);
    expect(() =>
      build({ TICKDESK_FEED: 'mqtt', TICKDESK_MQTT_MAP_FILE: file, TICKDESK_MQTT_SENSORS_MAX: '0' }),
    ).toThrow(/TICKDESK_MQTT_SENSORS_MAX/);
  });

  it('without the mqtt feed: no sensors, and the map file is not read', () => {
    expect(sensorsOf(settings(['synthetic'], join(home, 'absent.json')))).toEqual({});
    expect(deskInstruments({})).toBe(DEFAULT_INSTRUMENTS);
  });

  it('a missing or bad map stops up naming the variable, the file and the entry', () => {
    const absent = join(home, 'absent.json');
    expect(() => sensorsOf(settings(['mqtt'], absent))).toThrow(ConfigError);
    expect(() => sensorsOf(settings(['mqtt'], absent))).toThrow(`TICKDESK_MQTT_MAP_FILE="${absent}" is not readable`);
    const bad = mapFile('bad.json', { sensors: [freezer, { ...freezer, topic: 'x/#/y', symbol: 'IOT.B' }] });
    expect(() => sensorsOf(settings(['mqtt'], bad))).toThrow(
      /^TICKDESK_MQTT_MAP_FILE=".*bad\.json" entry 2 \(IOT\.B\): topic "#" must be the last level/,
    );
    const many = mapFile('many.json', { sensors: [freezer, { ...freezer, symbol: 'IOT.B' }] });
    expect(() => sensorsOf({ ...settings(['mqtt'], many), maxSensors: 1 })).toThrow(
      /at most 1 \(TICKDESK_MQTT_SENSORS_MAX\)/,
    );
  });

  it('the topology file keeps them: a service reading it gets the same catalogue', () => {
    const part = sensorsOf(settings(['mqtt'], mapFile('two.json', { sensors: [freezer] })));
    const written = {
      domain: 'desk.localhost',
      pubsubHost: 'pubsub.desk.localhost',
      xmppServer: 'prosody',
      xmppNodes: [{ host: '127.0.0.1', c2sPort: 1, c2sDirectTlsPort: 2, httpPort: 3, distPort: 4 }],
      api: { host: '127.0.0.1', port: 5 },
      redis: { mode: 'single', host: '127.0.0.1', port: 6 },
      paths: { home, ca: 'ca', credentials: 'c' },
      ...part,
    };
    const read = parseDeskTopology(JSON.stringify(written));
    expect(deskInstruments(read)).toEqual(deskInstruments(part));
    expect(() => parseDeskTopology(JSON.stringify({ ...written, sensors: [{ ...freezer, min: 5 }] }))).toThrow(
      /desk topology \/sensors\/0\/min/,
    );
  });
});
