import { compareDecimal } from '@tickdesk/schemas';

/**
 * A price (or amount) a rule is indexed by. `key` is the double nearest the decimal
 * `value`: V8 converts decimal strings with correct rounding, which is monotonic, so
 * different keys order their values exactly and only equal keys need the exact string
 * comparison. `kind` orders edges of equal value (see level-pass.ts); `seq` makes
 * the order total, so every edge has one exact position.
 */
export class Edge<R = unknown> {
  /** The rule behind the edge; a rule that is an Edge itself (its first edge) points to itself. */
  readonly rule: R;

  constructor(
    public key: number,
    public value: string,
    public kind: number,
    public seq: number,
    rule?: R,
  ) {
    this.rule = rule === undefined ? (this as unknown as R) : rule;
  }
}

export function compareEdges(a: Edge, b: Edge): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  if (a.value !== b.value) {
    const c = compareDecimal(a.value, b.value);
    if (c !== 0) return c;
  }
  if (a.kind !== b.kind) return a.kind - b.kind;
  return a.seq - b.seq;
}

/** Sorted edges with their keys alongside: searches read packed doubles, not scattered objects. */
class Chunk<R> {
  constructor(
    public keys: number[],
    public edges: Edge<R>[],
  ) {}
}

const MAX_CHUNK = 256;

/**
 * A sorted list of edges in chunks of at most 256 (the "sorted containers" layout):
 * insert and remove cost a binary search plus a short shift, so a million rules load
 * in about a second and re-arming a rule stays cheap; scans run over the chunks.
 * Binary searches compare the chunks' packed keys and look at edges only on equal keys.
 */
export class EdgeList<R = unknown> {
  readonly chunks: Chunk<R>[] = [];
  /** The last key of each chunk. */
  private readonly lastKeys: number[] = [];
  size = 0;
  /** Where seek() landed: chunk and index; chunk === chunks.length when past the end. */
  ci = 0;
  ii = 0;
  /** Bumped by every insert and remove: a finger from an older version may point anywhere. */
  private version = 0;
  private fingerVersion = -1;
  private fingerCi = 0;
  private fingerIi = 0;

  /** Position of the first edge not before `probe`. */
  seek(probe: Edge): void {
    const key = probe.key;
    const chunks = this.chunks;
    const lastKeys = this.lastKeys;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const k = lastKeys[mid]!;
      if (k < key || (k === key && compareEdges(chunks[mid]!.edges[chunks[mid]!.edges.length - 1]!, probe) < 0))
        lo = mid + 1;
      else hi = mid;
    }
    this.ci = lo;
    this.ii = 0;
    if (lo === chunks.length) return;
    const c = chunks[lo]!;
    const keys = c.keys;
    let a = 0;
    let b = keys.length - 1;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const k = keys[mid]!;
      if (k < key || (k === key && compareEdges(c.edges[mid]!, probe) < 0)) a = mid + 1;
      else b = mid;
    }
    this.ii = a;
  }

  /**
   * seek(), starting from where the previous seekNear() landed when the list has not
   * changed since: successive ticks seek nearby prices, so a few steps usually do.
   */
  seekNear(probe: Edge): void {
    if (this.fingerVersion !== this.version || !this.walk(probe)) this.seek(probe);
    this.fingerVersion = this.version;
    this.fingerCi = this.ci;
    this.fingerIi = this.ii;
  }

  /** Walk from the finger to the first edge not before `probe`; false after 8 steps. */
  private walk(probe: Edge): boolean {
    const chunks = this.chunks;
    const key = probe.key;
    let ci = this.fingerCi;
    let ii = this.fingerIi;
    for (let steps = 0; ; steps++) {
      let pci = ci;
      let pii = ii - 1;
      if (pii < 0) {
        if (pci === 0) break;
        pci--;
        pii = chunks[pci]!.keys.length - 1;
      }
      const k = chunks[pci]!.keys[pii]!;
      if (k < key || (k === key && compareEdges(chunks[pci]!.edges[pii]!, probe) < 0)) break;
      if (steps === 8) return false;
      ci = pci;
      ii = pii;
    }
    for (let steps = 0; ci < chunks.length; steps++) {
      const c = chunks[ci]!;
      const k = c.keys[ii]!;
      if (!(k < key || (k === key && compareEdges(c.edges[ii]!, probe) < 0))) break;
      if (steps === 8) return false;
      if (++ii === c.keys.length) {
        ci++;
        ii = 0;
      }
    }
    this.ci = ci;
    this.ii = ii;
    return true;
  }

  /** The smallest key, or Infinity when empty. */
  firstKey(): number {
    return this.chunks.length > 0 ? this.chunks[0]!.keys[0]! : Infinity;
  }

  insert(edge: Edge<R>): void {
    this.size++;
    this.version++;
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push(new Chunk([edge.key], [edge]));
      this.lastKeys.push(edge.key);
      return;
    }
    this.seek(edge);
    let ci = this.ci;
    let ii = this.ii;
    if (ci === chunks.length) {
      ci--;
      ii = chunks[ci]!.keys.length;
    }
    const c = chunks[ci]!;
    const { keys, edges } = c;
    keys.push(edge.key);
    edges.push(edge);
    for (let i = keys.length - 1; i > ii; i--) {
      keys[i] = keys[i - 1]!;
      edges[i] = edges[i - 1]!;
    }
    keys[ii] = edge.key;
    edges[ii] = edge;
    if (keys.length > MAX_CHUNK) {
      // slice and truncate: splice() on these arrays costs tens of microseconds.
      const half = keys.length >>> 1;
      const upper = new Chunk(keys.slice(half), edges.slice(half));
      keys.length = half;
      edges.length = half;
      chunks.splice(ci + 1, 0, upper);
      this.lastKeys.splice(ci + 1, 0, upper.keys[upper.keys.length - 1]!);
    }
    this.lastKeys[ci] = keys[keys.length - 1]!;
  }

  remove(edge: Edge<R>): boolean {
    this.seek(edge);
    const c = this.chunks[this.ci];
    if (c === undefined || c.edges[this.ii] !== edge) return false;
    this.version++;
    const { keys, edges } = c;
    for (let i = this.ii; i < keys.length - 1; i++) {
      keys[i] = keys[i + 1]!;
      edges[i] = edges[i + 1]!;
    }
    keys.pop();
    edges.pop();
    if (keys.length === 0) {
      this.chunks.splice(this.ci, 1);
      this.lastKeys.splice(this.ci, 1);
    } else {
      this.lastKeys[this.ci] = keys[keys.length - 1]!;
    }
    this.size--;
    return true;
  }
}
