import { describe, expect, it } from 'vitest';
import { WakeHeap } from './wake-heap.js';

describe('WakeHeap', () => {
  it('pops in time order', () => {
    const heap = new WakeHeap<number>();
    const times = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1009);
    times.forEach((t) => heap.push(t, t));
    const out: number[] = [];
    while (heap.size > 0) {
      const t = heap.peekTime();
      expect(heap.pop()).toBe(t);
      out.push(t);
    }
    expect(out).toEqual([...times].sort((a, b) => a - b));
    expect(heap.peekTime()).toBe(Infinity);
  });
});
