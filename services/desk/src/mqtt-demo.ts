import type { Logger } from 'pino';
import { connectMqtt, type DeviceRegistry } from '@tickdesk/infra';
import type { SensorMapEntry } from '@tickdesk/schemas';
import { createSensorWalk, demoTopic } from './demo-sensor-walk.js';

/**
 * The demo devices' passwords by name, kept with the broker's other passwords in the
 * credentials file (`mqtt.users`): the broker keeps only hashes.
 */
export type DemoDevices = Record<string, string>;

/** Demo devices are named after their sensor's symbol: `demo-iot.site1.temp`; `demo-…` names are the demo's. */
export const demoDeviceName = (symbol: string): string => `demo-${symbol.toLowerCase()}`;
export const isDemoDevice = (name: string): boolean => name.startsWith('demo-');

/**
 * One device per sensor of the map, made through the registry, publishing on its sensor's
 * topic: a device with a stored password that the broker holds with that topic is kept;
 * one the broker lacks, or holds with another topic, is made again with a new password; a
 * stored demo device of a sensor no longer in the map is removed. Answers the passwords to keep.
 */
export async function provisionDemoDevices(
  registry: Pick<DeviceRegistry, 'add' | 'remove' | 'list'>,
  sensors: readonly SensorMapEntry[],
  stored: DemoDevices = {},
): Promise<DemoDevices> {
  const onBroker = new Map((await registry.list()).map((d) => [d.name, d.topics]));
  const kept: DemoDevices = {};
  for (const sensor of sensors) {
    const name = demoDeviceName(sensor.symbol);
    const topics = demoTopic(sensor.topic);
    const password = stored[name];
    if (password !== undefined && onBroker.get(name) === topics) {
      kept[name] = password;
      continue;
    }
    if (onBroker.has(name)) await registry.remove(name);
    kept[name] = (await registry.add(name, topics)).password;
  }
  for (const name of Object.keys(stored)) if (!kept[name] && onBroker.has(name)) await registry.remove(name);
  return kept;
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
