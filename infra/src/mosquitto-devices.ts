import { randomBytes } from 'node:crypto';
import { InfraError } from './errors.js';
import { dynsecRequest, type DynsecCommand, type DynsecResponse } from './mosquitto-control.js';
import { checkDeviceName, checkTopicPrefix, DEFAULT_MQTT_DEVICES_MAX, deviceRole } from './mosquitto-device-names.js';
import { MQTT_ADMIN } from './mosquitto-dynsec.js';

/** A device: a broker client that may publish under `topics` (`<topics>/#`) and do nothing else. */
export interface Device {
  name: string;
  topics: string;
}

export interface DeviceRegistry {
  /** The most devices the broker may hold (TICKDESK_MQTT_DEVICES_MAX). */
  readonly max: number;
  /** Create device `name`; answers its generated password, which nothing keeps in clear. */
  add(name: string, topicPrefix: string): Promise<{ password: string }>;
  /** Delete the device; the broker closes its connection. */
  remove(name: string): Promise<void>;
  /** Every device, by name. */
  list(): Promise<Device[]>;
}

/**
 * The devices of the desk's broker, managed through its dynamic-security plugin as
 * `mqtt-admin` (one TLS connection per call). Each device gets its own role granting
 * publishClientSend on `<prefix>/#` only: with nothing allowed by default (mosquitto-dynsec.ts),
 * a device can neither subscribe nor publish elsewhere.
 */
export function createDeviceRegistry({
  url,
  ca,
  adminUser = MQTT_ADMIN,
  adminPassword,
  max = DEFAULT_MQTT_DEVICES_MAX,
  timeoutMs = 10_000,
}: {
  /** `mqtts://host:port` */
  url: string;
  /** The desk's CA certificate (PEM). */
  ca: string;
  adminUser?: string;
  adminPassword: string;
  max?: number;
  timeoutMs?: number;
}): DeviceRegistry {
  const request = (commands: DynsecCommand[]) =>
    dynsecRequest({ url, ca, username: adminUser, password: adminPassword }, commands, timeoutMs);
  const refused = (r: DynsecResponse | undefined) =>
    new InfraError('TICKDESK_INFRA_MQTT_CONTROL_FAILED', `the MQTT broker refused ${r?.command}: ${r?.error}`);

  async function list(): Promise<Device[]> {
    const [clients, roles] = await request([
      { command: 'listClients', verbose: true },
      { command: 'listRoles', verbose: true },
    ]);
    if (clients?.error || roles?.error) throw refused(clients?.error ? clients : roles);
    const prefixOf = new Map<string, string>();
    for (const role of (roles?.data as { roles?: RoleData[] } | undefined)?.roles ?? []) {
      const acl = role.acls?.find((a) => a.acltype === 'publishClientSend' && a.allow && a.topic.endsWith('/#'));
      if (acl) prefixOf.set(role.rolename, acl.topic.slice(0, -2));
    }
    const devices: Device[] = [];
    for (const c of (clients?.data as { clients?: ClientData[] } | undefined)?.clients ?? []) {
      const topics = prefixOf.get(deviceRole(c.username));
      if (topics !== undefined && c.roles?.some((r) => r.rolename === deviceRole(c.username)))
        devices.push({ name: c.username, topics });
    }
    return devices.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  return {
    max,
    list,
    async add(name, topicPrefix) {
      checkDeviceName(name);
      checkTopicPrefix(topicPrefix);
      const [known] = await request([{ command: 'getClient', username: name }]);
      if (known && !known.error) throw new InfraError('TICKDESK_INFRA_DEVICE_EXISTS', `device ${name} exists already`);
      const count = (await list()).length;
      if (count >= max)
        throw new InfraError(
          'TICKDESK_INFRA_DEVICE_LIMIT',
          `the broker holds ${count} devices, the most it may (TICKDESK_MQTT_DEVICES_MAX=${max}): remove one first`,
        );
      const password = randomBytes(18).toString('base64url');
      const rolename = deviceRole(name);
      // A role left behind by an interrupted removal would keep its old prefix: replaced.
      const [, role, client] = await request([
        { command: 'deleteRole', rolename },
        {
          command: 'createRole',
          rolename,
          textname: `device ${name}: publishes under ${topicPrefix}`,
          acls: [{ acltype: 'publishClientSend', topic: `${topicPrefix}/#`, allow: true }],
        },
        { command: 'createClient', username: name, password, roles: [{ rolename }] },
      ]);
      if (role?.error) throw refused(role);
      if (client?.error) {
        if (/exists/i.test(client.error))
          throw new InfraError('TICKDESK_INFRA_DEVICE_EXISTS', `device ${name} exists already`);
        throw refused(client);
      }
      return { password };
    },
    async remove(name) {
      checkDeviceName(name);
      const [client, role] = await request([
        { command: 'deleteClient', username: name },
        { command: 'deleteRole', rolename: deviceRole(name) },
      ]);
      if (client?.error) {
        if (/not found/i.test(client.error))
          throw new InfraError('TICKDESK_INFRA_DEVICE_UNKNOWN', `no device ${name} on the broker`);
        throw refused(client);
      }
      if (role?.error && !/not found/i.test(role.error)) throw refused(role);
    },
  };
}

interface RoleData {
  rolename: string;
  acls?: Array<{ acltype: string; topic: string; allow: boolean }>;
}
interface ClientData {
  username: string;
  roles?: Array<{ rolename: string }>;
}
