import { Type, type Static } from '@sinclair/typebox';

/** A trader's presence as the desk routes by it (docs/alerts-protocol.md §3): RFC 6121 §4.7.2.1 show values, `chat` folded into online. */
export const DeskShow = Type.Union([
  Type.Literal('online'),
  Type.Literal('away'),
  Type.Literal('xa'),
  Type.Literal('dnd'),
  Type.Literal('offline'),
]);
export type DeskShow = Static<typeof DeskShow>;
export const DESK_SHOWS: readonly DeskShow[] = ['online', 'away', 'xa', 'dnd', 'offline'];

/**
 * A trader's presence folded over their resources: the alert engine writes it to Redis
 * (`td:presence`, field = trader), the REST API answers it (GET /v1/presence) and the
 * dashboard reads it. `since` (UTC, ms) is absent only in the API's answer for a trader
 * the engine has not seen yet; the stored record always has it.
 */
export const TraderPresence = Type.Object({
  trader: Type.String(),
  show: DeskShow,
  status: Type.Optional(Type.String()),
  /** When `show` last changed (UTC, ms); absent for a trader the engine has not seen yet. */
  since: Type.Optional(Type.String()),
});
export type TraderPresence = Static<typeof TraderPresence>;
/** The record as the engine stores it: `since` is always known. */
export type StoredPresence = TraderPresence & { since: string };
