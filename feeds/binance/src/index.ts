export {
  createBinanceFeed,
  type BinanceFeed,
  type BinanceFeedOptions,
  type BinanceStats,
  type FeedLog,
} from './binance-feed.js';
export { BINANCE_SPOT_URL, BINANCE_USDM_FUTURES_URL, combinedStreamUrl, type BinanceStream } from './stream-url.js';
export { parseTradeMessage, type TradeMessage } from './trade-message.js';
export { createSequenceTracker, type SequenceTracker, type SequenceVerdict } from './sequence-tracker.js';
export { createBackoff, type Backoff, type BackoffOptions } from './backoff.js';
export { BinanceFeedError, type BinanceFeedErrorCode } from './errors.js';
