import { describe, expect, it } from 'vitest';
import type { SensorMapEntry } from '@tickdesk/schemas';
import { demoSensors, provisionDemoDevices } from './mqtt-demo.js';

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

  it("made again at each start with a new password; a stale demo device removed, an admin's own left alone", async () => {
    const registry = fakeRegistry({
      'demo-iot.site1.temp': 'sites/site1/temp',
      'demo-iot.gone': 'gone',
      'site1-probe': 'sites/site1',
    });
    expect(await provisionDemoDevices(registry, [TEMP])).toEqual({ 'demo-iot.site1.temp': 'pw1' });
    expect(registry.calls).toEqual([
      'remove demo-iot.site1.temp',
      'remove demo-iot.gone',
      'add demo-iot.site1.temp sites/site1/temp',
    ]);
    expect(Object.fromEntries(registry.held)).toEqual({
      'site1-probe': 'sites/site1',
      'demo-iot.site1.temp': 'sites/site1/temp',
    });
  });

  it("publishes the sample map's sensors the desk's map lists, never a sensor of the desk's own", () => {
    const own = sensor('IOT.E2E.PROBE', 'e2e/probe1/temp');
    const moved = sensor('IOT.SITE1.TEMP', 'elsewhere/temp');
    expect(demoSensors([TEMP, own, SPEED], [TEMP, SPEED])).toEqual([TEMP, SPEED]);
    expect(demoSensors([own, moved], [TEMP, SPEED])).toEqual([]);
  });
});
