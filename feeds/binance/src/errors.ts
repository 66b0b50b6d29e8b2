/** Stable error codes of the Binance adapter; never reused. */
export type BinanceFeedErrorCode = 'TICKDESK_BINANCE_CONFIG' | 'TICKDESK_BINANCE_BUSY';

export class BinanceFeedError extends Error {
  override readonly name = 'BinanceFeedError';
  constructor(
    readonly code: BinanceFeedErrorCode,
    message: string,
  ) {
    super(message);
  }
}
