import { describe, expect, it } from 'vitest';
import { fakeFrames } from '../test/fakes.js';
import { createFrameBatcher } from './frame-batcher.js';

describe('frame batcher', () => {
  it('hands many updates to one flush at the next frame', () => {
    const f = fakeFrames();
    const flushes: number[][] = [];
    const b = createFrameBatcher<number>(f.frames, (u) => flushes.push(u));
    for (let i = 0; i < 1000; i++) b.push(i);
    expect(f.requested).toBe(1);
    expect(flushes).toHaveLength(0);
    f.flush();
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toHaveLength(1000);
    b.push(1);
    f.flush();
    expect(flushes).toHaveLength(2);
  });

  it('drops what waits on clear', () => {
    const f = fakeFrames();
    const flushes: number[][] = [];
    const b = createFrameBatcher<number>(f.frames, (u) => flushes.push(u));
    b.push(1);
    b.clear();
    f.flush();
    expect(flushes).toHaveLength(0);
  });
});
