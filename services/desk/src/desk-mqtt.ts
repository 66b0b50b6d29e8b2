import { join } from 'node:path';
import { certPaths, startMosquitto, type ManagedProcess, type MosquittoServer } from '@tickdesk/infra';
import type { HostPort } from '@tickdesk/schemas';
import type { Credentials } from './credentials.js';

/** The part's name in desk.json, `status` and /health. */
export const MQTT_PART = 'mqtt';

/**
 * The desk's MQTT broker (mosquitto) as `up` supervises it, like Redis: its log, the
 * process running now, and a start with the same rendered config, dynamic-security file
 * (its devices), persistence and port.
 */
export interface DeskMqttPart {
  readonly name: string;
  readonly logPath: string;
  readonly server: MosquittoServer | undefined;
  start(): Promise<ManagedProcess>;
  stop(): Promise<void>;
}

/**
 * The broker of the desk in `<home>/mqtt`, listening on `listen` (TICKDESK_MQTT_INTERFACE)
 * at the topology's `mqtt` port, with the desk's certificates and the credentials file's
 * accounts.
 */
export function deskMqtt({
  home,
  address,
  listen,
  credentials,
  devicesMax,
}: {
  home: string;
  address: HostPort;
  listen: string;
  credentials: Credentials;
  /** TICKDESK_MQTT_DEVICES_MAX: the broker takes twice as many connections (a device reconnecting while its old connection lingers counts twice). */
  devicesMax: number;
}): DeskMqttPart {
  const dir = join(home, 'mqtt');
  if (!credentials.mqtt) throw new Error('the credentials file has no MQTT passwords');
  const certs = certPaths(join(home, 'certs'));
  const opts = {
    dir,
    port: address.port,
    host: listen,
    certs,
    credentials: credentials.mqtt,
    maxConnections: 2 * devicesMax,
  };
  let server: MosquittoServer | undefined;
  return {
    name: MQTT_PART,
    logPath: join(dir, 'mosquitto.log'),
    get server() {
      return server;
    },
    async start() {
      server = await startMosquitto(opts);
      return server.process;
    },
    stop: async () => server?.stop(),
  };
}
