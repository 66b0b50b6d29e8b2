import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { numberLiteral } from './ndjson-parser.js';
import { createProgressBar } from './progress-bar.js';
import { readLines, type LineChunk } from './read-lines.js';

async function allChunks(parts: string[], max?: number): Promise<LineChunk[]> {
  const out: LineChunk[] = [];
  for await (const c of readLines(Readable.from(parts.map((p) => Buffer.from(p))), max)) out.push(c);
  return out;
}

describe('readLines', () => {
  it('joins lines split across chunks, strips CR and keeps a last line without newline', async () => {
    const chunks = await allChunks(['a,b\r\nc', 'd,€', 'x\n\nlast']);
    expect(chunks.flatMap((c) => c.lines)).toEqual(['a,b', 'cd,€x', '', 'last']);
    expect(chunks.map((c) => c.firstLine)).toEqual([1, 2, 4]);
    expect(chunks.at(-1)!.bytesRead).toBe(Buffer.byteLength('a,b\r\ncd,€x\n\nlast'));
  });

  it('skips an overlong line as null instead of buffering it', async () => {
    const chunks = await allChunks(['ok\n', 'x'.repeat(8), 'y'.repeat(8), 'z\nnext\n'], 10);
    expect(chunks.flatMap((c) => c.lines)).toEqual(['ok', null, 'next']);
  });
});

describe('numberLiteral', () => {
  it('finds the literal once and ignores escaped look-alikes inside strings', () => {
    expect(numberLiteral('{"price": 9682.190 ,"size":1}', 'price')).toBe('9682.190');
    expect(numberLiteral('{"note":"\\"price\\":1","price":2.50}', 'price')).toBe('2.50');
    expect(numberLiteral('{"a":{"price":1},"price":2}', 'price')).toBeUndefined();
  });
});

describe('createProgressBar', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, isTTY, columns: 80, write: (s: string) => writes.push(s) };
  };

  it('redraws at most every 100 ms on a terminal, with percent and ticks/s', () => {
    const stream = fakeStream(true);
    let now = 0;
    const bar = createProgressBar(stream, 1000, () => now);
    for (let i = 1; i <= 50; i++) bar.update(i * 10, i * 100); // all at t=0
    now = 100;
    bar.update(600, 6000);
    bar.finish(1000, 6000);
    expect(stream.writes.length).toBe(4);
    expect(stream.writes[1]).toMatch(/\[#+-+\]\s+60\.0% {2}59,000 ticks\/s$/);
    expect(stream.writes[2]).toMatch(/100\.0%/);
    expect(stream.writes[3]).toBe('\n');
    expect(stream.writes.every((w) => w.length <= 81)).toBe(true);
  });

  it('draws nothing when the stream is not a terminal or progress is off', () => {
    const stream = fakeStream(false);
    const bar = createProgressBar(stream, 1000, () => 0);
    bar.update(10, 1);
    bar.finish(1000, 2);
    expect(stream.writes).toEqual([]);
    expect(() => createProgressBar(false, 1).finish(1, 1)).not.toThrow();
  });
});
