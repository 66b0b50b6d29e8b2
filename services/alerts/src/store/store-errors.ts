/** Stable error codes of the alert engine's Redis stores; never reused. */
export type StoreErrorCode =
  | 'TICKDESK_ALERTS_STORE_BAD_INPUT'
  | 'TICKDESK_ALERTS_STORE_BAD_CURSOR'
  | 'TICKDESK_ALERTS_STORE_APPEND_FAILED'
  | 'TICKDESK_ALERTS_STORE_RULE_LIMIT'
  | 'TICKDESK_ALERTS_STORE_NOT_ACKNOWLEDGED';

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

/** A trader already has `limit` rules stored (the per-owner cap): nothing was written. */
export function ruleLimit(owner: string, limit: number): StoreError & { limit: number } {
  return Object.assign(
    new StoreError(
      'TICKDESK_ALERTS_STORE_RULE_LIMIT',
      `${owner} has ${limit} rules, the most allowed: delete one first`,
    ),
    { limit },
  );
}
