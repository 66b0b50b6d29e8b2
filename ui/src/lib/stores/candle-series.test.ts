import { describe, expect, it } from 'vitest';
import type { Bar } from '@tickdesk/schemas';
import { foldBar, type DecimalCandle } from './candle-series.js';

const bar = (start: string, open: string, high: string, low: string, close: string): Bar => ({
  symbol: 'BTCUSDT',
  interval: '1s',
  start,
  open,
  high,
  low,
  close,
  volume: '1',
  trades: 1,
});

describe('candle series', () => {
  it('folds 1-second bars into 1-minute candles exactly', () => {
    const s: DecimalCandle[] = [];
    expect(foldBar(s, bar('2026-11-21T10:00:01.000000Z', '100.1', '100.5', '100.0', '100.2'), '1m')).toBe('appended');
    expect(foldBar(s, bar('2026-11-21T10:00:02.000000Z', '100.2', '100.50000001', '99.99', '100.3'), '1m')).toBe(
      'updated',
    );
    expect(foldBar(s, bar('2026-11-21T10:01:00.000000Z', '100.3', '100.3', '100.3', '100.3'), '1m')).toBe('appended');
    expect(s[0]).toEqual({
      start: Date.UTC(2026, 10, 21, 10, 0) * 1000,
      open: '100.1',
      high: '100.50000001',
      low: '99.99',
      close: '100.3',
    });
    expect(s).toHaveLength(2);
  });

  it('ignores a bar older than the last candle', () => {
    const s: DecimalCandle[] = [];
    foldBar(s, bar('2026-11-21T10:00:05.000000Z', '1', '1', '1', '1'), '1s');
    expect(foldBar(s, bar('2026-11-21T10:00:04.000000Z', '2', '2', '2', '2'), '1s')).toBe('ignored');
    expect(s).toHaveLength(1);
  });

  it('groups into UTC hours for 1h', () => {
    const s: DecimalCandle[] = [];
    foldBar(s, bar('2026-11-21T10:59:59.000000Z', '1', '2', '1', '2'), '1h');
    expect(foldBar(s, bar('2026-11-21T10:00:00.000000Z', '3', '3', '0.5', '1.5'), '1h')).toBe('updated');
    expect(s[0]).toMatchObject({ open: '1', high: '3', low: '0.5', close: '1.5' });
  });
});
