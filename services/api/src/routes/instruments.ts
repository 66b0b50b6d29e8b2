import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Instrument, LastPrice } from '@tickdesk/schemas';
import { errorResponses } from '../errors.js';
import { createMarketData, parseRange } from '../market-data.js';
import {
  CandlePage,
  DEFAULT_LIMIT,
  CandlesQuery,
  InstrumentList,
  LastPriceList,
  SymbolParams,
  TickPage,
  TicksQuery,
} from '../market-schemas.js';
import { BEARER } from '../plugins/openapi.js';

/**
 * Instruments and market data. Desk roles read every instrument; an analyst only those
 * they are entitled to, as on XMPP: lists leave the others out, and asking for one of
 * them is a 403 (an unknown symbol stays a 404).
 */
const instrumentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const market = createMarketData({
    redis: app.deps.redis,
    instruments: app.deps.instruments,
    candleCacheBytes: app.config.candleCacheMb * 2 ** 20,
  });
  const common = { tags: ['market data'], security: BEARER };
  const onRequest = app.authenticate;
  const { entitlements } = app;
  /** 404 for an unknown symbol first, then 403 when the caller may not read it. */
  const readable = async (caller: Parameters<typeof entitlements.check>[0], symbol: string) => {
    market.instrument(symbol);
    await entitlements.check(caller, symbol);
  };

  app.get(
    '/instruments',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'List the instruments the caller may read',
        response: { 200: InstrumentList, ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const mine = await entitlements.allowed(request.caller);
      return { instruments: market.instruments().filter((i) => !mine || mine.has(i.symbol)) };
    },
  );

  app.get(
    '/instruments/:symbol',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'One instrument',
        params: SymbolParams,
        response: { 200: Instrument, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      await readable(request.caller, request.params.symbol);
      return market.instrument(request.params.symbol);
    },
  );

  app.get(
    '/prices',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Last price of every instrument the caller may read that has traded',
        response: { 200: LastPriceList, ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const [mine, prices] = await Promise.all([entitlements.allowed(request.caller), market.lastAll()]);
      return { prices: prices.filter((p) => !mine || mine.has(p.symbol)) };
    },
  );

  app.get(
    '/instruments/:symbol/last',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Last price',
        params: SymbolParams,
        response: { 200: LastPrice, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      await readable(request.caller, request.params.symbol);
      return market.last(request.params.symbol);
    },
  );

  app.get(
    '/instruments/:symbol/ticks',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'Ticks in a time range, oldest first, paged',
        params: SymbolParams,
        querystring: TicksQuery,
        response: { 200: TickPage, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { symbol } = request.params;
      const { from, to, limit, cursor } = request.query;
      await readable(request.caller, symbol);
      const page = await market.ticks(symbol, parseRange(from, to), limit ?? DEFAULT_LIMIT, cursor);
      return { symbol, ...page };
    },
  );

  app.get(
    '/instruments/:symbol/candles',
    {
      onRequest,
      schema: {
        ...common,
        summary: 'OHLCV candles (1s, 1m, 1h) in a time range, oldest first, paged',
        params: SymbolParams,
        querystring: CandlesQuery,
        response: { 200: CandlePage, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const { symbol } = request.params;
      const { interval, from, to, limit, cursor } = request.query;
      await readable(request.caller, symbol);
      // Assembled from schema-checked Bar JSON (candle-json.ts), so sent as it is.
      const json = await market.candles(symbol, interval ?? '1m', parseRange(from, to), limit ?? DEFAULT_LIMIT, cursor);
      return reply.type('application/json; charset=utf-8').send(json);
    },
  );
};

export default instrumentRoutes;
