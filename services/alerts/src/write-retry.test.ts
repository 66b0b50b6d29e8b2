import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWriteRetry } from './write-retry.js';

const log = pino({ level: 'silent' });

describe('write retry', () => {
  it('retries until the write succeeds, failing meanwhile, and recovers once', async () => {
    const delays: number[] = [];
    let recovered = 0;
    let attempts = 0;
    let failingDuring = false;
    const retry = createWriteRetry({
      log,
      stopping: () => false,
      onRecovered: () => (recovered += 1),
      sleep: async (ms) => {
        delays.push(ms);
        failingDuring ||= retry.failing();
      },
    });
    await retry.run(async () => {
      attempts += 1;
      if (attempts < 7) throw new Error('Connection is closed.');
    });
    expect(attempts).toBe(7);
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000]);
    expect(failingDuring).toBe(true);
    expect(retry.failing()).toBe(false);
    expect(recovered).toBe(1);
    await retry.run(async () => undefined);
    expect(recovered).toBe(1);
  });

  it('gives the error back while stopping instead of waiting for Redis', async () => {
    const retry = createWriteRetry({ log, stopping: () => true, sleep: async () => undefined });
    await expect(
      retry.run(async () => {
        throw new Error('down');
      }),
    ).rejects.toThrow('down');
  });
});
