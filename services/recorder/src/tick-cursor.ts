import { RecorderError } from './errors.js';

/**
 * A page cursor into a tick zset: the score (event µs) of the last tick returned and
 * how many ticks with that very score were returned so far. The next page starts at
 * that score and skips them, so ticks sharing a timestamp are neither lost nor repeated.
 */
export interface TickCursor {
  score: number;
  skip: number;
}

export function encodeTickCursor(c: TickCursor): string {
  return `${c.score}:${c.skip}`;
}

export function decodeTickCursor(text: string): TickCursor {
  const m = /^([0-9]{1,16}):([0-9]{1,9})$/.exec(text);
  const score = Number(m?.[1]);
  if (!m || !Number.isSafeInteger(score))
    throw new RecorderError('TICKDESK_RECORDER_BAD_CURSOR', `malformed tick cursor ${JSON.stringify(text)}`);
  return { score, skip: Number(m[2]) };
}

/** The cursor after a page of `[member, score]` pairs that started at `from`. */
export function nextTickCursor(from: TickCursor, scores: readonly number[]): TickCursor | undefined {
  const last = scores[scores.length - 1];
  if (last === undefined) return undefined;
  let same = 0;
  for (let i = scores.length - 1; i >= 0 && scores[i] === last; i--) same++;
  return { score: last, skip: last === from.score ? from.skip + same : same };
}
