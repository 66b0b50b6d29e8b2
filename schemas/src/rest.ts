import { Type, type Static } from '@sinclair/typebox';
import { AlertHops } from './alert-hops.js';
import { AlertRecord } from './alert-record.js';
import { Bar, BarInterval } from './bar.js';
import { Instrument, SYMBOL_PATTERN } from './instrument.js';
import { LastPrice } from './last-price.js';
import { TraderPresence } from './presence.js';
import { DeskRoleSchema } from './roles.js';
import { Rule } from './rule.js';

/*
 * The REST API's response bodies (services/api/src/routes/*). The API declares these
 * schemas as its routes' responses, so they are what it validates, serialises and
 * documents at /docs; the dashboard takes its types from them (`Static<typeof X>`)
 * through the browser-safe `@tickdesk/schemas/rest` entry, so the two cannot differ.
 * This module may import only TypeBox and browser-safe schema modules.
 */

/** POST /auth/token. */
export const IssuedToken = Type.Object(
  {
    token: Type.String({ description: 'send as `Authorization: Bearer <token>`' }),
    expiresAt: Type.String({ description: 'UTC, XEP-0082' }),
    user: Type.String(),
    role: DeskRoleSchema,
  },
  { additionalProperties: false },
);
export type IssuedToken = Static<typeof IssuedToken>;

/** GET /instruments. */
export const InstrumentList = Type.Object({ instruments: Type.Array(Instrument) }, { additionalProperties: false });
export type InstrumentList = Static<typeof InstrumentList>;
/** GET /prices. */
export const LastPriceList = Type.Object({ prices: Type.Array(LastPrice) }, { additionalProperties: false });
export type LastPriceList = Static<typeof LastPriceList>;

/** GET /instruments/:symbol/candles. */
export const CandlePage = Type.Object(
  {
    symbol: Type.String({ pattern: SYMBOL_PATTERN }),
    interval: BarInterval,
    candles: Type.Array(Bar, { description: 'oldest first; buckets without trades are absent' }),
    nextCursor: Type.Optional(
      Type.String({
        description: 'pass as `cursor` (with the same from/to) for the next page; absent on the last page',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CandlePage = Static<typeof CandlePage>;

/** GET /rules. */
export const RuleList = Type.Object({ rules: Type.Array(Rule) });
export type RuleList = Static<typeof RuleList>;

/** An alert as the API answers it: the record and its hop durations (alert-hops.ts). */
export const AlertView = Type.Composite([AlertRecord, Type.Object({ hops: AlertHops })]);
export type AlertView = Static<typeof AlertView>;
/** GET /alerts: alerts with their whole lifecycle, newest first. */
export const AlertPage = Type.Object({ alerts: Type.Array(AlertView), next: Type.Optional(Type.String()) });
export type AlertPage = Static<typeof AlertPage>;

/**
 * One member of GET /presence: a desk trader by username, or a partner desk's trader whose
 * presence the alert engine follows (a rule names them), by bare JID, with `remote` and the
 * partner desk's `domain`.
 */
export const DeskMemberPresence = Type.Composite([
  TraderPresence,
  Type.Object({
    remote: Type.Optional(Type.Literal(true, { description: "a partner desk's trader; `trader` is their bare JID" })),
    domain: Type.Optional(Type.String({ description: "the partner desk's XMPP domain (with `remote` only)" })),
  }),
]);
export type DeskMemberPresence = Static<typeof DeskMemberPresence>;

/** GET /presence: the desk's traders by username, then partner desks' traders by domain and JID. */
export const TraderPresenceList = Type.Object({ traders: Type.Array(DeskMemberPresence) });
export type TraderPresenceList = Static<typeof TraderPresenceList>;

/** One device of the desk's MQTT broker (GET /devices). */
export const Device = Type.Object(
  {
    name: Type.String({ description: 'its MQTT client name and username' }),
    topics: Type.String({
      description: 'the topic prefix it may publish under (`<topics>/#`); it subscribes to nothing',
    }),
  },
  { additionalProperties: false },
);
export type Device = Static<typeof Device>;

/** GET /devices. */
export const DeviceList = Type.Object(
  { devices: Type.Array(Device), max: Type.Integer({ description: 'the most devices the broker may hold' }) },
  { additionalProperties: false },
);
export type DeviceList = Static<typeof DeviceList>;

/** POST /devices: the new device's password, shown once (the broker keeps only a salted hash). */
export const DeviceCreated = Type.Object(
  {
    name: Type.String(),
    topics: Type.String(),
    password: Type.String(),
    broker: Type.Object(
      { host: Type.String(), port: Type.Integer() },
      { description: "the broker's MQTT listener, TLS only: trust the desk's CA (`certs/ca.crt` of the desk folder)" },
    ),
  },
  { additionalProperties: false },
);
export type DeviceCreated = Static<typeof DeviceCreated>;

const HEX64 = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** GET /audit/verify. */
export const AuditVerdict = Type.Union([
  Type.Object({
    ok: Type.Literal(true),
    records: Type.Integer(),
    head: HEX64,
    /** Records whose HMAC this desk's key confirms. */
    keyed: Type.Integer(),
    /** Records from before the desk had an audit key: only their SHA-256 links are checked. */
    unkeyed: Type.Integer(),
  }),
  Type.Object({ ok: Type.Literal(false), records: Type.Integer(), brokenSeq: Type.Integer(), reason: Type.String() }),
]);
export type AuditVerdict = Static<typeof AuditVerdict>;

export const ComponentState = Type.Union([
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('degraded'),
  Type.Literal('stopped'),
]);
export type ComponentState = Static<typeof ComponentState>;

/** One component of GET /health. */
export const ComponentHealth = Type.Object(
  {
    state: ComponentState,
    detail: Type.Optional(Type.String({ maxLength: 300 })),
    latencyMs: Type.Optional(Type.Number({ minimum: 0 })),
    /** Restarts of the component's process by `tickdesk up`, its last exit (`SIGKILL`, `exit 1`) and restart time. */
    restarts: Type.Optional(Type.Integer({ minimum: 0 })),
    lastExit: Type.Optional(Type.String({ maxLength: 200 })),
    lastRestartAt: Type.Optional(Type.String({ maxLength: 40 })),
    /** A Sentinel desk's Redis processes: which one is the primary now. */
    role: Type.Optional(Type.Union([Type.Literal('primary'), Type.Literal('replica')])),
  },
  { additionalProperties: false },
);
export type ComponentHealth = Static<typeof ComponentHealth>;

/** GET /health (no token; 503 with the same body while a component is not running). */
export const HealthReport = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
    time: Type.String(),
    components: Type.Record(Type.String(), ComponentHealth),
  },
  { additionalProperties: false },
);
export type HealthReport = Static<typeof HealthReport>;

export * from './webhook.js';
export { HOP_BUCKETS_MS, HopLatency, HopStats } from './hop-stats.js';
export * from './silence.js';
