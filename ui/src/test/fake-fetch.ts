import { localpart } from '../lib/jid.js';

export type Handler = (req: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}) => Response | Promise<Response>;
export const json = (status: number, body: unknown) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

/** A fetch answering `METHOD /path` routes; unknown routes are 404 in the API's shape. */
export function fakeFetch(routes: Record<string, Handler> = {}) {
  const calls: Array<{ method: string; path: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch = async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://desk.test');
    const method = init.method ?? 'GET';
    const headers = (init.headers ?? {}) as Record<string, string>;
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    const path = url.pathname.replace(/^\/v1/, '');
    calls.push({ method, path, headers, body });
    const handler = routes[`${method} ${path}`];
    if (!handler) return json(404, { code: 'TICKDESK_API_NOT_FOUND', message: `no route ${method} ${path}` });
    return handler({ method, path, query: url.searchParams, body, headers });
  };
  return { fetch, calls, routes };
}

/** The REST answers a trader's fresh page needs. */
export function deskRoutes(role = 'trader'): Record<string, Handler> {
  return {
    'POST /auth/token': ({ body }) => {
      const b = body as { jid: string; password: string };
      return b.password === 'secret'
        ? json(200, { token: 'tok-1', expiresAt: '2030-01-01T00:00:00.000Z', user: localpart(b.jid), role })
        : json(401, { code: 'TICKDESK_API_BAD_CREDENTIALS', message: 'wrong JID or password' });
    },
    'GET /instruments': () =>
      json(200, {
        instruments: [
          {
            kind: 'market',
            symbol: 'BTCUSDT',
            name: 'Bitcoin',
            unit: 'USDT',
            decimals: 2,
            assetClass: 'crypto',
            base: 'BTC',
            quote: 'USDT',
            tickSize: '0.01',
            lotSize: '0.001',
            referencePrice: '65000',
          },
          {
            kind: 'market',
            symbol: 'EURUSD',
            name: 'Euro',
            unit: 'USD',
            decimals: 5,
            assetClass: 'fx',
            base: 'EUR',
            quote: 'USD',
            tickSize: '0.00001',
            lotSize: '1000',
            referencePrice: '1.08',
          },
        ],
      }),
    'GET /prices': () => json(200, { prices: [] }),
    'GET /instruments/BTCUSDT/candles': () => json(200, { symbol: 'BTCUSDT', interval: '1m', candles: [] }),
    'GET /instruments/EURUSD/candles': () => json(200, { symbol: 'EURUSD', interval: '1m', candles: [] }),
    'GET /alerts': () => json(200, { alerts: [] }),
    'GET /rules': () => json(200, { rules: [] }),
    'GET /silences': () => json(200, { silences: [], max: 100 }),
    'GET /presence': () => json(200, { traders: [] }),
  };
}
