import type { BarInterval } from '@tickdesk/schemas';
import type { Http } from './http.js';
import type { CandlePage, InstrumentList, IssuedToken, LastPriceList } from './rest-types.js';

/** Login, instruments, last prices and candles (services/api/src/routes/auth.ts, instruments.ts). */
export function createMarketApi(http: Http) {
  return {
    /** POST /auth/token: the password goes to the API once, over the page's origin, and is not kept. */
    token: (jid: string, password: string) =>
      http.request<IssuedToken>('POST', '/auth/token', { body: { jid, password }, anonymous: true }),

    instruments: async () => (await http.get<InstrumentList>('/instruments')).instruments,

    prices: async () => (await http.get<LastPriceList>('/prices')).prices,

    /** One page of candles, oldest first: buckets starting in [from, to). */
    candles: (
      symbol: string,
      q: { interval: BarInterval; from: string; to?: string; limit?: number; cursor?: string },
    ) => http.get<CandlePage>(`/instruments/${encodeURIComponent(symbol)}/candles`, q),
  };
}

export type MarketApi = ReturnType<typeof createMarketApi>;
