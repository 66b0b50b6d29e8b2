/** Stable error codes of the replay feed; never reused. */
export type ReplayFeedErrorCode =
  'TICKDESK_REPLAY_CONFIG' | 'TICKDESK_REPLAY_UNREADABLE' | 'TICKDESK_REPLAY_BAD_HEADER' | 'TICKDESK_REPLAY_BUSY';

export class ReplayFeedError extends Error {
  override readonly name = 'ReplayFeedError';
  constructor(
    readonly code: ReplayFeedErrorCode,
    message: string,
  ) {
    super(message);
  }
}
