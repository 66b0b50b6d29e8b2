import { Type } from '@sinclair/typebox';

/**
 * The roles the account directory records in `td:users` (field = user name). A person's
 * desk role is one of DESK_ROLES; service accounts (feed, recorder, alerts) have
 * `service`; a disabled account has DISABLED_ROLE: the account directory writes it, the
 * alert engine reads it (pausing the account's rules and retiring alerts to it).
 */
export const DESK_ROLES = ['trader', 'analyst', 'compliance', 'admin'] as const;
export type DeskRole = (typeof DESK_ROLES)[number];
/** A desk role as a schema (REST bodies that assign one). */
export const DeskRoleSchema = Type.Union(DESK_ROLES.map((r) => Type.Literal(r)));
export const DISABLED_ROLE = 'disabled';
/** Every value `td:users` holds. */
export type AccountRole = DeskRole | 'service' | typeof DISABLED_ROLE;

export const isDeskRole = (value: unknown): value is DeskRole =>
  typeof value === 'string' && (DESK_ROLES as readonly string[]).includes(value);
