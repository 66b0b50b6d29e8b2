import { compareDecimal } from '@tickdesk/schemas';

/**
 * The prices of one instrument that can still be a window's low (keepMin) or high:
 * a monotonic deque over event time. A price is dropped once a later price is as low
 * (as high), because that later one stays in every window at least as long. The
 * lowest price of any window (t − w, t] is then the first entry with time > t − w.
 */
export class MonoDeque {
  private times: number[] = [];
  private keys: number[] = [];
  private strs: string[] = [];
  /** Positions of the first entry and one past the last, counted from `base`. */
  private head = 0;
  private tail = 0;
  private base = 0;

  constructor(private readonly keepMin: boolean) {}

  /** Add the price of a tick at time t (non-decreasing). */
  push(t: number, key: number, str: string): void {
    while (this.tail > this.head) {
      const i = this.tail - 1 - this.base;
      const k = this.keys[i]!;
      const s = this.strs[i]!;
      const c = k !== key ? (k < key ? -1 : 1) : s === str ? 0 : compareDecimal(s, str);
      if (this.keepMin ? c < 0 : c > 0) break;
      this.tail--;
    }
    const i = this.tail - this.base;
    if (i === this.times.length) {
      this.times.push(t);
      this.keys.push(key);
      this.strs.push(str);
    } else {
      this.times[i] = t;
      this.keys[i] = key;
      this.strs[i] = str;
    }
    this.tail++;
  }

  /** Forget entries at or before `cutoff`, always keeping the newest. */
  dropThrough(cutoff: number): void {
    while (this.head < this.tail - 1 && this.times[this.head - this.base]! <= cutoff) this.head++;
    const dead = this.head - this.base;
    if (dead > 1024 && dead * 2 > this.times.length) {
      const live = this.tail - this.head;
      this.times = this.times.slice(dead, dead + live);
      this.keys = this.keys.slice(dead, dead + live);
      this.strs = this.strs.slice(dead, dead + live);
      this.base = this.head;
    }
  }

  /** The window's low (high): the first entry whose time is after `cutoff`, or the newest. Binary search. */
  windowStart(cutoff: number): number {
    let lo = this.head - this.base;
    let hi = this.tail - 1 - this.base;
    const times = this.times;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= cutoff) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Time, key and price of the entry at a position from windowStart(). */
  timeAt(i: number): number {
    return this.times[i]!;
  }

  keyAt(i: number): number {
    return this.keys[i]!;
  }

  strAt(i: number): string {
    return this.strs[i]!;
  }
}
