import { parseTimestamp } from '@tickdesk/schemas';

const fractionRe = /^(?:\.([0-9]{1,9}))?Z$/;

/**
 * parseTimestamp with a one-entry cache of the whole-second prefix: ticks in a batch
 * mostly share their second, and the calendar check is the costly part.
 */
export function createEventTimeParser(): (text: string) => number | undefined {
  let prefix = '';
  let secondMicros = 0;
  return (text) => {
    const head = text.slice(0, 19);
    if (head !== prefix) {
      const micros = parseTimestamp(`${head}Z`);
      if (micros === undefined) return undefined;
      prefix = head;
      secondMicros = micros;
    }
    const m = fractionRe.exec(text.slice(19));
    if (!m) return undefined;
    return secondMicros + (m[1] ? Number(m[1].padEnd(6, '0').slice(0, 6)) : 0);
  };
}
