/*
 * Redis layout of the alert engine's stores (prefix `td:` by default). The key builders are
 * declared in @tickdesk/store (keys.ts), with every other family of the desk; the key
 * layout with writers and readers is in docs/architecture.md. What each key holds:
 *
 * Each store's keys share a hash tag ({audit}, {alerts}, {rules}) so that on Redis
 * Cluster every Lua script touches one slot; on a single Redis the tag is just text.
 * Nothing here has a TTL but the rate-cap windows: the audit chain and alert history are kept until an operator
 * archives them.
 *
 * Redis users (infra/src/redis-auth.ts): `alerts` (the engine) reads and writes all three
 * families; `api` reads and writes rules and alerts and only reads the audit chain. The
 * audit chain's hashes are HMACs with a key kept outside Redis (audit-key.ts).
 *
 * Audit chain (audit-chain.ts; one writer script, append only):
 *   td:{audit}:log               stream  entry id "<seq>-0"; fields r = the record's canonical
 *                                        serialisation without its hash (exactly the bytes hashed,
 *                                        see audit-record.ts), h = its hash (HMAC-SHA256 with the
 *                                        audit key, lowercase hex), k = that key's id; a record from
 *                                        before the desk had a key has no k and h = plain sha256
 *   td:{audit}:head              hash    seq, hash, ms (epoch ms of the last record's time): the tip
 *                                        the append script checks and moves, and verify() compares
 *   td:{audit}:by-time           zset    score = record time (epoch ms), member = seq padded to 16
 *                                        digits (so equal times order by seq); times never decrease
 *                                        along the chain, so a time range is a seq range
 *   td:{audit}:trader:<trader>   zset    score = member = seq, the records of one trader
 *   td:{audit}:symbol:<SYMBOL>   zset    score = member = seq, the records of one instrument
 *   td:{audit}:alert:<alertId>   zset    score = member = seq, the records of one alert
 *   td:{audit}:feed-cursor       string  the last seq published to the `audit` pubsub node and
 *                                        acknowledged by the XMPP server (audit-feed/audit-tail.ts)
 *
 * Alerts: outbox and history (alert-store.ts):
 *   td:{alerts}:alert:<id>       hash    doc = JSON of the fields that never change; state, attempts,
 *                                        next (nextActionAt, epoch ms), recipient; life = JSON array
 *                                        of lifecycle steps; member = "<firedAt, ms ISO>|<id>"
 *   td:{alerts}:outbox           zset    score = nextActionAt (epoch ms), member = id; exactly the
 *                                        alerts in an outbox state (pending, held, sent, server-acked,
 *                                        escalated)
 *   td:{alerts}:held             zset    score 0, member = "<recipient>|<id>": alerts held while their
 *                                        recipient is busy, read per trader by lex range
 *   td:{alerts}:by-time          zset    score 0, member = "<firedAt, ms ISO>|<id>": every alert; lex
 *                                        order is time order, and a member is the paging cursor
 *   td:{alerts}:by-trader:<owner>    zset  the same members, one owner's alerts
 *   td:{alerts}:by-symbol:<SYMBOL>   zset  the same members, one instrument's alerts
 *   td:{alerts}:by-state:<state>     zset  the same members, the alerts now in that state
 *   td:{alerts}:fence            hash    SYMBOL → the largest lease token an outbox write carried
 *   td:{alerts}:once-fired       hash    rule id → the version of a once rule that has an alert: written
 *                                        by the create script with the alert (the rule's own status is in
 *                                        {rules}, another slot), which refuses a second alert of a marked rule
 *   td:{alerts}:rate:rule:<id>   zset    member = alert id, score = ms: the alerts a repeating rule sent in
 *   td:{alerts}:rate:owner:<o>   zset    the rate window, and one owner's; counted by the create script,
 *                                        shared by every engine; PEXPIRE = the window
 *
 * Rules (rule-store.ts):
 *   td:{rules}:rule:<id>         hash    v = version, owner, json = the Rule as JSON (known fields only)
 *   td:{rules}:ids               zset    score 0, member = rule id (ids sort by creation time)
 *   td:{rules}:owner:<owner>     zset    score 0, member = rule id, one owner's rules
 *   td:rules:changes             pub/sub channel: {"id","version","op":"upsert"|"remove"} after
 *                                        every committed write, published by the writing script
 *
 * Rule writes per user (write-budget.ts), shared with the REST API's @fastify/rate-limit:
 *   td:api:rate:user:<name>      string  writes in the current window; PEXPIRE = the window's rest
 *
 * The per-owner rule cap is the size of td:{rules}:owner:<owner>, checked by the create script.
 * Alerts in state suppressed or retired are in by-state like the others, never in the outbox.
 */

export { alertKeys, auditKeys, DEFAULT_PREFIX, ruleKeys } from '@tickdesk/store';
