import type { Logger } from 'pino';
import { connectMqtt, type DeviceRegistry } from '@tickdesk/infra';
import type { SensorMapEntry } from '@tickdesk/schemas';
import { createSensorWalk, demoTopic } from './demo-sensor-walk.js';

/** The demo devices' passwords by name, made at the demo's start (the broker keeps only hashes). */
export type DemoDevices = Record<string, string>;

/** Demo devices are named after their sensor's symbol: `demo-iot.site1.temp`; `demo-…` names are the demo's. */
const demoDeviceName = (symbol: string): string => `demo-${symbol.toLowerCase()}`;

/**
 * The sensors the demo publishes: those of the sample map (`sample`) that the desk's map
 * lists too, same topic and symbol; with the sample map as the desk's, all of them. A
 * sensor of the desk's own is never the demo's.
 */
export function demoSensors(desk: readonly SensorMapEntry[], sample: readonly SensorMapEntry[]): SensorMapEntry[] {
  return desk.filter((d) => sample.some((s) => s.topic === d.topic && s.symbol === d.symbol));
}

/**
 * One device per demo sensor, made through the registry with a new password at each start
 * of the demo (so a demo device an admin removed comes back with it), publishing on its
 * sensor's topic only; a demo device of a sensor the demo no longer has is removed.
 * Answers the passwords.
 */
export async function provisionDemoDevices(
  registry: Pick<DeviceRegistry, 'add' | 'remove' | 'list'>,
  sensors: readonly SensorMapEntry[],
): Promise<DemoDevices> {
  const wanted = new Map(sensors.map((s) => [demoDeviceName(s.symbol), demoTopic(s.topic)]));
  for (const { name } of await registry.list()) if (name.startsWith('demo-')) await registry.remove(name);
  const devices: DemoDevices = {};
  for (const [name, topics] of wanted) devices[name] = (await registry.add(name, topics)).password;
  return devices;
}

/**
 * The demo devices at work: one MQTT 5 connection over TLS per sensor (its own device
 * login), a value every `intervalMs` as `{"value","time"}` at QoS 1. A connection that
 * drops calls `onLost`: the process then exits and `tickdesk up` restarts it, as any part.
 */
export async function startDemoDevices({
  url,
  ca,
  sensors,
  devices,
  log,
  onLost,
  intervalMs = 1000,
}: {
  url: string;
  ca: string;
  sensors: readonly SensorMapEntry[];
  devices: DemoDevices;
  log: Logger;
  onLost: (err: Error) => void;
  intervalMs?: number;
}): Promise<() => Promise<void>> {
  let stopping = false;
  const running = await Promise.all(
    sensors.map(async (sensor) => {
      const name = demoDeviceName(sensor.symbol);
      const password = devices[name];
      if (password === undefined) throw new Error(`no password for demo device ${name} in the credentials file`);
      const client = await connectMqtt({ url, ca, username: name, password, clientId: name });
      client.on('close', () => {
        if (!stopping) onLost(new Error(`demo device ${name}: the broker closed its connection`));
      });
      client.on('error', (err) => log.warn({ err, device: name }, 'demo device connection error'));
      return { client, name, topic: demoTopic(sensor.topic), next: createSensorWalk(sensor) };
    }),
  );
  const timer = setInterval(() => {
    const time = new Date().toISOString();
    for (const d of running) {
      const payload = JSON.stringify({ value: d.next(), time });
      d.client.publish(d.topic, payload, { qos: 1 }, (err) => {
        if (err && !stopping) log.warn({ err, device: d.name }, 'demo value not acknowledged');
      });
    }
  }, intervalMs);
  log.info({ devices: running.map((d) => d.name) }, 'demo devices publishing');
  return async () => {
    stopping = true;
    clearInterval(timer);
    await Promise.all(running.map((d) => d.client.endAsync()));
  };
}
