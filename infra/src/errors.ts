/** Stable error codes of the infrastructure layer; never reused. */
export type InfraErrorCode =
  | 'TICKDESK_INFRA_BINARY_MISSING'
  | 'TICKDESK_INFRA_PORT_IN_USE'
  | 'TICKDESK_INFRA_START_FAILED'
  | 'TICKDESK_INFRA_CERT_FAILED'
  | 'TICKDESK_INFRA_COMMAND_FAILED'
  | 'TICKDESK_INFRA_CLUSTER_JOIN_FAILED'
  | 'TICKDESK_INFRA_COOKIE_MISMATCH'
  | 'TICKDESK_INFRA_PEER_CA_UNREADABLE';

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
