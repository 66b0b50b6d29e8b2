import type { BarInterval, Side, Tick } from '@tickdesk/schemas';
import { marketKeys } from '@tickdesk/store';
import type { Candle } from './candle-aggregator.js';

/*
 * Redis layout of the recorder (the only writer of these keys; see README.md). The keys
 * are built by @tickdesk/store (keys.ts), the last price's record too (last-price-store.ts).
 * Every key of one instrument carries the hash tag {<SYMBOL>}, so the one script that
 * writes an instrument (write-script.ts) touches one Redis Cluster slot:
 *
 *   td:last                           hash  SYMBOL → {"price","size","seq","eventTime","ingestTime"}
 *   td:ticks:{<SYMBOL>}               zset  score = event time (µs), member = "<seq, 16 digits>|price|size|side|eventTime|ingestTime"
 *   td:candles:<interval>:{<SYMBOL>}  zset  score = bucket start (µs), member = [start,open,high,low,close,volume,trades]
 *   td:candles:final:{<SYMBOL>}       hash  interval → µs: candles of the series starting at or before it are final
 *   td:recorded:{<SYMBOL>}            hash  seq → the newest seq written; fence → the largest recorder lease token a write came with
 *
 * Ticks live in a sorted set rather than a stream: stream ids must grow, but venue
 * event times arrive slightly out of order, and ids carry only milliseconds. A zset
 * keeps event-time order whatever the arrival order, pages a time range in
 * O(log n + page), trims the oldest by rank, and a retried write of the same tick
 * is the same member, so retries never duplicate. The zero-padded seq orders ticks
 * that share an event time. Scores are integers below 2^53, exact in a double.
 */
const keys = marketKeys();
export const LAST_KEY = keys.last;
export const ticksKey = keys.ticks;
export const candlesKey = keys.candles;
/**
 * The recorder never writes a candle again once its bucket is closed (late ticks for it
 * are dropped), so readers may cache candles up to this mark (field = interval); it only ever rises.
 */
export const finalKey = keys.final;
export const recordedKey = keys.recorded;
/** A series' name in memory (the final marks a write carries): `<interval>:<SYMBOL>`. */
export const finalField = (interval: BarInterval, symbol: string): string => `${interval}:${symbol}`;
export function parseFinalField(field: string): { interval: BarInterval; symbol: string } {
  const colon = field.indexOf(':');
  return { interval: field.slice(0, colon) as BarInterval, symbol: field.slice(colon + 1) };
}

export { decodeLast, encodeLast } from '@tickdesk/store';

export function encodeTickMember(t: Tick): string {
  return `${String(t.seq).padStart(16, '0')}|${t.price}|${t.size}|${t.side}|${t.eventTime}|${t.ingestTime}`;
}

export function decodeTickMember(symbol: string, member: string): Tick {
  const [seq = '', price = '', size = '', side = 'unknown', eventTime = '', ingestTime = ''] = member.split('|');
  return { symbol, seq: Number(seq), price, size, side: side as Side, eventTime, ingestTime };
}

export function encodeCandle(c: Candle): string {
  return JSON.stringify([c.start, c.open, c.high, c.low, c.close, c.volume, c.trades]);
}

/** The bucket start a stored candle member begins with, without parsing the rest. */
export function candleMemberStart(member: string): number {
  return Number(member.slice(1, member.indexOf(',')));
}

export function decodeCandle(symbol: string, interval: BarInterval, member: string): Candle {
  const [start, open, high, low, close, volume, trades] = JSON.parse(member) as [
    number,
    string,
    string,
    string,
    string,
    string,
    number,
  ];
  return { symbol, interval, start, open, high, low, close, volume, trades };
}
