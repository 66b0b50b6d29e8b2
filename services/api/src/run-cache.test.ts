import { describe, expect, it } from 'vitest';
import { createRunCache } from './run-cache.js';

interface Sized {
  bytes: number;
  text: string;
}
const sized = (bytes: number, text = ''): Sized => ({ bytes, text });
const sizeOf = (v: Sized) => v.bytes;

describe('run cache (lru-cache bounded in bytes)', () => {
  it('evicts the least recently used past its bytes; a hit counts as use', () => {
    const lru = createRunCache({ maxBytes: 30, ttlMs: 60_000, sizeOf })!;
    lru.set('a', sized(10, 'A'));
    lru.set('b', sized(10, 'B'));
    lru.set('c', sized(10, 'C'));
    expect(lru.get('a')?.text).toBe('A');
    lru.set('d', sized(10, 'D'));
    expect(['a', 'b', 'c', 'd'].map((k) => lru.get(k)?.text)).toEqual(['A', undefined, 'C', 'D']);
    expect(lru.calculatedSize).toBe(30);
    lru.set('c', sized(25, 'C2'));
    expect(['a', 'c', 'd'].map((k) => lru.get(k)?.text)).toEqual([undefined, 'C2', undefined]);
    expect(lru.calculatedSize).toBe(25);
  });

  it('forgets entries after their time, keeps nothing bigger than itself, and is no cache at 0 bytes', () => {
    let clock = 1_000;
    const lru = createRunCache({
      maxBytes: 100,
      ttlMs: 5_000,
      sizeOf,
      now: () => clock,
    })!;
    lru.set('a', sized(10, 'A'));
    clock += 4_999;
    expect(lru.get('a')?.text).toBe('A');
    clock += 2; // stale once older than ttlMs (lru-cache: age > ttl)
    expect(lru.get('a')).toBeUndefined();
    expect(lru.size).toBe(0);
    lru.set('big', sized(101));
    expect(lru.get('big')).toBeUndefined();
    expect(createRunCache({ maxBytes: 0, ttlMs: 5_000, sizeOf: () => 1 })).toBeUndefined();
  });
});
