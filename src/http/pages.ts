// The web pages the server serves itself: the supervisor dashboard at / and the agent desktop at
// /agent, built by Vite into dist/pages at `npm run build`. Every page is served with a strict
// Content-Security-Policy: scripts, styles, images and connections from the server itself only,
// nothing inline, no frames, no forms posted elsewhere. User data is rendered as text by the pages
// themselves (Preact escapes it; e-mail HTML is sanitised with DOMPurify first).

import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

/**
 * 'self' covers ws:// and wss:// to the same host in current browsers. Images may be data: URLs
 * (an icon); an e-mail's remote images are not loaded, which keeps tracking pixels out too.
 */
export const pagesContentSecurityPolicy = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Where Vite put the pages: dist/pages, beside this file in dist/http (or, under the tests, from the build). */
export function pagesDirectory(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? resolve(dirname(here), '../../dist/pages') : resolve(dirname(here), '../pages');
}

const pages: Record<string, string> = { '/': 'dashboard/index.html', '/agent': 'agent/index.html' };

export function registerPages(http: FastifyInstance): void {
  const root = pagesDirectory();
  const built = existsSync(resolve(root, 'dashboard/index.html'));
  const secure = (reply: FastifyReply) => reply
    .header('content-security-policy', pagesContentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache');
  void http.register(async (scope) => {
    if (built) {
      await scope.register(fastifyStatic, { root, serve: false });
      // Assets carry a content hash in their names: they never change.
      await scope.register(fastifyStatic, { root: resolve(root, 'assets'), prefix: '/assets/', decorateReply: false, immutable: true, maxAge: '365d', setHeaders: (response) => response.setHeader('x-content-type-options', 'nosniff') });
    }
    for (const [path, file] of Object.entries(pages)) {
      scope.get(path, { schema: { hide: true } }, async (_request, reply) => {
        if (!built) return reply.code(404).type('text/plain').send('The web pages are not built: run `npm run build`.');
        return secure(reply).sendFile(file);
      });
    }
  });
}
