import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors.js';

/** Paths the API owns: an unknown one is a JSON 404, never the page. */
const API_PREFIXES = ['/v1', '/docs', '/openapi.json', '/health', '/metrics', '/xmpp-websocket', '/assets'];

/**
 * The page loads only its own scripts and styles and talks only to its origin: REST,
 * and /xmpp-websocket (CSP3 'self' matches ws: and wss: to the same host). Inline
 * styles because Svelte and the chart library set some; blob: for CSV downloads
 * and chart snapshots; nothing from other hosts, no framing.
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob:",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** Vite writes only content-hashed names into assets/: a name never changes content. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface Dashboard {
  register(app: FastifyInstance): Promise<void>;
  /** Answers a GET of a path the API does not know (a file at the top of the build, or the page for a browser); false when it is not one. */
  fallback: (request: FastifyRequest, reply: FastifyReply) => boolean;
}

/** A file at the top of the build (favicon.svg, robots.txt): one plain segment, no dotfile. */
const TOP_FILE = /^\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * The built dashboard (ui/dist) at `/`: index.html for `/` and for the client-side routes
 * a browser navigates to, assets/ and the top-level files as they are, 503 while it is
 * not built. Nothing is routed as a catch-all, so API paths never reach the files.
 */
export function createDashboard({ dir }: { dir: string }): Dashboard {
  const root = resolve(dir);
  const index = join(root, 'index.html');
  const assets = join(root, 'assets') + sep;

  function sendIndex(reply: FastifyReply): void {
    // Checked per page load (cheap): a build while the API runs is picked up, and a
    // missing index never loops through the not-found handler.
    if (existsSync(index)) reply.sendFile('index.html');
    else
      reply.send(
        new ApiError('TICKDESK_API_UI_NOT_BUILT', 'the dashboard is not built: run `npm run build`, then reload'),
      );
  }

  const isFile = (path: string): boolean => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

  return {
    async register(app) {
      if (!existsSync(index))
        app.log.warn({ dir: root }, 'the dashboard is not built (no index.html): / answers 503 until `npm run build`');
      // serve: false: only reply.sendFile, which refuses paths leaving the root.
      await app.register(fastifyStatic, {
        root,
        serve: false,
        index: false,
        dotfiles: 'ignore',
        cacheControl: false,
        suppressWarning: true,
        setHeaders(reply: FastifyReply, path: string) {
          reply.headers(PAGE_HEADERS);
          reply.header('cache-control', path.startsWith(assets) ? IMMUTABLE : 'no-cache');
        },
      });
      const hidden = { schema: { hide: true } };
      app.get('/', hidden, (_request, reply) => {
        sendIndex(reply);
      });
      app.get('/assets/*', hidden, (request, reply) => {
        reply.sendFile(`assets/${(request.params as { '*': string })['*']}`);
      });
    },

    fallback(request, reply) {
      if (request.method !== 'GET') return false;
      const path = request.url.split('?', 1)[0]!;
      if (API_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`))) return false;
      if (TOP_FILE.test(path) && isFile(join(root, path))) {
        reply.sendFile(path.slice(1));
        return true;
      }
      if (!(request.headers.accept ?? '').includes('text/html')) return false;
      sendIndex(reply);
      return true;
    },
  };
}
