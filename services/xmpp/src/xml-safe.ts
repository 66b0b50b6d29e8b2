import type { Element } from '@xmpp/xml';
import { FORBIDDEN_XML_CHAR } from '@tickdesk/schemas';

/**
 * The characters @tickdesk/schemas' xml-text.ts refuses at every boundary (C0 controls
 * but TAB/LF/CR, DEL and C1, lone surrogates, U+FFFE/U+FFFF), the same set: this layer
 * must not write them even when a boundary missed one: a single one in a stanza makes
 * the server close the stream with not-well-formed (RFC 6120 §4.9.3.13), and an outbox
 * resending it would close it again and again. Browser-safe: no node:* import.
 */
const FORBIDDEN = FORBIDDEN_XML_CHAR;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');
// Every stanza passes here (100,000 ticks/s on a feed): a char-code scan (cheaper than a
// regular expression on short attribute values) rules out clean text; only text with a
// surrogate or a forbidden character is looked at again.
function suspect(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      c < 0x20
        ? c !== 0x9 && c !== 0xa && c !== 0xd
        : c >= 0x7f && (c <= 0x9f || (c >= 0xd800 && (c <= 0xdfff || c >= 0xfffe)))
    )
      return true;
  }
  return false;
}
const bad = (text: string): boolean => suspect(text) && FORBIDDEN.test(text);

export const hasForbiddenXmlChar = (text: string): boolean => bad(text);

/** `text` with each forbidden character replaced by U+FFFD. */
export function safeXmlText(text: string): string {
  return bad(text) ? text.replace(FORBIDDEN_ALL, '\uFFFD') : text;
}

function count(text: string): number {
  let n = 0;
  FORBIDDEN_ALL.lastIndex = 0;
  while (FORBIDDEN_ALL.exec(text)) n += 1;
  return n;
}

/**
 * Replace forbidden characters in the text and attribute values of `el` and its
 * descendants, in place (an element's identity is how a sent stanza is matched to its
 * XEP-0198 ack). Returns how many were replaced; 0 leaves the element untouched.
 */
export function sanitizeElement(el: Element): number {
  let replaced = 0;
  const attrs = el.attrs as Record<string, unknown>;
  for (const name in attrs) {
    const value = attrs[name];
    if (typeof value === 'string' && bad(value)) {
      replaced += count(value);
      el.attrs[name] = safeXmlText(value);
    }
  }
  const children = el.children as Array<Element | string>;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (typeof child === 'string') {
      if (bad(child)) {
        replaced += count(child);
        children[i] = safeXmlText(child);
      }
    } else if (typeof child === 'object' && child !== null) {
      replaced += sanitizeElement(child);
    }
  }
  return replaced;
}
