import { InfraError } from './errors.js';
import { MQTT_ACCOUNTS } from './mosquitto-dynsec.js';

/** Devices a broker holds by default (TICKDESK_MQTT_DEVICES_MAX). */
export const DEFAULT_MQTT_DEVICES_MAX = 1000;
export const DEVICE_NAME_MAX = 64;
export const DEVICE_TOPICS_MAX = 200;
/** The role that lets device `name` publish under its prefix. */
export const deviceRole = (name: string): string => `device-${name}`;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A lone surrogate has no UTF-8 form, which a topic must have (MQTT 5 §1.5.4).
const LONE_SURROGATE = /(?:^|[^\ud800-\udbff])[\udc00-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])/;

/** A device's name: its MQTT user name (and role name), letters, digits, `.`, `_`, `-`; `mqtt-…` is the desk's. */
export function checkDeviceName(name: string): string {
  const bad = (why: string) =>
    new InfraError('TICKDESK_INFRA_DEVICE_NAME', `device name ${JSON.stringify(name)} ${why}`);
  if (name.length === 0 || name.length > DEVICE_NAME_MAX) throw bad(`must have 1 to ${DEVICE_NAME_MAX} characters`);
  if (!NAME.test(name)) throw bad('may hold only letters, digits, ".", "_" and "-", and starts with a letter or digit');
  if (name.startsWith('mqtt-') || (MQTT_ACCOUNTS as readonly string[]).includes(name))
    throw bad('is reserved: names starting with "mqtt-" are the desk\'s own accounts');
  return name;
}

/**
 * A device's topic prefix: it may publish on `<prefix>` and below (`<prefix>/#`). No
 * wildcard (`+`, `#`: MQTT 5 §4.7.1 forbids them in a topic name), no `$` (the broker's
 * own topics, §4.7.2), no empty level (no leading, trailing or double `/`), no control
 * character (§1.5.4).
 */
export function checkTopicPrefix(prefix: string): string {
  const bad = (why: string) =>
    new InfraError('TICKDESK_INFRA_DEVICE_TOPICS', `topic prefix ${JSON.stringify(prefix)} ${why}`);
  if (prefix.length === 0 || Buffer.byteLength(prefix) > DEVICE_TOPICS_MAX)
    throw bad(`must have 1 to ${DEVICE_TOPICS_MAX} bytes`);
  if (/[+#]/.test(prefix)) throw bad('may not hold a wildcard (+ or #)');
  if (prefix.includes('$')) throw bad('may not hold "$" (the broker\'s own topics)');
  if (prefix.split('/').some((level) => level === ''))
    throw bad('may not start or end with "/" nor hold an empty level');
  if (CONTROL.test(prefix) || LONE_SURROGATE.test(prefix))
    throw bad('may not hold a control character or a lone surrogate');
  return prefix;
}
