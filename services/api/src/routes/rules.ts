import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { StoreError } from '@tickdesk/alerts';
import { Rule, RuleInput, RuleStatus, SYMBOL_PATTERN, validateRuleInput } from '@tickdesk/schemas';
import type { Caller, Role } from '../deps.js';
import { ApiError, badRequest, conflict, errorResponses, invalidRule, notFound } from '../errors.js';
import { BEARER } from '../plugins/openapi.js';
import { createRoleStore } from '@tickdesk/store';
import { USERNAME_PATTERN } from '../roles.js';
import { validatorCompiler } from '../validation.js';

const RuleParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
/** Optimistic concurrency: the version read, as `If-Match: "<version>"` or `?version=`. */
const IfMatch = Type.Object({ 'if-match': Type.Optional(Type.String({ pattern: '^(W/)?"?[0-9]{1,15}"?$' })) });
const VersionQuery = Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })) });
const ListQuery = Type.Object({
  owner: Type.Optional(Type.String({ pattern: USERNAME_PATTERN })),
  symbol: Type.Optional(Type.String({ pattern: SYMBOL_PATTERN })),
  status: Type.Optional(RuleStatus),
});
const RuleList = Type.Object({ rules: Type.Array(Rule) });

const errors = errorResponses(400, 401, 403);
const READ: Role[] = ['trader', 'compliance', 'admin'];
/** Compliance reads but never changes rules; an admin may change anyone's; a trader only their own. */
const WRITE: Role[] = ['trader', 'admin'];

const noRule = (id: string) => notFound(`no rule ${id}`);

/** Rules: the same validation as the engine's chat commands; every write is published to the engine by the RuleStore. */
export default async function rulesRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const common = { tags: ['rules'], security: BEARER };
  const { rules, redis, instruments } = app.deps;
  const userRoles = createRoleStore({ redis });
  const symbols = new Set(instruments.map((i) => i.symbol));
  // A rule body is checked by validateRuleInput, as the engine's chat commands check theirs:
  // a bad one is a 422 naming the field, not the schema's 400. The schema still documents it.
  app.setValidatorCompiler((req) => (req.httpPart === 'body' ? (value: unknown) => ({ value }) : validatorCompiler(req as Parameters<typeof validatorCompiler>[0])));

  async function traders(): Promise<Set<string>> {
    const roles = await userRoles.all();
    return new Set(Object.keys(roles).filter((user) => roles[user] === 'trader'));
  }

  /** The rule, if the caller may see it: someone else's looks the same as a missing one, so ids cannot be probed. */
  async function visible(id: string, caller: Caller): Promise<Rule> {
    const rule = await rules.get(id);
    if (!rule || (caller.role === 'trader' && rule.owner !== caller.user)) throw noRule(id);
    return rule;
  }

  /** The engine's validation (422 naming the field), then the schema as a last guard. */
  async function check(body: unknown, owner: string): Promise<RuleInput> {
    const res = validateRuleInput(body, { symbols, traders: await traders(), nowMicros: Date.now() * 1000, minCooldownSeconds: app.config.minCooldownSeconds });
    if (!res.ok) throw invalidRule(res.field, res.message);
    if (res.value.backup === owner) throw invalidRule('backup', 'must be another trader, not the owner');
    const wrong = Value.Errors(RuleInput, res.value).First();
    if (wrong) throw invalidRule(wrong.path.slice(1) || 'rule', wrong.message);
    return res.value;
  }

  /** The version the client read, from If-Match or ?version=. */
  function expectedVersion(request: { headers: { 'if-match'?: string }; query: { version?: number } }): number | undefined {
    const header = request.headers['if-match'];
    const fromHeader = header === undefined ? undefined : Number(header.replace(/^W\//, '').replaceAll('"', ''));
    const fromQuery = request.query.version;
    if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery) throw badRequest('If-Match and ?version= name different versions');
    return fromHeader ?? fromQuery;
  }
  const etag = (rule: Rule) => `"${rule.version}"`;

  app.get('/rules', {
    onRequest: [app.authenticate, app.requireRole(...READ)],
    schema: { ...common, summary: 'List rules: a trader their own; compliance and admin everyone\'s', querystring: ListQuery, response: { 200: RuleList, ...errors } },
  }, async (request) => {
    const { caller } = request;
    const { owner, symbol, status } = request.query;
    if (caller.role === 'trader' && owner !== undefined && owner !== caller.user) return { rules: [] };
    const who = caller.role === 'trader' ? caller.user : owner;
    const all = await rules.list(who === undefined ? {} : { owner: who });
    return { rules: all.filter((r) => (symbol === undefined || r.symbol === symbol) && (status === undefined || r.status === status)) };
  });

  app.get('/rules/:id', {
    onRequest: [app.authenticate, app.requireRole(...READ)],
    schema: { ...common, summary: 'One rule; its version is also the ETag', params: RuleParams, response: { 200: Rule, ...errors, ...errorResponses(404) } },
  }, async (request, reply) => {
    const rule = await visible(request.params.id, request.caller);
    return reply.header('etag', etag(rule)).send(rule);
  });

  app.post('/rules', {
    onRequest: [app.authenticate, app.requireRole('trader')],
    schema: { ...common, summary: "Create a rule of the caller's own (at most TICKDESK_ALERTS_MAX_RULES_PER_TRADER stored per trader: 409 TICKDESK_API_RULE_LIMIT)", body: RuleInput, response: { 201: Rule, ...errors, ...errorResponses(409, 422) } },
  }, async (request, reply) => {
    const owner = request.caller.user;
    const input = await check(request.body, owner);
    // The cap is counted in the store's create script, so chat, ad-hoc and REST share it and racing creates cannot pass it.
    const rule = await rules.create(owner, input).catch((err: unknown) => {
      if (err instanceof StoreError && err.code === 'TICKDESK_ALERTS_STORE_RULE_LIMIT') throw new ApiError('TICKDESK_API_RULE_LIMIT', err.message);
      throw err;
    });
    return reply.code(201).header('location', `${request.routeOptions.url}/${rule.id}`).header('etag', etag(rule)).send(rule);
  });

  app.put('/rules/:id', {
    onRequest: [app.authenticate, app.requireRole(...WRITE)],
    schema: {
      ...common, summary: "Replace a rule's input (its status stays); If-Match or ?version= for optimistic concurrency",
      params: RuleParams, headers: IfMatch, querystring: VersionQuery, body: RuleInput,
      response: { 200: Rule, ...errors, ...errorResponses(404, 409, 422) },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const expected = expectedVersion(request);
    const rule = await visible(id, request.caller);
    const updated = await rules.update(id, await check(request.body, rule.owner), expected);
    if (updated === 'not-found') throw noRule(id);
    if (updated === 'version-conflict') throw conflict(`rule ${id} is no longer at version ${expected}: read it again`);
    return reply.header('etag', etag(updated)).send(updated);
  });

  for (const [action, from, to] of [['pause', 'active', 'paused'], ['resume', 'paused', 'active']] as const) {
    app.post(`/rules/:id/${action}`, {
      onRequest: [app.authenticate, app.requireRole(...WRITE)],
      schema: {
        ...common, summary: `${action === 'pause' ? 'Pause an active' : 'Resume a paused'} rule`,
        params: RuleParams, headers: IfMatch, querystring: VersionQuery,
        response: { 200: Rule, ...errors, ...errorResponses(404, 409) },
      },
    }, async (request, reply) => {
      const { id } = request.params;
      const expected = expectedVersion(request);
      const rule = await visible(id, request.caller);
      if (expected !== undefined && expected !== rule.version) throw conflict(`rule ${id} is at version ${rule.version}, not ${expected}`);
      if (rule.status !== from) throw conflict(`rule ${id} is ${rule.status}, not ${from}`);
      // Compare-and-set on the version whose status was checked: a firing in between is a conflict, not lost.
      const updated = await rules.setStatus(id, to, rule.version);
      if (updated === 'not-found') throw noRule(id);
      if (updated === 'version-conflict') throw conflict(`rule ${id} changed meanwhile: read it again`);
      return reply.header('etag', etag(updated)).send(updated);
    });
  }

  app.delete('/rules/:id', {
    onRequest: [app.authenticate, app.requireRole(...WRITE)],
    schema: { ...common, summary: 'Delete a rule', params: RuleParams, response: { 204: Type.Null({ description: 'Deleted' }), ...errors, ...errorResponses(404) } },
  }, async (request, reply) => {
    const { id } = request.params;
    await visible(id, request.caller);
    if (!(await rules.remove(id))) throw noRule(id);
    return reply.code(204).send(null);
  });
}
