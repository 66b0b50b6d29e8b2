import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** The broker's administrator: it manages devices through the dynamic-security control topic, nothing else. */
export const MQTT_ADMIN = 'mqtt-admin';
/** The feed adapter's account: it subscribes to and receives every sensor topic, never publishes. */
export const MQTT_FEED = 'mqtt-feed';
export const MQTT_ACCOUNTS = [MQTT_ADMIN, MQTT_FEED] as const;
/** The feed adapter's role (the admin's role is named as its client). */
export const MQTT_FEED_ROLE = 'feed';
/** mosquitto 2.0's dynamic-security plugin: commands are published here, answers come on `<topic>/response`. */
export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';

export interface DynsecAcl {
  acltype: string;
  topic: string;
  allow: boolean;
  priority?: number;
}
interface DynsecRole {
  rolename: string;
  textname?: string;
  acls: DynsecAcl[];
}
interface DynsecClient {
  username: string;
  textname?: string;
  password?: string;
  salt?: string;
  iterations?: number;
  roles: Array<{ rolename: string; priority?: number }>;
}
/** The plugin's file (plugin_opt_config_file), the fields this desk writes; others are kept as read. */
interface DynsecFile {
  clients: DynsecClient[];
  groups?: unknown[];
  roles: DynsecRole[];
  defaultACLAccess: Record<string, boolean>;
  [other: string]: unknown;
}

// The plugin's own hash: PBKDF2-HMAC-SHA512, 64 bytes, 12 bytes of salt, 101 iterations, as
// `mosquitto_ctrl dynsec init` and createClient write it. The desk's MQTT passwords are
// 18 random bytes, so more iterations would slow every connect and protect nothing.
function hashed(password: string): Pick<DynsecClient, 'password' | 'salt' | 'iterations'> {
  const salt = randomBytes(12);
  const iterations = 101;
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
}

const control = '$CONTROL/dynamic-security/#';
const ROLES: DynsecRole[] = [
  {
    rolename: MQTT_ADMIN,
    textname: 'manages devices (dynamic-security control topic only)',
    acls: ['publishClientSend', 'publishClientReceive', 'subscribePattern', 'unsubscribePattern'].map((acltype) => ({
      acltype,
      topic: control,
      allow: true,
    })),
  },
  {
    // `#` matches no topic starting with `$` (MQTT 5 §4.7.2): the control topic stays the admin's.
    rolename: MQTT_FEED_ROLE,
    textname: 'the feed adapter: subscribes to and receives every sensor topic, publishes nothing',
    acls: ['subscribePattern', 'publishClientReceive', 'unsubscribePattern'].map((acltype) => ({
      acltype,
      topic: '#',
      allow: true,
    })),
  },
];
const ROLE_OF: Record<(typeof MQTT_ACCOUNTS)[number], string> = {
  [MQTT_ADMIN]: MQTT_ADMIN,
  [MQTT_FEED]: MQTT_FEED_ROLE,
};

/**
 * The dynamic-security file with the desk's two accounts set to the given passwords and
 * their roles as above; every other client, group and role (the devices) kept as the
 * plugin last wrote them. Nothing is allowed by default: a client may do only what a role
 * of its grants.
 */
export function dynsecFileText(previous: string | undefined, passwords: Record<string, string>): string {
  const file: DynsecFile = previous
    ? (JSON.parse(previous) as DynsecFile)
    : { clients: [], roles: [], defaultACLAccess: {} };
  const own = new Set<string>(MQTT_ACCOUNTS);
  const ownRoles = new Set(ROLES.map((r) => r.rolename));
  const clients = MQTT_ACCOUNTS.map((username): DynsecClient => {
    const password = passwords[username];
    if (!password) throw new Error(`no MQTT password for ${username}`);
    return { username, ...hashed(password), roles: [{ rolename: ROLE_OF[username] }] };
  });
  const out: DynsecFile = {
    ...file,
    clients: [...clients, ...(file.clients ?? []).filter((c) => !own.has(c.username))],
    roles: [...ROLES, ...(file.roles ?? []).filter((r) => !ownRoles.has(r.rolename))],
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
  };
  return JSON.stringify(out, null, 2) + '\n';
}

/** The part of the desk's credentials file that holds the MQTT passwords, by account. */
export interface MqttCredentials {
  users: Record<string, string>;
}

/** The MQTT passwords with any missing one generated; `added` says whether the file must be saved. */
export function completeMqttCredentials(existing: MqttCredentials | undefined): {
  mqtt: MqttCredentials;
  added: boolean;
} {
  const users = { ...(existing?.users ?? {}) };
  let added = existing === undefined;
  for (const name of MQTT_ACCOUNTS) {
    if (users[name]) continue;
    users[name] = randomBytes(18).toString('base64url');
    added = true;
  }
  return { mqtt: { users }, added };
}
