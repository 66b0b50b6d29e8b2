import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Instrument } from './instrument.js';
import { parseSensorMap, sensorInstruments, topicFilterProblem, type SensorMapEntry } from './sensor-map.js';

const entry = (over: Partial<Record<keyof SensorMapEntry, unknown>> = {}): Record<string, unknown> => ({
  topic: 'sites/site1/temp',
  symbol: 'IOT.SITE1.TEMP',
  name: 'Site 1 cold room',
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '85',
  ...over,
});
const text = (...sensors: unknown[]) => JSON.stringify({ sensors });
const parse = (t: string, maxSensors?: number) =>
  parseSensorMap(t, { source: 'TICKDESK_MQTT_MAP_FILE (m.json)', ...(maxSensors ? { maxSensors } : {}) });

describe('parseSensorMap', () => {
  it('accepts the documented example, negative bounds included', () => {
    const map = parse(
      text(entry(), entry({ topic: 'sites/+/freezer/#', symbol: 'IOT.FREEZER', min: '-30.5', max: '-10' })),
    );
    expect(map.sensors.map((s) => s.symbol)).toEqual(['IOT.SITE1.TEMP', 'IOT.FREEZER']);
  });

  it.each([
    ['not JSON', '{', /is not JSON/],
    ['not an object', '[]', /must be a JSON object/],
    ['an unknown top-level field', JSON.stringify({ sensors: [entry()], x: 1 }), /unknown field "x"/],
    ['no sensors', text(), /lists no sensors/],
    ['a missing field', text(entry({ unit: undefined })), /entry 1 \(IOT\.SITE1\.TEMP\): unit/],
    ['an unknown field', text(entry({ colour: 'red' } as never)), /entry 1 \(IOT\.SITE1\.TEMP\): colour/],
    ['a bad symbol', text(entry({ symbol: 'iot.lower' })), /entry 1 \(iot\.lower\): symbol/],
    ['a float bound', text(entry({ min: -40 })), /entry 1 \(IOT\.SITE1\.TEMP\): min/],
    ['an exponent bound', text(entry({ max: '1e2' })), /: max/],
    ['"-0"', text(entry({ min: '-0' })), /: min/],
    ['decimals above 8', text(entry({ decimals: 9 })), /: decimals/],
    ['negative decimals', text(entry({ decimals: -1 })), /: decimals/],
    ['a unit longer than 16', text(entry({ unit: 'x'.repeat(17) })), /: unit/],
    [
      'a control character in the name',
      text(entry({ name: 'cold\u0007room' })),
      /: name must not contain the control character U\+0007/,
    ],
    ['"#" not last', text(entry({ topic: 'sites/#/temp' })), /: topic "#" must be the last level/],
    ['"#" not alone', text(entry({ topic: 'sites/t#' })), /: topic "#" must be the last level and alone/],
    ['"+" not alone', text(entry({ topic: 'sites/s+/temp' })), /: topic "\+" must be alone in its level/],
    ['a $ topic', text(entry({ topic: '$SYS/broker/load' })), /: topic must not start with \$/],
    ['an empty topic', text(entry({ topic: '' })), /: topic/],
    ['a NUL in the topic', text(entry({ topic: 'a\u0000b' })), /: topic must not contain U\+0000/],
    ['min = max', text(entry({ min: '5', max: '5' })), /: min 5 must be less than max 5/],
    ['min > max (signed)', text(entry({ min: '-1', max: '-2' })), /: min -1 must be less than max -2/],
    ['a too precise min', text(entry({ min: '-40.25' })), /: min -40\.25 has more than 1 fraction digits/],
    ['a too precise max', text(entry({ decimals: 0, max: '85.5' })), /: max 85\.5 has more than 0 fraction digits/],
    [
      'a duplicate symbol',
      text(entry(), entry({ topic: 'other' })),
      /entry 2 \(IOT\.SITE1\.TEMP\): symbol IOT\.SITE1\.TEMP is listed twice/,
    ],
    [
      'a topic filter listed twice',
      text(entry(), entry({ symbol: 'IOT.OTHER' })),
      /entry 2 \(IOT\.OTHER\): topic sites\/site1\/temp is entry 1's already/,
    ],
    [
      'a market symbol',
      text(entry({ symbol: 'BTCUSDT' })),
      /entry 1 \(BTCUSDT\): symbol BTCUSDT is already an instrument/,
    ],
  ])('refuses %s, naming the source, the entry and the field', (_, t, message) => {
    expect(() => parse(t)).toThrow(message);
    expect(() => parse(t)).toThrow(/^TICKDESK_MQTT_MAP_FILE \(m\.json\)/);
  });

  it('refuses more entries than TICKDESK_MQTT_SENSORS_MAX, default 256', () => {
    const many = (n: number) =>
      text(...Array.from({ length: n }, (_, i) => entry({ topic: `s/${i}`, symbol: `IOT.S${i}` })));
    expect(parse(many(256)).sensors).toHaveLength(256);
    expect(() => parse(many(257))).toThrow(/lists 257 sensors; at most 256 \(TICKDESK_MQTT_SENSORS_MAX\)/);
    expect(() => parse(many(3), 2)).toThrow(/at most 2/);
  });

  it('refuses a file over 1 MiB before parsing it', () => {
    expect(() => parse(' '.repeat(1024 * 1024 + 1))).toThrow(/longer than 1048576 characters/);
  });
});

describe('topicFilterProblem (MQTT 5 §4.7.1)', () => {
  it.each(['#', '+', 'a/b', 'a/+/c', 'a/#', '+/+/#', 'a//b', '/a'])('accepts %s', (f) =>
    expect(topicFilterProblem(f)).toBeUndefined(),
  );
  it.each(['a#', 'a/#/b', '#/a', 'a+', 'a/+b/c', '$share/g/a', ''])('refuses %s', (f) =>
    expect(topicFilterProblem(f)).toBeDefined(),
  );
});

describe('sensorInstruments', () => {
  it('gives one sensor instrument per entry, in file order, valid against the Instrument schema', () => {
    const map = parse(text(entry(), entry({ topic: 'x', symbol: 'IOT.X', unit: '', decimals: 0, min: '0', max: '1' })));
    const instruments = sensorInstruments(map);
    expect(instruments).toEqual([
      {
        kind: 'sensor',
        symbol: 'IOT.SITE1.TEMP',
        name: 'Site 1 cold room',
        unit: '°C',
        decimals: 1,
        min: '-40',
        max: '85',
      },
      { kind: 'sensor', symbol: 'IOT.X', name: 'Site 1 cold room', unit: '', decimals: 0, min: '0', max: '1' },
    ]);
    for (const i of instruments) expect(Value.Check(Instrument, i)).toBe(true);
  });
});
