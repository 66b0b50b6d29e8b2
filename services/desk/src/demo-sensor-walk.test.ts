import { describe, expect, it } from 'vitest';
import { Decimal, SENSOR_VALUE_PATTERN } from '@tickdesk/schemas';
import { createSensorWalk, demoTopic } from './demo-sensor-walk.js';

/** A seeded generator, so a failure can be replayed. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('demo sensor values', () => {
  it.each([
    { min: '-40', max: '85', decimals: 1 },
    { min: '0', max: '100', decimals: 1 },
    { min: '0', max: '250', decimals: 0 },
    { min: '-0.5', max: '0.5', decimals: 2 },
    { min: '-30', max: '-10', decimals: 1 },
  ])('stay in [$min, $max] with exactly $decimals fraction digits, never -0, and move', (sensor) => {
    for (const random of [seeded(1), seeded(42), () => 0, () => 0.999999]) {
      const walk = createSensorWalk(sensor, random);
      const values = Array.from({ length: 1_000 }, walk);
      const pattern = new RegExp(SENSOR_VALUE_PATTERN);
      const bad = values.filter(
        (v) =>
          !pattern.test(v) ||
          (v.split('.')[1]?.length ?? 0) !== sensor.decimals ||
          new Decimal(v).lt(sensor.min) ||
          new Decimal(v).gt(sensor.max),
      );
      expect(bad).toEqual([]);
      expect(new Set(values).size).toBeGreaterThan(1);
    }
  });

  it('publishes on a concrete topic for a filter with wildcards', () => {
    expect(demoTopic('sites/site1/temp')).toBe('sites/site1/temp');
    expect(demoTopic('trucks/+/speed')).toBe('trucks/demo/speed');
    expect(demoTopic('fleet/#')).toBe('fleet/demo');
  });
});
