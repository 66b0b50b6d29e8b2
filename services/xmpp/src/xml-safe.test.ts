import { describe, expect, it } from 'vitest';
import xml from '@xmpp/xml';
import { findForbiddenXmlChar } from '@tickdesk/schemas';
import { hasForbiddenXmlChar, safeXmlText, sanitizeElement } from './xml-safe.js';
import { presence } from './presence.js';

describe('the XML layer never writes characters XML 1.0 forbids', () => {
  it('replaces them in text and attribute values, in place, at any depth, and counts them', () => {
    const body = xml('body', {}, 'one\u0007bell');
    const el = xml(
      'message',
      { to: 'alice@desk.localhost', id: 'a\u0000' },
      body,
      xml('alert', { xmlns: 'urn:x', message: 'x\u001Fy\uFFFE' }, 'ok'),
    );
    expect(sanitizeElement(el)).toBe(4);
    expect(el.getChild('body')).toBe(body);
    expect(el.toString()).toBe(
      '<message to="alice@desk.localhost" id="a\uFFFD"><body>one\uFFFDbell</body><alert xmlns="urn:x" message="x\uFFFDy\uFFFD">ok</alert></message>',
    );
    expect(sanitizeElement(el)).toBe(0);
  });

  it('leaves clean stanzas, TAB/LF/CR and astral characters alone', () => {
    const el = xml('message', { id: 'm1' }, xml('body', {}, 'a\tb\r\nc 🚀 €'));
    const before = el.toString();
    expect(sanitizeElement(el)).toBe(0);
    expect(el.toString()).toBe(before);
    expect(safeXmlText('🚀')).toBe('🚀');
  });

  it('a presence status is cleaned when built', () => {
    expect(presence('away', 'lunch\u0007').getChildText('status')).toBe('lunch\uFFFD');
  });

  it('refuses exactly the characters the boundaries refuse (schemas/xml-text.ts), over the whole BMP', () => {
    const differ: number[] = [];
    for (let cp = 0; cp <= 0xffff; cp++) {
      const s = `a${String.fromCharCode(cp)}b`;
      if (hasForbiddenXmlChar(s) !== (findForbiddenXmlChar(s) !== undefined)) differ.push(cp);
    }
    expect(differ).toEqual([]);
  });
});
