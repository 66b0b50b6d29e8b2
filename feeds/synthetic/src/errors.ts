/** Stable error codes of the synthetic feed; never reused. */
export type SyntheticFeedErrorCode = 'TICKDESK_SYNTHETIC_CONFIG' | 'TICKDESK_SYNTHETIC_BUSY';

export class SyntheticFeedError extends Error {
  override readonly name = 'SyntheticFeedError';
  constructor(
    readonly code: SyntheticFeedErrorCode,
    message: string,
  ) {
    super(message);
  }
}
