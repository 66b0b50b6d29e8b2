import type { ApiApp } from './app.js';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> }>;
  security?: unknown[];
}
export type OpenApiDoc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Error statuses whose body is a document, not `{ code, message }`. */
const NOT_ERRORS = new Set(['GET /health 503']);

/** fastify's `/a/:b` as OpenAPI's `/a/{b}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Differences between the routes the app registered and its OpenAPI document: a
 * route missing from the document, a documented operation with no route, or
 * declared status codes that differ. Empty when they agree.
 */
export function openApiDrift(app: ApiApp, doc: OpenApiDoc): string[] {
  const problems: string[] = [];
  const routes = app.registeredRoutes.filter((r) => !r.hidden);
  const known = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.url);
    const method = route.method.toLowerCase();
    known.add(`${method} ${path}`);
    const op = doc.paths[path]?.[method];
    if (!op) {
      problems.push(`${route.method} ${route.url} is not in the document`);
      continue;
    }
    const documented = Object.keys(op.responses ?? {})
      .sort()
      .join(',');
    const declared = [...route.statuses].sort().join(',');
    if (documented !== declared)
      problems.push(`${route.method} ${route.url}: declares ${declared}, documented ${documented}`);
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      if (Number(status) < 400 || NOT_ERRORS.has(`${route.method} ${route.url} ${status}`)) continue;
      const props = response.content?.['application/json']?.schema?.properties;
      if (!props || !('code' in props) || !('message' in props))
        problems.push(`${route.method} ${route.url} ${status}: not { code, message }`);
    }
  }
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops))
      if (!known.has(`${method} ${path}`))
        problems.push(`${method.toUpperCase()} ${path} is documented but not routed`);
  }
  return problems;
}
