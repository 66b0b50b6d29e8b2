import { describe, expect, it } from 'vitest';
import { cutToBytes, DEFAULT_REPLY_LIMITS, pageOf, pageText, wireBytes } from './reply-pages.js';

const lines = (n: number, width = 100) => Array.from({ length: n }, (_, i) => `r${i} ${'x'.repeat(width)}`);

describe('reply pages', () => {
  it('counts bytes as they go on the wire: UTF-8, with &, < and > escaped', () => {
    expect(wireBytes('a€<&')).toBe(1 + 3 + 4 + 5);
  });

  it('cuts on a code point, never past the limit', () => {
    const s = '🚀'.repeat(10);
    const cut = cutToBytes(s, 13);
    expect(cut).toBe('🚀🚀…');
    expect(wireBytes(cut)).toBeLessThanOrEqual(13);
    expect(cutToBytes('short', 100)).toBe('short');
  });

  it('1,300 rules of the longest kind: every page under the byte limit, none lost, the last line says what follows', () => {
    const all = lines(1_300, 1_800);
    const first = pageOf(all, 1);
    const seen: string[] = [];
    for (let p = 1; p <= first.pages; p++) {
      const page = pageOf(all, p);
      const text = pageText(page, (n) => `send "alerts ${n}"`);
      expect(wireBytes(text)).toBeLessThanOrEqual(DEFAULT_REPLY_LIMITS.maxBytes);
      expect(page.lines.length).toBeLessThanOrEqual(DEFAULT_REPLY_LIMITS.pageLines);
      seen.push(...page.lines);
      if (p < first.pages)
        expect(text.split('\n').at(-1)).toMatch(
          new RegExp(`^Page ${p} of ${first.pages} \\(.*\\)\\. [0-9]+ more: send "alerts ${p + 1}"\\.$`),
        );
    }
    expect(seen).toEqual(all);
  }, 30_000);

  it('pages by line count when lines are short, clamps a page past the end, and an empty list is one page', () => {
    const all = lines(45, 10);
    expect(pageOf(all, 1)).toMatchObject({ page: 1, pages: 3, first: 0, total: 45 });
    expect(pageOf(all, 3).lines).toEqual(all.slice(40));
    expect(pageOf(all, 99).page).toBe(3);
    expect(
      pageText(pageOf(all, 1), (n) => `send "alerts ${n}"`)
        .split('\n')
        .at(-1),
    ).toBe('Page 1 of 3 (1–20 of 45). 25 more: send "alerts 2".');
    expect(
      pageText(pageOf(all, 3), () => '')
        .split('\n')
        .at(-1),
    ).toBe('Page 3 of 3 (41–45 of 45). That is the last page.');
    expect(pageOf([], 1)).toMatchObject({ lines: [], page: 1, pages: 1 });
    expect(pageText(pageOf(all.slice(0, 3), 1), () => '')).toBe(all.slice(0, 3).join('\n'));
  });

  it('cuts a single line longer than a page', () => {
    const page = pageOf(['y'.repeat(100_000)], 1, { maxBytes: 1_000, pageLines: 20 });
    expect(wireBytes(page.lines[0]!)).toBeLessThanOrEqual(800);
    expect(page.lines[0]!.endsWith('…')).toBe(true);
  });
});
