import type { Logger } from 'pino';
import { connectMqtt, type DeviceRegistry } from '@tickdesk/infra';
import type { SensorMapEntry } from '@tickdesk/schemas';
import { createSensorWalk, demoTopic } from './demo-sensor-walk.js';

const RECONNECT_MS = 2_000;

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
 * login), a value every `intervalMs` as `{"value","time"}` at QoS 1, none while a
 * connection is down. A dropped connection is opened again every 2 s (a broker restart);
 * a login refused (the device removed) calls `onLost`: the process then exits and `tickdesk
 * up` restarts it, which makes its devices again.
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
      if (password === undefined) throw new Error(`no password for demo device ${name}`);
      const client = await connectMqtt(
        { url, ca, username: name, password, clientId: name },
        { reconnectPeriod: RECONNECT_MS },
      );
      client.on('error', (err) => {
        // CONNACK 135 (not authorized, MQTT 5 §3.2.2.2): the broker no longer knows this login.
        if ((err as { code?: unknown }).code === 135 && !stopping) onLost(err);
        else log.warn({ err, device: name }, 'demo device connection error');
      });
      return { client, name, topic: demoTopic(sensor.topic), next: createSensorWalk(sensor) };
    }),
  );
  const timer = setInterval(() => {
    const time = new Date().toISOString();
    for (const d of running) {
      if (!d.client.connected) continue;
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
