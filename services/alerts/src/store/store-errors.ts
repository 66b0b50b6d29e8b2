/** Stable error codes of the alert engine's Redis stores; never reused. */
export type StoreErrorCode =
  | 'TICKDESK_ALERTS_STORE_BAD_INPUT'
  | 'TICKDESK_ALERTS_STORE_BAD_CURSOR'
  | 'TICKDESK_ALERTS_STORE_APPEND_FAILED';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function badInput(message: string): StoreError {
  return new StoreError('TICKDESK_ALERTS_STORE_BAD_INPUT', message);
}
