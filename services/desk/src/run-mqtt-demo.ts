import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { createDeviceRegistry, MQTT_ADMIN } from '@tickdesk/infra';
import { SAMPLE_MAP_FILE } from '@tickdesk/feed-mqtt';
import { parseSensorMap, type DeskTopology, type SensorMapEntry } from '@tickdesk/schemas';
import { feedSources, type DeskConfig } from './config.js';
import { deskTarget } from './connect.js';
import { demoSensors, provisionDemoDevices, startDemoDevices } from './mqtt-demo.js';

/** The sensors of the sample map (feeds/mqtt/sensors.sample.json) the desk's map lists: the demo's. */
export function deskDemoSensors(topology: Pick<DeskTopology, 'sensors'>): SensorMapEntry[] {
  const sample = parseSensorMap(readFileSync(SAMPLE_MAP_FILE, 'utf8'), { source: SAMPLE_MAP_FILE }).sensors;
  return demoSensors(topology.sensors ?? [], sample);
}

/** Whether `up` runs the demo devices: the desk runs the mqtt feed, TICKDESK_MQTT_DEMO=1 (default), and its map lists sample sensors. */
export const runsMqttDemo = (config: DeskConfig, topology: Pick<DeskTopology, 'sensors'>): boolean =>
  feedSources(config).includes('mqtt') && config.TICKDESK_MQTT_DEMO === 1 && deskDemoSensors(topology).length > 0;

/**
 * The demo device process (`tickdesk run mqtt-demo`, the part `mqtt-demo`): its devices
 * made through the broker's registry as `mqtt-admin`, then a plausible value for each demo
 * sensor every second over MQTT/TLS at QoS 1. A dropped connection ends the process with
 * exit 1; `up` restarts it (and so makes its devices again).
 */
export async function runMqttDemo(
  config: DeskConfig,
  topology: DeskTopology,
  log: Logger,
): Promise<() => Promise<void>> {
  const broker = topology.mqtt;
  if (!broker) throw new Error('the desk runs no MQTT broker: the demo devices need mqtt in TICKDESK_FEED');
  const adminPassword = deskTarget(topology).credentials.mqtt?.users[MQTT_ADMIN];
  if (adminPassword === undefined) throw new Error(`the credentials file has no password for ${MQTT_ADMIN}`);
  const url = `mqtts://${broker.host}:${broker.port}`;
  const ca = readFileSync(topology.paths.ca, 'utf8');
  const sensors = deskDemoSensors(topology);
  const registry = createDeviceRegistry({ url, ca, adminPassword, max: config.TICKDESK_MQTT_DEVICES_MAX });
  const devices = await provisionDemoDevices(registry, sensors);
  const demoLog = log.child({ part: 'mqtt-demo' });
  return startDemoDevices({
    url,
    ca,
    sensors,
    devices,
    log: demoLog,
    onLost: (err) => {
      demoLog.error({ err }, 'a demo device lost its connection: the process exits and up restarts it');
      process.exit(1);
    },
  });
}
