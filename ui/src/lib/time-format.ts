import { formatMillis, parseTimestamp } from '@tickdesk/schemas';

/** "10:00:00.123 UTC" for a list; undefined text stays empty. */
export function clockUtc(timestamp: string | undefined): string {
  const micros = timestamp === undefined ? undefined : parseTimestamp(timestamp);
  return micros === undefined ? '' : `${formatMillis(Math.floor(micros / 1000)).slice(11, 23)} UTC`;
}

/** "2026-11-21 10:00:00 UTC". */
export function dateTimeUtc(timestamp: string | undefined): string {
  const micros = timestamp === undefined ? undefined : parseTimestamp(timestamp);
  return micros === undefined
    ? ''
    : `${formatMillis(Math.floor(micros / 1000))
        .slice(0, 19)
        .replace('T', ' ')} UTC`;
}

/**
 * A time typed into a form, read as UTC: "2026-01-31T17:00:00Z", "2026-01-31 17:00"
 * or "2026-01-31T17:00:00.5"; the XEP-0082 text, or the input unchanged when it is
 * not one of these (the server then names the field).
 */
export function utcInput(text: string): string {
  const t = text.trim();
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(\.\d{1,9})?)?Z?$/.exec(t);
  return m ? `${m[1]}T${m[2]}${m[3] ?? ':00'}Z` : t;
}

/** Milliseconds → XEP-0082 UTC. */
export const isoMillis = (ms: number): string => formatMillis(ms);
