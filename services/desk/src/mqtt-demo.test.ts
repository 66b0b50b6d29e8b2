import { describe, expect, it } from 'vitest';
import type { SensorMapEntry } from '@tickdesk/schemas';
import { provisionDemoDevices } from './mqtt-demo.js';

const sensor = (symbol: string, topic: string): SensorMapEntry => ({
  topic,
  symbol,
  name: symbol,
  unit: '°C',
  decimals: 1,
  min: '-40',
  max: '85',
});
const TEMP = sensor('IOT.SITE1.TEMP', 'sites/site1/temp');
const SPEED = sensor('IOT.TRUCK7.SPEED', 'trucks/+/speed');

/** The broker's devices in memory, counting what the registry is asked to do. */
function fakeRegistry(devices: Record<string, string> = {}) {
  const held = new Map(Object.entries(devices));
  const calls: string[] = [];
  let n = 0;
  return {
    held,
    calls,
    list: () => Promise.resolve([...held].map(([name, topics]) => ({ name, topics }))),
    add(name: string, topics: string) {
      calls.push(`add ${name} ${topics}`);
      held.set(name, topics);
      return Promise.resolve({ password: `pw${++n}` });
    },
    remove(name: string) {
      calls.push(`remove ${name}`);
      held.delete(name);
      return Promise.resolve();
    },
  };
}

describe('demo devices', () => {
  it('one device per sensor, publishing on its topic (a wildcard level as demo)', async () => {
    const registry = fakeRegistry();
    expect(await provisionDemoDevices(registry, [TEMP, SPEED])).toEqual({
      'demo-iot.site1.temp': 'pw1',
      'demo-iot.truck7.speed': 'pw2',
    });
    expect(Object.fromEntries(registry.held)).toEqual({
      'demo-iot.site1.temp': 'sites/site1/temp',
      'demo-iot.truck7.speed': 'trucks/demo/speed',
    });
  });

  it('keeps a stored login the broker still has; makes again one it lacks or with another prefix; removes a stale one', async () => {
    const registry = fakeRegistry({
      'demo-iot.site1.temp': 'sites/site1/temp',
      'demo-iot.truck7.speed': 'trucks/old/speed',
      'demo-iot.gone': 'gone',
      'site1-probe': 'sites/site1',
    });
    const stored = { 'demo-iot.site1.temp': 'kept', 'demo-iot.truck7.speed': 'old', 'demo-iot.gone': 'x' };
    const kept = await provisionDemoDevices(registry, [TEMP, SPEED], stored);
    expect(kept).toEqual({ 'demo-iot.site1.temp': 'kept', 'demo-iot.truck7.speed': 'pw1' });
    expect(registry.calls).toEqual([
      'remove demo-iot.truck7.speed',
      'add demo-iot.truck7.speed trucks/demo/speed',
      'remove demo-iot.gone',
    ]);
    expect(registry.held.get('site1-probe')).toBe('sites/site1');
    const lost = await provisionDemoDevices(fakeRegistry(), [TEMP], kept);
    expect(lost['demo-iot.site1.temp']).toBe('pw1');
  });
});
