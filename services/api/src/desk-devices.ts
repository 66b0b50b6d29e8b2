import type { Logger } from 'pino';
import { createDeviceRegistry, MQTT_ADMIN } from '@tickdesk/infra';
import type { DeskTopology } from '@tickdesk/schemas';
import type { DeskDevices } from './deps.js';

/**
 * The device routes' registry when the desk runs an MQTT broker (the topology's `mqtt`):
 * its dynamic-security API as `mqtt-admin`, with the password of the desk's credentials
 * file, verified against the desk's CA. Without a broker, or without that password or CA,
 * none: the routes answer 503.
 */
export function deskDevices(
  topology: DeskTopology,
  files: { ca(): string | undefined; mqttPassword(user: string): string | undefined },
  max: number,
  log: Logger,
): DeskDevices | undefined {
  const broker = topology.mqtt;
  if (!broker) return undefined;
  const adminPassword = files.mqttPassword(MQTT_ADMIN);
  const ca = files.ca();
  if (adminPassword === undefined || ca === undefined) {
    log.warn(`no ${MQTT_ADMIN} password or CA in the desk folder: device administration is unavailable`);
    return undefined;
  }
  return {
    registry: createDeviceRegistry({ url: `mqtts://${broker.host}:${broker.port}`, ca, adminPassword, max }),
    broker,
  };
}
