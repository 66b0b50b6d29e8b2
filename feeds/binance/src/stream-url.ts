import { BinanceFeedError } from './errors.js';

export type BinanceStream = 'trade' | 'aggTrade';

export const BINANCE_SPOT_URL = 'wss://stream.binance.com:9443';
export const BINANCE_USDM_FUTURES_URL = 'wss://fstream.binance.com';

/**
 * A combined-stream URL, `<base>/stream?streams=btcusdt@trade/ethusdt@trade`
 * (Binance docs, "WebSocket Streams": stream names are lower-case). The base may
 * already end in `/stream`.
 */
export function combinedStreamUrl(
  baseUrl: string,
  symbols: readonly string[],
  stream: BinanceStream = 'trade',
): string {
  if (symbols.length === 0) throw new BinanceFeedError('TICKDESK_BINANCE_CONFIG', 'at least one symbol is required');
  const bad = symbols.find((s) => !/^[A-Za-z0-9]{1,32}$/.test(s));
  if (bad !== undefined)
    throw new BinanceFeedError('TICKDESK_BINANCE_CONFIG', `not a Binance symbol: ${JSON.stringify(bad)}`);
  if (!/^wss?:\/\//.test(baseUrl))
    throw new BinanceFeedError('TICKDESK_BINANCE_CONFIG', `not a ws:// or wss:// URL: ${baseUrl}`);
  const streams = symbols.map((s) => `${s.toLowerCase()}@${stream}`).join('/');
  const base = baseUrl.replace(/\/+$/, '');
  return `${base.endsWith('/stream') ? base : `${base}/stream`}?streams=${streams}`;
}
