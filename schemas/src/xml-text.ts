/**
 * Text that can reach a stanza. XML 1.0 §2.2 `Char` excludes the C0 controls other than
 * TAB, LF and CR, lone surrogates and U+FFFE/U+FFFF: one of them in a stanza makes the
 * server close the stream with `not-well-formed` (RFC 6120 §4.9.3.13). The C1 controls
 * and DEL are legal XML but "discouraged" (§2.2) and invisible in every client, so they
 * are refused too.
 */
export const FORBIDDEN_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- matching the control characters XML forbids is this pattern's job
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN = FORBIDDEN_XML_CHAR;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');

/** The first character of `text` that must not reach a stanza: its index (UTF-16 units) and code point. */
export function findForbiddenXmlChar(text: string): { index: number; codePoint: number } | undefined {
  const m = FORBIDDEN.exec(text);
  return m ? { index: m.index, codePoint: m[0].charCodeAt(0) } : undefined;
}

/** `U+0007` */
export const codePointName = (codePoint: number): string =>
  `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Why `text` may not reach a stanza, as a refusal message ("must not contain the control
 * character U+0007 (at character 4)"), or undefined when it may.
 */
export function xmlTextProblem(text: string): string | undefined {
  const bad = findForbiddenXmlChar(text);
  if (!bad) return undefined;
  const what =
    bad.codePoint >= 0xd800 && bad.codePoint <= 0xdfff
      ? 'an unpaired surrogate'
      : bad.codePoint >= 0xfffe
        ? 'the non-character'
        : 'the control character';
  return `must not contain ${what} ${codePointName(bad.codePoint)} (at character ${bad.index + 1})`;
}

/** `text` with every character refused by {@link findForbiddenXmlChar} replaced by U+FFFD, and how many were. */
export function replaceForbiddenXmlChars(text: string): { text: string; replaced: number } {
  let replaced = 0;
  const out = text.replace(FORBIDDEN_ALL, () => {
    replaced += 1;
    return '\uFFFD';
  });
  return { text: out, replaced };
}
