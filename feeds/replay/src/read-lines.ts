import { createReadStream } from 'node:fs';
import { ReplayFeedError } from './errors.js';

/** Lines decoded from one chunk of the file; `null` stands for a line that was too long and skipped. */
export interface LineChunk {
  lines: (string | null)[];
  /** 1-based number of the chunk's first line. */
  firstLine: number;
  /** Bytes read from the file so far. */
  bytesRead: number;
}

const NEWLINE = 0x0a;

function decode(buf: Buffer, start: number, end: number): string {
  const text = buf.toString('utf8', start, end);
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

/**
 * Splits a byte stream into lines without holding more than one chunk and one
 * partial line. Splitting on the byte 0x0A is safe in UTF-8, where it never occurs
 * inside a multi-byte character.
 */
export async function* readLines(
  chunks: AsyncIterable<Buffer>,
  maxLineBytes = 1 << 20,
): AsyncGenerator<LineChunk, void, undefined> {
  let rest: Buffer | undefined;
  let overlong = false;
  let lineNo = 1;
  let bytesRead = 0;
  for await (const chunk of chunks) {
    bytesRead += chunk.length;
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    const lines: (string | null)[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
      lines.push(overlong ? null : decode(buf, start, nl));
      overlong = false;
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : undefined;
    if (rest && rest.length > maxLineBytes) {
      overlong = true;
      rest = undefined;
    }
    if (lines.length > 0) {
      yield { lines, firstLine: lineNo, bytesRead };
      lineNo += lines.length;
    }
  }
  if (rest || overlong)
    yield { lines: [overlong ? null : decode(rest!, 0, rest!.length)], firstLine: lineNo, bytesRead };
}

/** The file's bytes in chunks; a read error surfaces as a coded ReplayFeedError. */
export async function* fileChunks(path: string, chunkBytes = 1 << 16): AsyncGenerator<Buffer, void, undefined> {
  try {
    yield* createReadStream(path, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>;
  } catch (err) {
    throw new ReplayFeedError('TICKDESK_REPLAY_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`);
  }
}
