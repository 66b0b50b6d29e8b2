/** The nodes of a clustered server in the order a client walks them. */
export interface NodeRing {
  readonly size: number;
  /** The node the client is on, or was on last. */
  current(): string;
  /** Moves to the node after the current one and returns it. */
  next(): string;
  /** Back to the first node (`service`), where every start begins. */
  rewind(): string;
}

/** `service` first, then the other nodes in their order after it (so every client walks the ring the same way). */
export function createNodeRing(service: string, services: readonly string[] = []): NodeRing {
  const at = services.indexOf(service);
  const nodes = at < 0 ? [service, ...services] : [...services.slice(at), ...services.slice(0, at)];
  let current = 0;
  return {
    size: nodes.length,
    current: () => nodes[current]!,
    next() {
      current = (current + 1) % nodes.length;
      return nodes[current]!;
    },
    rewind() {
      current = 0;
      return nodes[current]!;
    },
  };
}
