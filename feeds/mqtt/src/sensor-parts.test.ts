import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseSensorMap } from '@tickdesk/schemas';
import { createAckQueue } from './ack-queue.js';
import { SAMPLE_MAP_FILE } from './sample-map.js';
import { readSensorValue } from './sensor-payload.js';
import { createTopicMap, topicMatches } from './topic-filter.js';

const T = Date.UTC(2026, 11, 6, 15, 0, 0) * 1000;
const freezer = { topic: 'sites/+/freezer', symbol: 'IOT.FREEZER', decimals: 1, min: '-40', max: '10' };
const read = (payload: string, timeProperty?: string | string[], entry = freezer) =>
  readSensorValue(entry, { payload: Buffer.from(payload), timeProperty, nowMicros: T });

describe('topic filters (MQTT 5 §4.7)', () => {
  it.each([
    ['sites/site1/temp', 'sites/site1/temp', true],
    ['sites/+/temp', 'sites/site1/temp', true],
    ['sites/+/temp', 'sites/site1/x/temp', false],
    ['sites/+', 'sites/', true],
    ['sites/#', 'sites', true],
    ['sites/#', 'sites/a/b/c', true],
    ['#', 'anything/at/all', true],
    ['#', '$SYS/broker/uptime', false],
    ['+/x', '$SYS/x', false],
    ['sites/site1/temp', 'sites/site1/temp/x', false],
    ['sites/site1', 'sites/site1/temp', false],
    ['Sites/site1', 'sites/site1', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('gives the first matching entry in file order', () => {
    const symbolOf = createTopicMap([
      { ...freezer, topic: 'sites/site1/temp', symbol: 'A' },
      { ...freezer, topic: 'sites/+/temp', symbol: 'B' },
      { ...freezer, topic: 'sites/#', symbol: 'C' },
    ]);
    expect(symbolOf('sites/site1/temp')?.symbol).toBe('A');
    expect(symbolOf('sites/site2/temp')?.symbol).toBe('B');
    expect(symbolOf('sites/site2/humidity')?.symbol).toBe('C');
    expect(symbolOf('trucks/7/speed')).toBeUndefined();
  });
});

describe('sensor payloads', () => {
  it('reads a bare decimal, negative and zero included, at receive time', () => {
    expect(read('-18.5')).toEqual({ ok: true, value: '-18.5', eventMicros: T });
    expect(read('0')).toEqual({ ok: true, value: '0', eventMicros: T });
    expect(read('-0.0')).toMatchObject({ ok: true, value: '0' });
    expect(read('10')).toMatchObject({ ok: true, value: '10' });
  });

  it('reads a JSON object with a string value and its own time, before the user property', () => {
    const r = read('{"value":"8.4","time":"2026-12-06T14:59:59.123Z"}', '2026-12-06T14:00:00Z');
    expect(r).toEqual({ ok: true, value: '8.4', eventMicros: T - 877_000 });
    expect(read('{"value":"8.4"}', '2026-12-06T14:59:58.000001Z')).toMatchObject({ eventMicros: T - 1_999_999 });
  });

  it.each([
    ['8.4 °C', 'not-decimal'],
    ['1e1', 'not-decimal'],
    ['+8.4', 'not-decimal'],
    [' 8.4', 'not-decimal'],
    ['08.4', 'not-decimal'],
    ['8.', 'not-decimal'],
    ['NaN', 'not-decimal'],
    ['', 'not-decimal'],
    ['{"value":8.4}', 'not-decimal'],
    ['{"value":"8.4"', 'not-decimal'],
    ['[1]', 'not-decimal'],
    ['8.45', 'too-precise'],
    ['-40.1', 'out-of-range'],
    ['10.1', 'out-of-range'],
    ['{"value":"1","time":"yesterday"}', 'bad-time'],
    ['{"value":"1","time":"2026-12-06T15:00:05.001Z"}', 'future-time'],
    ['{"value":"1","time":1}', 'bad-time'],
  ])('refuses %j as %s', (payload, reason) => {
    expect(read(payload)).toMatchObject({ ok: false, reason });
  });

  it('accepts a time up to 5 s ahead, refuses a repeated or malformed time property, and a payload over the limit', () => {
    expect(read('{"value":"1","time":"2026-12-06T15:00:05Z"}')).toMatchObject({ ok: true });
    expect(read('1', ['2026-12-06T15:00:00Z', '2026-12-06T15:00:00Z'])).toMatchObject({ reason: 'bad-time' });
    expect(read('1', '2026-13-06T15:00:00Z')).toMatchObject({ reason: 'bad-time' });
    expect(read(`{"value":"1","pad":"${'x'.repeat(1024)}"}`)).toMatchObject({ reason: 'too-large' });
    expect(read(Buffer.from([0xff, 0xfe]).toString('latin1'))).toMatchObject({ ok: false });
  });
});

describe('acknowledgements in arrival order (MQTT 5 §4.6)', () => {
  it('sends a PUBACK only once the message and every earlier one are settled', () => {
    const sent: number[] = [];
    const acks = createAckQueue((id) => sent.push(id));
    const [a, b, c] = [acks.add(1), acks.add(2), acks.add(3)];
    c();
    expect(sent).toEqual([]);
    a();
    expect(sent).toEqual([1]);
    b();
    expect(sent).toEqual([1, 2, 3]);
    expect(acks.waiting).toBe(0);
  });
});

describe('the sample sensor map', () => {
  it('is a valid map whose entries each take a value in range at their precision', async () => {
    const map = parseSensorMap(await readFile(SAMPLE_MAP_FILE, 'utf8'));
    expect(map.sensors.length).toBeGreaterThanOrEqual(3);
    expect(map.sensors.map((s) => s.symbol)).toContain('IOT.SITE1.TEMP');
    const symbolOf = createTopicMap(map.sensors);
    for (const s of map.sensors) expect(symbolOf(s.topic)).toBe(s);
    expect(
      read(
        '-18.5',
        undefined,
        map.sensors.find((s) => s.symbol === 'IOT.SITE1.TEMP'),
      ),
    ).toMatchObject({ ok: true });
  });
});
