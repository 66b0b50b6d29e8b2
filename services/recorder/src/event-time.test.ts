import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '@tickdesk/schemas';
import { createEventTimeParser } from './event-time.js';

describe('event time parser', () => {
  it('agrees with parseTimestamp, cached or not', () => {
    const parse = createEventTimeParser();
    const texts = [
      '2024-03-01T10:00:00Z', '2024-03-01T10:00:00.1Z', '2024-03-01T10:00:00.123456789Z', '2024-03-01T10:00:01.000001Z',
      '2024-02-30T10:00:00Z', '2024-03-01T10:00:00.Z', '2024-03-01T10:00:00.1234567890Z', '2024-03-01T10:00:00', '2024-03-01T24:00:00Z',
      '2024-03-01T10:00:00.5+01:00', 'garbage', '',
    ];
    for (const t of [...texts, ...texts.reverse()]) expect(parse(t), t).toBe(parseTimestamp(t));
  });
});
