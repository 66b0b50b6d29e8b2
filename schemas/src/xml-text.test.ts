import { describe, expect, it } from 'vitest';
import { findForbiddenXmlChar, replaceForbiddenXmlChars, xmlTextProblem } from './xml-text.js';

describe('text that can reach a stanza', () => {
  it('accepts TAB, LF, CR, printable text, astral characters and the edges of the allowed ranges', () => {
    for (const ok of [
      'one\ttwo\nthree\r',
      'take profit €',
      'rocket 🚀',
      '\u00A0\uD7FF\uE000\uFFFD',
      ' ~',
      '\u{10FFFF}',
    ]) {
      expect(findForbiddenXmlChar(ok), JSON.stringify(ok)).toBeUndefined();
      expect(xmlTextProblem(ok)).toBeUndefined();
    }
  });

  it.each([
    ['\u0000', 0x0],
    ['\u0007', 0x7],
    ['\u0008', 0x8],
    ['\u000B', 0xb],
    ['\u000C', 0xc],
    ['\u000E', 0xe],
    ['\u001F', 0x1f],
    ['\u007F', 0x7f],
    ['\u0080', 0x80],
    ['\u0085', 0x85],
    ['\u009F', 0x9f],
    ['\uFFFE', 0xfffe],
    ['\uFFFF', 0xffff],
    ['\uD83D', 0xd83d],
    ['\uDE80', 0xde80],
  ])('refuses %j', (ch, codePoint) => {
    expect(findForbiddenXmlChar(`ab${ch}c`)).toEqual({ index: 2, codePoint });
  });

  it('refuses a lone surrogate at the end and a reversed pair, not a proper pair', () => {
    expect(findForbiddenXmlChar('x\uD83D')).toEqual({ index: 1, codePoint: 0xd83d });
    expect(findForbiddenXmlChar('\uDE80\uD83D')).toEqual({ index: 0, codePoint: 0xde80 });
    expect(findForbiddenXmlChar('\uD83D\uDE80')).toBeUndefined();
  });

  it('names the character and its position', () => {
    expect(xmlTextProblem('one\u0007bell')).toBe('must not contain the control character U+0007 (at character 4)');
    expect(xmlTextProblem('\uFFFF')).toMatch(/non-character U\+FFFF/);
    expect(xmlTextProblem('a\uD800b')).toMatch(/unpaired surrogate U\+D800/);
  });

  it('replaces every forbidden character with U+FFFD and counts them', () => {
    expect(replaceForbiddenXmlChars('a\u0000b\u0007\u0085\uD800🚀\n')).toEqual({
      text: 'a\uFFFDb\uFFFD\uFFFD\uFFFD🚀\n',
      replaced: 4,
    });
    expect(replaceForbiddenXmlChars('clean')).toEqual({ text: 'clean', replaced: 0 });
  });
});
