import { describe, expect, it } from 'vitest';
import { loadRecorderConfig, resolveRecorderConfig } from './config.js';

describe('recorder config', () => {
  it('has defaults', () => {
    expect(loadRecorderConfig({})).toEqual({
      maxTicksPerInstrument: 100_000,
      candleLimits: { '1s': 86_400, '1m': 43_200, '1h': 8_760 },
      flushIntervalMs: 50,
      flushMaxTicks: 10_000,
      maxPendingTicks: 200_000,
      maxPendingCandles: 100_000,
      openBuckets: 10,
      flushTimeoutMs: 5_000,
      standby: 0,
      lease: 'off',
      leaseTtlMs: 3_000,
    });
  });

  it("reads the standby recorder's settings, within their limits", () => {
    expect(
      loadRecorderConfig({
        TICKDESK_RECORDER_STANDBY: '1',
        TICKDESK_RECORDER_LEASE: 'standby',
        TICKDESK_RECORDER_LEASE_TTL_MS: '1500',
      }),
    ).toMatchObject({ standby: 1, lease: 'standby', leaseTtlMs: 1_500 });
    expect(() => loadRecorderConfig({ TICKDESK_RECORDER_STANDBY: '2' })).toThrow(/TICKDESK_RECORDER_STANDBY/);
    expect(() => loadRecorderConfig({ TICKDESK_RECORDER_LEASE: 'both' })).toThrow(/TICKDESK_RECORDER_LEASE=/);
    for (const bad of ['299', '60001'])
      expect(() => loadRecorderConfig({ TICKDESK_RECORDER_LEASE_TTL_MS: bad })).toThrow(
        /TICKDESK_RECORDER_LEASE_TTL_MS/,
      );
  });

  it('reads its variables and ignores others', () => {
    const config = loadRecorderConfig({
      TICKDESK_RECORDER_MAX_TICKS: '5000',
      TICKDESK_RECORDER_CANDLES_1M: ' 100 ',
      TICKDESK_RECORDER_FLUSH_MS: '',
      HOME: '/root',
    });
    expect(config.maxTicksPerInstrument).toBe(5_000);
    expect(config.candleLimits).toEqual({ '1s': 86_400, '1m': 100, '1h': 8_760 });
    expect(config.flushIntervalMs).toBe(50);
  });

  it.each(['abc', '0', '-5', '1.5', '1e3', '999999999999'])('names the variable of a bad value %j', (bad) => {
    expect(() => loadRecorderConfig({ TICKDESK_RECORDER_MAX_TICKS: bad })).toThrow(
      /TICKDESK_RECORDER_MAX_TICKS=.* is invalid/,
    );
    expect(() => loadRecorderConfig({ TICKDESK_RECORDER_CANDLES_1H: bad })).toThrow(/TICKDESK_RECORDER_CANDLES_1H/);
  });

  it('validates a config given in code', () => {
    expect(resolveRecorderConfig({ candleLimits: { '1s': 10 } as never }).candleLimits).toEqual({
      '1s': 10,
      '1m': 43_200,
      '1h': 8_760,
    });
    expect(() => resolveRecorderConfig({ flushIntervalMs: 0 })).toThrow(/flushIntervalMs/);
  });
});
