import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUMENTS, type SensorInstrument } from '@tickdesk/schemas';
import { createValidator } from './validator.js';
import type { RawTick } from './source.js';

const now = Date.UTC(2026, 10, 21) * 1000;
const raw = (over: Partial<RawTick> = {}): RawTick => ({
  symbol: 'BTCUSDT',
  seq: 1,
  price: '65000.10',
  size: '0.001',
  side: 'buy',
  eventTimeMicros: now - 1000,
  ...over,
});

describe('feed validator', () => {
  it('normalises a good tick: canonical decimals, event and ingest times', () => {
    const v = createValidator({ instruments: DEFAULT_INSTRUMENTS, now: () => now })(raw());
    expect(v).toMatchObject({
      ok: true,
      gap: 0,
      tick: { price: '65000.1', size: '0.001', eventMicros: now - 1000, ingestMicros: now },
    });
  });

  it.each([
    [{ price: 'NaN' }, 'price-not-decimal'],
    [{ price: 'Infinity' }, 'price-not-decimal'],
    [{ price: '1e5' }, 'price-not-decimal'],
    [{ price: '' }, 'price-not-decimal'],
    [{ price: '-1' }, 'price-not-positive'],
    [{ price: '0.00' }, 'price-not-positive'],
    [{ size: '-0.1' }, 'size-not-decimal'],
    [{ size: 'abc' }, 'size-not-decimal'],
    [{ symbol: 'XXX' }, 'unknown-symbol'],
    [{ eventTimeMicros: Number.NaN }, 'timestamp-invalid'],
    [{ eventTimeMicros: 0 }, 'timestamp-out-of-range'],
    [{ eventTimeMicros: now + 60_000_000 }, 'timestamp-out-of-range'],
    [{ seq: -5 }, 'seq-invalid'],
  ] as Array<[Partial<RawTick>, string]>)('refuses %j as %s', (over, reason) => {
    expect(createValidator({ instruments: DEFAULT_INSTRUMENTS, now: () => now })(raw(over))).toMatchObject({
      ok: false,
      reason,
    });
  });

  it('counts gaps and refuses duplicates per instrument', () => {
    const validate = createValidator({ instruments: DEFAULT_INSTRUMENTS, now: () => now });
    expect(validate(raw({ seq: 10 }))).toMatchObject({ ok: true, gap: 0 });
    expect(validate(raw({ seq: 14 }))).toMatchObject({ ok: true, gap: 3 });
    expect(validate(raw({ seq: 14 }))).toMatchObject({ ok: false, reason: 'duplicate' });
    expect(validate(raw({ seq: 2, symbol: 'ETHUSDT' }))).toMatchObject({ ok: true, gap: 0 });
  });

  it('numbers ticks itself when the venue gives no id', () => {
    const validate = createValidator({ instruments: DEFAULT_INSTRUMENTS, now: () => now });
    const { seq: _s, ...noSeq } = raw();
    expect([validate(noSeq), validate(noSeq)].map((v) => v.ok && v.tick.seq)).toEqual([1, 2]);
  });

  describe('sensor instruments (values may be zero or negative)', () => {
    const freezer: SensorInstrument = {
      kind: 'sensor',
      symbol: 'IOT.X',
      name: 'Freezer',
      unit: '°C',
      decimals: 2,
      min: '-40',
      max: '85',
    };
    const validate = () => createValidator({ instruments: [...DEFAULT_INSTRUMENTS, freezer], now: () => now });
    const sensor = (price: string) => raw({ symbol: 'IOT.X', price, size: '0', side: 'unknown' });

    it.each([
      ['-18.5', '-18.5'],
      ['-18.50', '-18.5'],
      ['0', '0'],
      ['-0.0', '0'],
      ['8.4', '8.4'],
    ])('accepts %s as %s', (text, value) => {
      expect(validate()(sensor(text))).toMatchObject({ ok: true, tick: { symbol: 'IOT.X', price: value } });
    });

    it.each(['--1', '-', '-1e3', 'NaN', '+1', '- 1'])('refuses %j as not a decimal', (text) => {
      expect(validate()(sensor(text))).toMatchObject({ ok: false, reason: 'price-not-decimal' });
    });

    it('still refuses zero and negative prices for a market instrument beside it', () => {
      const v = validate();
      expect(v(raw({ price: '-18.5' }))).toMatchObject({ ok: false, reason: 'price-not-positive' });
      expect(v(raw({ price: '0' }))).toMatchObject({ ok: false, reason: 'price-not-positive' });
    });
  });
});
