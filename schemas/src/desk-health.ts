import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A long-running part's own view of itself (CONVENTIONS.md §3). */
export const PartHealthState = Type.Union([
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('degraded'),
  Type.Literal('stopped'),
]);
export type PartHealthState = Static<typeof PartHealthState>;

/**
 * The alert engine's record in Redis for /health (@tickdesk/store heartbeat-store.ts), rewritten every
 * HEARTBEAT_EVERY_MS with a TTL of HEARTBEAT_TTL_MS, so a dead writer's record disappears.
 * The feed and the recorder answer the same shape at GET /state on their metrics port.
 */
export const Heartbeat = Type.Object({
  state: PartHealthState,
  /** Unix milliseconds of the write. */
  at: Type.Number(),
  detail: Type.Optional(Type.String({ maxLength: 300 })),
  /** The writing process: a record left by a process that has since died names another pid. */
  pid: Type.Optional(Type.Integer()),
});
export type Heartbeat = Static<typeof Heartbeat>;
export const PartStateReport = Type.Object({ state: PartHealthState, detail: Type.Optional(Type.String()) });
export type PartStateReport = Static<typeof PartStateReport>;

export const HEARTBEAT_EVERY_MS = 2_000;
export const HEARTBEAT_TTL_MS = 10_000;

/**
 * The engine's heartbeat as read back: absent, unreadable or older than the TTL is
 * `degraded`; written by another process than `livePid` (the one running now) is `starting`.
 */
export function readHeartbeat(
  json: string | null,
  nowMs: number,
  who: string,
  livePid?: number,
): { state: PartHealthState; detail?: string } {
  if (!json) return { state: 'degraded', detail: `no heartbeat from the ${who}` };
  let beat: unknown;
  try {
    beat = JSON.parse(json);
  } catch {
    beat = undefined;
  }
  if (!Value.Check(Heartbeat, beat)) return { state: 'degraded', detail: `unreadable heartbeat from the ${who}` };
  if (nowMs - beat.at > HEARTBEAT_TTL_MS)
    return {
      state: 'degraded',
      detail: `last heartbeat from the ${who} ${Math.round((nowMs - beat.at) / 1000)} s ago`,
    };
  if (livePid !== undefined && beat.pid !== undefined && beat.pid !== livePid)
    return { state: 'starting', detail: `the ${who} restarts (no heartbeat from pid ${livePid} yet)` };
  if (beat.state === 'running' || beat.state === 'starting') return { state: beat.state };
  return {
    state: 'degraded',
    detail: `${who} reports ${beat.state}${beat.detail ? `: ${beat.detail}` : ''}`.slice(0, 300),
  };
}

/** One supervised part of a desk (the XMPP server, Redis, each service) as `tickdesk up` records it. */
export const DeskPart = Type.Object({
  state: Type.Union([
    Type.Literal('starting'),
    Type.Literal('running'),
    Type.Literal('restarting'),
    Type.Literal('failed'),
    Type.Literal('stopped'),
  ]),
  pid: Type.Integer(),
  restarts: Type.Integer({ minimum: 0 }),
  lastExit: Type.Optional(Type.String()),
  lastRestartAt: Type.Optional(Type.String()),
  /** The part's loopback port serving GET /metrics (Prometheus) and GET /state (PartStateReport), when it has one. */
  metricsPort: Type.Optional(Type.Integer()),
});
export type DeskPart = Static<typeof DeskPart>;

/** `<TICKDESK_HOME>/desk.json`: written by `tickdesk up`, read by `status`, `down` and the API's /health. */
export const DeskStateFile = Type.Object({
  pid: Type.Integer(),
  startedAt: Type.String(),
  domain: Type.String(),
  ports: Type.Object({
    xmpp: Type.Integer(),
    xmppTls: Type.Integer(),
    xmppHttp: Type.Integer(),
    xmppDist: Type.Optional(Type.Integer()),
    redis: Type.Integer(),
    /** The MQTT broker's TLS listener (a desk running the mqtt feed). */
    mqtt: Type.Optional(Type.Integer()),
  }),
  /** The XMPP server the desk runs (absent in files of older desks: Prosody). */
  xmppServer: Type.Optional(Type.Union([Type.Literal('prosody'), Type.Literal('ejabberd')])),
  /** Its nodes, each with its own ports (one today). */
  xmppNodes: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String(),
        c2sPort: Type.Integer(),
        c2sDirectTlsPort: Type.Integer(),
        httpPort: Type.Integer(),
        distPort: Type.Integer(),
      }),
    ),
  ),
  /** Every supervised part by name: redis, xmpp (whichever server), recorder, alerts, feed, api. */
  parts: Type.Record(Type.String(), DeskPart),
});
export type DeskStateFile = Static<typeof DeskStateFile>;

/** desk.json's text, checked; undefined when it is not a desk state. */
export function parseDeskState(text: string): DeskStateFile | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return Value.Check(DeskStateFile, v) ? v : undefined;
  } catch {
    return undefined;
  }
}
