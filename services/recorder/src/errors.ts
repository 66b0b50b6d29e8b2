/** Stable error codes of the recorder; never reused. */
export type RecorderErrorCode =
  'TICKDESK_RECORDER_BAD_CONFIG' | 'TICKDESK_RECORDER_BAD_CURSOR' | 'TICKDESK_RECORDER_BAD_RANGE';

export class RecorderError extends Error {
  override readonly name = 'RecorderError';
  constructor(
    readonly code: RecorderErrorCode,
    message: string,
  ) {
    super(message);
  }
}
