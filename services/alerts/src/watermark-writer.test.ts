import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWatermarkWriter } from './watermark-writer.js';

const flush = () => new Promise((r) => setTimeout(r, 0));

/** A writer on a fake Redis whose HSETs answer at once, and a clock the test moves. */
function setUp(opts: { stopping?: () => boolean } = {}) {
  const hsets: Array<Record<string, string>> = [];
  const waits: Array<{ ms: number; go: () => void }> = [];
  const writer = createWatermarkWriter({
    redis: {
      hset: (_key: string, fields: Record<string, string>) => {
        hsets.push(fields);
        return Promise.resolve(1);
      },
    } as unknown as Pick<Redis, 'hset'>,
    key: 'td:alerts:watermark',
    log: pino({ level: 'silent' }),
    keep: () => true,
    stopping: opts.stopping ?? (() => false),
    sleep: (ms) => new Promise<void>((go) => waits.push({ ms, go })),
    everyMs: 20,
  });
  return { writer, hsets, waits };
}

describe('watermark writer: at most one write per interval', () => {
  it('marks set after a write wait for the interval and go as one HSET, the newest of each instrument', async () => {
    const { writer, hsets, waits } = setUp();
    writer.set('ESZ6', '{"seq":1}');
    await flush();
    expect(hsets).toEqual([{ ESZ6: '{"seq":1}' }]);
    for (const seq of [2, 3, 4]) writer.set('ESZ6', `{"seq":${seq}}`);
    writer.set('NQZ6', '{"seq":7}');
    await flush();
    expect(hsets).toHaveLength(1); // not before the interval
    expect(waits.map((w) => w.ms)).toEqual([20]);
    waits[0]!.go();
    await flush();
    expect(hsets).toEqual([{ ESZ6: '{"seq":1}' }, { ESZ6: '{"seq":4}', NQZ6: '{"seq":7}' }]);
  });

  it('does not wait the interval once stopping: settled() is the last write', async () => {
    const { writer, hsets, waits } = setUp({ stopping: () => true });
    writer.set('ESZ6', '{"seq":1}');
    await writer.settled();
    expect(hsets).toHaveLength(1);
    expect(waits).toHaveLength(0);
  });
});
