/** Stable error codes of the infrastructure layer; never reused. */
export type InfraErrorCode =
  | 'TICKDESK_INFRA_BINARY_MISSING'
  | 'TICKDESK_INFRA_PORT_IN_USE'
  | 'TICKDESK_INFRA_START_FAILED'
  | 'TICKDESK_INFRA_CERT_FAILED'
  | 'TICKDESK_INFRA_COMMAND_FAILED'
  | 'TICKDESK_INFRA_CLUSTER_JOIN_FAILED'
  | 'TICKDESK_INFRA_COOKIE_MISMATCH'
  | 'TICKDESK_INFRA_PEER_CA_UNREADABLE'
  /** A device name that is not one (mosquitto-device-names.ts). */
  | 'TICKDESK_INFRA_DEVICE_NAME'
  /** A device's topic prefix that is not one. */
  | 'TICKDESK_INFRA_DEVICE_TOPICS'
  | 'TICKDESK_INFRA_DEVICE_EXISTS'
  | 'TICKDESK_INFRA_DEVICE_UNKNOWN'
  /** The broker holds TICKDESK_MQTT_DEVICES_MAX devices already. */
  | 'TICKDESK_INFRA_DEVICE_LIMIT'
  /** The broker's dynamic-security control topic did not answer, or refused a command. */
  | 'TICKDESK_INFRA_MQTT_CONTROL_FAILED';

/** A start-up failure with one message that names the cause and the fix. */
export class InfraError extends Error {
  override readonly name = 'InfraError';
  constructor(
    readonly code: InfraErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
