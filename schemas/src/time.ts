/**
 * Timestamps are XEP-0082 DateTime profile strings in UTC ("Z"), with millisecond or
 * microsecond precision. Inside the process they are integers of microseconds since
 * the Unix epoch (safe in a double until the year 2255).
 */
export const TIMESTAMP_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$';
const timestampRe = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** Microseconds since the epoch, as XEP-0082 UTC with six fractional digits. */
let cachedSecond = Number.NaN;
let cachedPrefix = '';

let cachedMinute = Number.NaN;
let cachedMinutePrefix = '';

export function formatMicros(micros: number): string {
  // Ticks come in bursts within one second, candles one a second or a minute: format
  // the calendar part once per second, or once per minute and add the seconds.
  const second = Math.floor(micros / 1_000_000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    const minute = Math.floor(second / 60);
    if (minute !== cachedMinute) {
      cachedMinute = minute;
      cachedMinutePrefix = new Date(minute * 60_000).toISOString().slice(0, 17); // 2020-02-22T00:00:
    }
    cachedPrefix = `${cachedMinutePrefix}${String(second - minute * 60).padStart(2, '0')}.`;
  }
  return `${cachedPrefix}${String(micros - second * 1_000_000).padStart(6, '0')}Z`;
}

/** Milliseconds since the epoch, as XEP-0082 UTC with three fractional digits. */
export function formatMillis(ms: number): string {
  return new Date(ms).toISOString();
}

let cachedHead = '';
let cachedHeadMicros = 0;

/**
 * Parse an XEP-0082 UTC timestamp to microseconds; undefined when malformed or
 * impossible. Ticks arrive in bursts within one second, so the calendar part (the
 * costly check) is remembered for the last second seen.
 */
export function parseTimestamp(text: string): number | undefined {
  // Fast path: six fractional digits within the second seen last.
  if (
    text.length === 27 &&
    cachedHead !== '' &&
    text.charCodeAt(19) === 46 &&
    text.charCodeAt(26) === 90 &&
    text.startsWith(cachedHead)
  ) {
    let frac = 0;
    for (let i = 20; i < 26; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      frac = frac * 10 + digit;
    }
    return cachedHeadMicros + frac;
  }
  const m = timestampRe.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = ''] = m;
  const head = text.slice(0, 19);
  if (head !== cachedHead) {
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
    const check = new Date(ms);
    if (
      Number.isNaN(ms) ||
      check.getUTCFullYear() !== +y! ||
      check.getUTCMonth() !== +mo! - 1 ||
      check.getUTCDate() !== +d! ||
      +h! > 23 ||
      +mi! > 59 ||
      +s! > 59
    ) {
      return undefined;
    }
    cachedHead = head;
    cachedHeadMicros = ms * 1000;
  }
  return cachedHeadMicros + Number((frac + '000000').slice(0, 6));
}

export function nowMicros(): number {
  // performance.timeOrigin + now() gives sub-millisecond wall time.
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
