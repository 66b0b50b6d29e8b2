export type SequenceVerdict = { kind: 'next' } | { kind: 'duplicate' } | { kind: 'gap'; from: number; to: number };

export interface SequenceTracker {
  /** Classifies a venue trade id against the last one seen for the symbol. */
  check(symbol: string, id: number): SequenceVerdict;
}

/**
 * Binance trade ids increase by one per symbol, so a jump means missed trades (for
 * example while reconnecting) and an id not above the last one is a repeat. The
 * first id seen for a symbol is taken as it comes.
 */
export function createSequenceTracker(): SequenceTracker {
  const last = new Map<string, number>();
  return {
    check(symbol, id) {
      const prev = last.get(symbol);
      if (prev !== undefined && id <= prev) return { kind: 'duplicate' };
      last.set(symbol, id);
      if (prev !== undefined && id > prev + 1) return { kind: 'gap', from: prev + 1, to: id - 1 };
      return { kind: 'next' };
    },
  };
}
