/**
 * Replies to chat and ad-hoc commands stay far below the server's stanza limit (Prosody
 * closes a stream over it, RFC 6120 §4.9.3.5 policy-violation): a list is cut into pages
 * of at most `pageLines` lines and `maxBytes` bytes of escaped XML text, and every other
 * reply is cut at `maxBytes`.
 */
export interface ReplyLimits {
  /** Bytes of a reply's text as it goes on the wire (escaped, UTF-8). */
  maxBytes: number;
  /** Lines (rules) on one page of a list. */
  pageLines: number;
}
/** 16 KiB: a thirty-second of Prosody's 512 KiB stanza limit; 20 rules of the longest kind (a 500-character message) take at most about 36 KB, so a page is usually cut by lines, not bytes. */
export const DEFAULT_REPLY_LIMITS: ReplyLimits = { maxBytes: 16_384, pageLines: 20 };

const FOOTER_RESERVE = 200;

/** UTF-8 bytes of `text` once XML-escaped (ltx escapes &, < and > in text). */
export function wireBytes(text: string): number {
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x26) extra += 4;
    else if (c === 0x3c || c === 0x3e) extra += 3;
  }
  return Buffer.byteLength(text, 'utf8') + extra;
}

/** `text` cut to at most `maxBytes` wire bytes, on a code-point boundary, marked with "…" when cut. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (wireBytes(text) <= maxBytes) return text;
  let out = '';
  let used = 3; // the ellipsis
  for (const ch of text) {
    const b = wireBytes(ch);
    if (used + b > maxBytes) break;
    out += ch;
    used += b;
  }
  return `${out}…`;
}

export interface Page {
  lines: string[];
  /** 1-based; clamped to the last page. */
  page: number;
  pages: number;
  /** Index of the first line of this page in the whole list. */
  first: number;
  total: number;
}

/** Split `lines` greedily into pages by count and bytes, and return page `page`. O(n). */
export function pageOf(lines: readonly string[], page: number, limits: ReplyLimits = DEFAULT_REPLY_LIMITS): Page {
  const budget = Math.max(1, limits.maxBytes - FOOTER_RESERVE);
  const starts: number[] = [0];
  let bytes = 0;
  let count = 0;
  const cut = lines.map((line) => cutToBytes(line, budget));
  cut.forEach((line, i) => {
    const b = wireBytes(line) + 1;
    if (count > 0 && (count >= limits.pageLines || bytes + b > budget)) {
      starts.push(i);
      bytes = 0;
      count = 0;
    }
    bytes += b;
    count += 1;
  });
  const pages = lines.length === 0 ? 1 : starts.length;
  const p = Math.min(Math.max(1, Math.floor(page)), pages);
  const first = starts[p - 1]!;
  const end = p < pages ? starts[p]! : lines.length;
  return { lines: cut.slice(first, end), page: p, pages, first, total: lines.length };
}

/** A page as text, with a last line saying how many more there are and how to see them (`next(n)` names page n). */
export function pageText(p: Page, next: (page: number) => string): string {
  if (p.pages === 1) return p.lines.join('\n');
  const range = `${p.first + 1}–${p.first + p.lines.length} of ${p.total}`;
  const more = p.total - p.first - p.lines.length;
  const tail = p.page < p.pages ? `${more} more: ${next(p.page + 1)}.` : 'That is the last page.';
  return `${p.lines.join('\n')}\nPage ${p.page} of ${p.pages} (${range}). ${tail}`;
}
