import { describe, expect, it } from 'vitest';
import { parseTimestamp } from './time.js';

/** The same rules without any cache, as the reference. */
function reference(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  const c = new Date(ms);
  if (
    c.getUTCFullYear() !== +y! ||
    c.getUTCMonth() !== +mo! - 1 ||
    c.getUTCDate() !== +d! ||
    +h! > 23 ||
    +mi! > 59 ||
    +s! > 59
  )
    return undefined;
  return ms * 1000 + Number((frac + '000000').slice(0, 6));
}

describe('event time parser', () => {
  it('agrees with parseTimestamp, cached or not', () => {
    const texts = [
      '2024-03-01T10:00:00Z',
      '2024-03-01T10:00:00.1Z',
      '2024-03-01T10:00:00.123456789Z',
      '2024-03-01T10:00:01.000001Z',
      '2024-03-01T10:00:01.999999Z',
      '2024-03-01T10:00:01.00000aZ',
      '2024-03-01T10:00:01.000002X',
      '2024-03-01T10:00:01.-00002Z',
      '2024-02-30T10:00:00Z',
      '2024-03-01T10:00:00.Z',
      '2024-03-01T10:00:00.1234567890Z',
      '2024-03-01T10:00:00',
      '2024-03-01T24:00:00Z',
      '2024-03-01T10:00:00.5+01:00',
      'garbage',
      '',
    ];
    for (const t of [...texts, ...texts.reverse()]) expect(parseTimestamp(t), t).toBe(reference(t));
  });
});

describe('event time formatter', () => {
  it('agrees with Date#toISOString across seconds, minutes, days and years, cached or not', async () => {
    const { formatMicros } = await import('./time.js');
    const start = Date.UTC(2024, 11, 31, 23, 58, 57) * 1000;
    const steps = [0, 1, 999_999, 1_000_000, 3_000_001, 60_000_000, 61_500_000, 3_600_000_000, 86_400_000_000, -1];
    for (const us of [...steps.map((d) => start + d), 0, 1, 1_582_329_602_150_000]) {
      const ms = Math.floor(us / 1000);
      const expected = `${new Date(ms).toISOString().slice(0, 20)}${String(us - Math.floor(us / 1_000_000) * 1_000_000).padStart(6, '0')}Z`;
      expect(formatMicros(us), String(us)).toBe(expected);
    }
  });
});
