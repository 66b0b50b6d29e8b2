import { warn } from './log.js';

/** A typed event map: `on` returns its own unsubscribe; one handler's exception never stops the others. */
export function createEmitter<E extends object>() {
  const handlers = new Map<keyof E, Set<(payload: never) => void>>();
  // Arrows, not methods: stores hand `on` out on their own objects, detached from this one.
  const on = <K extends keyof E>(event: K, handler: (payload: E[K]) => void): (() => void) => {
    let set = handlers.get(event);
    if (!set) handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => void set.delete(handler);
  };
  const emit = <K extends keyof E>(event: K, payload: E[K]): void => {
    for (const h of handlers.get(event) ?? []) {
      try {
        (h as (payload: E[K]) => void)(payload);
      } catch (err) {
        warn('event handler failed', { event: String(event), err });
      }
    }
  };
  return { on, emit };
}
