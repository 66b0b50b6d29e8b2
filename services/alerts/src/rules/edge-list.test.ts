import { describe, expect, it } from 'vitest';
import { compareEdges, Edge, EdgeList } from './edge-list.js';

const edge = (value: string, kind = 0, seq = 0) => new Edge<null>(Number(value), value, kind, seq, null);
const show = (edges: Edge<null>[]) => edges.map((e) => `${e.value}/${e.kind}/${e.seq}`);
const values = (list: EdgeList<null>) => show(list.chunks.flatMap((c) => c.edges));

describe('compareEdges', () => {
  it('orders by exact value where the doubles tie, then kind, then seq', () => {
    const sorted = [
      edge('0.3', 2, 9),
      edge('0.300000000000000001', 0, 1),
      edge('0.300000000000000001', 1, 0),
      edge('0.300000000000000001', 1, 5),
    ];
    expect(Number('0.3')).toBe(Number('0.300000000000000001'));
    for (let i = 0; i < sorted.length; i++)
      for (let j = 0; j < sorted.length; j++)
        expect(Math.sign(compareEdges(sorted[i]!, sorted[j]!))).toBe(Math.sign(i - j));
  });
});

describe('EdgeList', () => {
  it('keeps edges sorted through random inserts and removes across many chunks', () => {
    let a = 7;
    const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const list = new EdgeList<null>();
    const all: Edge<null>[] = [];
    for (let i = 0; i < 5000; i++) {
      if (all.length > 0 && r() < 0.3) {
        const [e] = all.splice(Math.floor(r() * all.length), 1);
        expect(list.remove(e!)).toBe(true);
        expect(list.remove(e!)).toBe(false);
      } else {
        const e = edge(`${Math.floor(r() * 50)}.${Math.floor(r() * 3)}`, Math.floor(r() * 3), i);
        all.push(e);
        list.insert(e);
      }
    }
    expect(list.size).toBe(all.length);
    expect(list.chunks.length).toBeGreaterThan(2);
    expect(
      list.chunks.every(
        (c) => c.edges.length > 0 && c.edges.length <= 256 && c.keys.every((k, i) => k === c.edges[i]!.key),
      ),
    ).toBe(true);
    expect(values(list)).toEqual(show(all.sort(compareEdges)));
  });

  it('seekNear lands where seek does, as probes wander and the list changes', () => {
    let a = 5;
    const r = () => (a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const list = new EdgeList<null>();
    for (let i = 0; i < 2000; i++) {
      const e = edge(String(Math.floor(r() * 1000) / 10), Math.floor(r() * 3), i);
      list.insert(e);
    }
    let price = 50;
    for (let i = 0; i < 20_000; i++) {
      price = Math.max(0, price + (r() < 0.05 ? (r() - 0.5) * 40 : (r() - 0.5) * 0.6));
      const probe = edge(String(Math.round(price * 10) / 10), Math.floor(r() * 3), r() < 0.5 ? -1 : Infinity);
      list.seek(probe);
      const want = [list.ci, list.ii];
      list.seekNear(probe);
      expect([list.ci, list.ii]).toEqual(want);
      if (r() < 0.01) list.insert(edge(String(Math.floor(r() * 1000) / 10), 0, 10_000 + i));
    }
  });

  it('seeks the first edge not before a probe', () => {
    const list = new EdgeList<null>();
    for (const v of ['1', '2', '2', '3']) list.insert(edge(v, 0, list.size));
    list.seek(edge('2', 0, -1));
    expect([list.ci, list.ii]).toEqual([0, 1]);
    list.seek(edge('9', 0, -1));
    expect(list.ci).toBe(1);
    expect(list.firstKey()).toBe(1);
  });
});
