import type { RawTick } from '@tickdesk/feed-core';

export type TradeMessage = { ok: true; tick: RawTick & { seq: number } } | { ok: false; reason: string };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * One message of a Binance trade stream (Binance spot API docs, "WebSocket Streams":
 * Trade Streams `<symbol>@trade`, Aggregate Trade Streams `<symbol>@aggTrade`), either
 * raw or wrapped by a combined stream as {"stream": …, "data": …}. Price and quantity
 * arrive as strings and are passed on untouched; `m` (buyer is the maker) means the
 * taker sold.
 */
export function parseTradeMessage(text: string): TradeMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad JSON' };
  }
  const data = isObj(parsed) && typeof parsed.stream === 'string' ? parsed.data : parsed;
  if (!isObj(data)) return { ok: false, reason: 'not a stream event' };
  const e = data.e;
  if (e !== 'trade' && e !== 'aggTrade') return { ok: false, reason: 'unexpected event type' };
  const id = e === 'trade' ? data.t : data.a;
  const { s, p, q, T, m } = data;
  if (typeof s !== 'string' || s === '') return { ok: false, reason: 'trade without symbol' };
  if (!isId(id)) return { ok: false, reason: 'trade without id' };
  if (typeof p !== 'string' || typeof q !== 'string')
    return { ok: false, reason: 'trade price or quantity not a string' };
  if (!isId(T)) return { ok: false, reason: 'trade without time' };
  if (typeof m !== 'boolean') return { ok: false, reason: 'trade without maker flag' };
  return {
    ok: true,
    tick: { symbol: s, seq: id, price: p, size: q, side: m ? 'sell' : 'buy', eventTimeMicros: T * 1000 },
  };
}
