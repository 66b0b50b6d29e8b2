import { describe, expect, it } from 'vitest';
import { redisPrimaryLine } from './redis-status.js';

describe('status of a Sentinel desk', () => {
  it('names the primary by part, and the sentinels that disagree or are silent', () => {
    expect(redisPrimaryLine([6380, 6380, 6380], 6380)).toBe(
      '  redis primary: redis (127.0.0.1:6380), named by 3 of 3 sentinels',
    );
    expect(redisPrimaryLine([6381, 6381, undefined], 6380)).toBe(
      '  redis primary: redis-replica (127.0.0.1:6381), named by 2 of 3 sentinels',
    );
    expect(redisPrimaryLine([6381, 6380, 6381], 6380)).toBe(
      '  redis primary: redis-replica (127.0.0.1:6381), named by 2 of 3 sentinels; 1 name redis',
    );
    expect(redisPrimaryLine([undefined, undefined, undefined], 6380)).toBe(
      '  redis primary: unknown, no sentinel answers (of 3)',
    );
  });
});
