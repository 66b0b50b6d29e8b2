import { readFileSync } from 'node:fs';
import { createDeviceRegistry, MQTT_ADMIN, type DeviceRegistry } from '@tickdesk/infra';
import type { CliIo } from './cli-commands.js';
import type { DeskConfig } from './config.js';
import type { Credentials } from './credentials.js';
import { deskTopology } from './topology.js';

export type DevicesCommand =
  | { cmd: 'devices add'; name: string; topics: string }
  | { cmd: 'devices remove'; name: string }
  | { cmd: 'devices list' };

export interface DevicesDeps {
  registry: DeviceRegistry;
  /** The broker's TLS listener and the desk's CA file, which a device must trust. */
  broker: { host: string; port: number };
  caPath: string;
  io: CliIo;
}

/** A refusal of the registry (a bad name or prefix, a taken name, the limit, an unknown device): one line, exit 1. */
const refusal = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('TICKDESK_INFRA_DEVICE') ? (err as Error).message : undefined;
};

/** A shell word for the example command line: the generated passwords are base64url, quoted anyway. */
const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `tickdesk devices add|remove|list` against the registry. */
export async function runDevicesCommand(
  c: DevicesCommand,
  { registry, broker, caPath, io }: DevicesDeps,
): Promise<number> {
  try {
    switch (c.cmd) {
      case 'devices add': {
        const { password } = await registry.add(c.name, c.topics);
        io.out(`added device ${c.name}: it may publish on ${c.topics}/# (and subscribe to nothing)`);
        io.out(`  password  ${password}   (shown once: the broker keeps only a hash)`);
        io.out(`  broker    mqtts://${broker.host}:${broker.port} (TLS only, MQTT 3.1.1 or 5)`);
        io.out(`  CA        ${caPath}`);
        // The npm mqtt package's command line comes with the desk (any MQTT 3.1.1 or 5 client will do).
        io.out(
          `e.g. npx mqtt pub -C mqtts -h ${broker.host} -p ${broker.port} --ca ${quoted(caPath)} -u ${quoted(c.name)}` +
            ` -P ${quoted(password)} -q 1 -t ${quoted(`${c.topics}/temp`)} -m 8.4`,
        );
        return 0;
      }
      case 'devices remove':
        await registry.remove(c.name);
        io.out(`removed device ${c.name}`);
        return 0;
      case 'devices list': {
        const devices = await registry.list();
        const width = Math.max(0, ...devices.map((d) => d.name.length));
        for (const d of devices) io.out(`${d.name.padEnd(width)}  ${d.topics}/#`);
        io.out(`${devices.length} of at most ${registry.max} devices`);
        return 0;
      }
    }
  } catch (err) {
    const message = refusal(err);
    if (message === undefined) throw err;
    io.err(`tickdesk: ${message}`);
    return 1;
  }
}

/**
 * `tickdesk devices …` on the running desk: its broker from the topology, the registry as
 * `mqtt-admin` with the credentials file's password, at most TICKDESK_MQTT_DEVICES_MAX devices.
 */
export async function devices(config: DeskConfig, c: DevicesCommand, io: CliIo): Promise<number> {
  const topology = deskTopology(config);
  if (!topology.mqtt) {
    io.err(
      'tickdesk: the desk runs no MQTT broker: start it with mqtt in TICKDESK_FEED (e.g. TICKDESK_FEED=synthetic,mqtt)',
    );
    return 1;
  }
  const credentials = JSON.parse(readFileSync(topology.paths.credentials, 'utf8')) as Credentials;
  const adminPassword = credentials.mqtt?.users[MQTT_ADMIN];
  if (adminPassword === undefined) {
    io.err(
      `tickdesk: ${topology.paths.credentials} has no password for ${MQTT_ADMIN}: start the desk once with mqtt in TICKDESK_FEED`,
    );
    return 1;
  }
  const broker = topology.mqtt;
  const registry = createDeviceRegistry({
    url: `mqtts://${broker.host}:${broker.port}`,
    ca: readFileSync(topology.paths.ca, 'utf8'),
    adminPassword,
    max: config.TICKDESK_MQTT_DEVICES_MAX,
  });
  return runDevicesCommand(c, { registry, broker, caPath: topology.paths.ca, io });
}
