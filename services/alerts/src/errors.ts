/** Stable error codes of the alert engine; never reused. */
export type AlertsErrorCode =
  | 'TICKDESK_ALERTS_BAD_CONFIG'
  | 'TICKDESK_ALERTS_BAD_RULE'
  | 'TICKDESK_ALERTS_NOT_FOUND'
  | 'TICKDESK_ALERTS_FORBIDDEN'
  | 'TICKDESK_ALERTS_FENCED';

export class AlertsError extends Error {
  override readonly name = 'AlertsError';
  constructor(
    readonly code: AlertsErrorCode,
    message: string,
  ) {
    super(message);
  }
}
