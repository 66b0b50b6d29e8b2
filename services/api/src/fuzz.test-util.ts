import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { expectNoInternals } from './app.test-util.js';

/** mulberry32: a seeded generator, so a failing case can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const NASTY = [
  '',
  ' ',
  '\u0000',
  '%00',
  '%',
  '%E0%A4%A',
  '../../etc/passwd',
  '<script>x</script>',
  "' OR 1=1 --",
  '${jndi:x}',
  '\ud800',
  '🙂',
  'null',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  '2025-02-30T00:00:00Z',
  '2025-03-01T12:00:00Z',
  '9999-12-31T23:59:59.999999999Z',
  '1970-01-01T00:00:00Z',
  'BTCUSDT',
  '1s',
  '1m',
  '1h',
  '1740830400000000:1',
  '99999999999999999:1',
  'a'.repeat(5000),
  'alice@desk.localhost',
  'alice-pw',
];
/** encodeURIComponent, with a lone surrogate sent as its raw (invalid) UTF-8 bytes. */
export const enc = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};
const KEYS = [
  'jid',
  'password',
  'from',
  'to',
  'limit',
  'cursor',
  'interval',
  '__proto__',
  'constructor',
  'prototype',
  'role',
  'x',
  '',
];

export function makeGen(seed: number) {
  const r = rng(seed);
  const str = (): string =>
    r.next() < 0.5
      ? r.pick(NASTY)
      : Array.from({ length: r.int(40) }, () => String.fromCharCode(r.int(r.next() < 0.8 ? 128 : 0xffff))).join('');
  const value = (depth: number): unknown => {
    switch (r.int(depth > 2 ? 4 : 7)) {
      case 0:
        return null;
      case 1:
        return r.next() < 0.5;
      case 2:
        return r.pick([0, -0, 1, -1, 1.5, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, r.int(1e9)]);
      case 3:
        return str();
      case 4:
        return Array.from({ length: r.int(4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: r.int(5) }, () => [r.next() < 0.7 ? r.pick(KEYS) : str(), value(depth + 1)]),
        );
    }
  };
  const loginBody = (): string => {
    const k = r.int(10);
    if (k < 3) return JSON.stringify(value(0));
    if (k < 5)
      return (
        r.pick([
          '{',
          '{"jid":',
          '[',
          '"',
          '{"jid": "a@desk.localhost", "password": "x",}',
          '{"__proto__": {"admin": true}}',
          '{"constructor": {"prototype": {}}}',
          '\u0000',
          '',
        ]) + str()
      );
    const body: Record<string, unknown> = {
      jid:
        r.next() < 0.6
          ? `${r.pick(['alice', 'ana', 'ghost', 'Alice', 'a b', ''])}@${r.pick(['desk.localhost', 'example.org', ''])}`
          : value(1),
      password: r.next() < 0.6 ? str() : value(1),
    };
    if (r.next() < 0.3) body[r.pick(KEYS)] = value(1);
    if (r.next() < 0.2) delete body[r.pick(['jid', 'password'])];
    return JSON.stringify(body);
  };
  const query = (): string =>
    Array.from({ length: r.int(6) }, () => {
      const key = r.next() < 0.8 ? r.pick(KEYS) : str();
      const val = r.next() < 0.8 ? r.pick(NASTY) : str();
      return r.next() < 0.1 ? key : `${r.next() < 0.7 ? enc(key) : key}=${r.next() < 0.7 ? enc(val) : val}`;
    }).join('&');
  const symbol = (): string =>
    r.next() < 0.5 ? r.pick(['BTCUSDT', 'EURUSD', 'NOPE', 'btcusdt', 'A'.repeat(40)]) : enc(str()).slice(0, 120) || 'X';
  return { r, str, value, loginBody, query, symbol };
}

/** Counts the status and checks the answer: 4xx (or below 500 when `allowOk`), `{ code, message }`, nothing internal. */
export function checkAnswer(
  statuses: Map<number, number>,
  res: LightMyRequestResponse,
  what: string,
  allowOk: boolean,
): void {
  statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
  const ok = allowOk ? res.statusCode < 500 : res.statusCode >= 400 && res.statusCode < 500;
  expect(ok, `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`).toBe(true);
  expectNoInternals(res.body);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort(), what).toEqual(['code', 'message']);
  }
}
