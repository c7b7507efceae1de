// The web pages (src/pages): the supervisor dashboard and the agent desktop, built into dist/pages
// for the server to serve (src/http/pages.ts). Preact's JSX through Vite's own transform; no
// inline script or style, so the pages run under a strict Content-Security-Policy.

import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/pages',
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/pages',
    emptyOutDir: true,
    // The polyfill is an inline script, which the CSP refuses; every browser the pages target has modulepreload.
    modulePreload: { polyfill: false },
    // No data: URLs for scripts or styles; small images may be (the CSP allows data: images).
    assetsInlineLimit: 0,
    rollupOptions: { input: { dashboard: 'src/pages/dashboard/index.html', agent: 'src/pages/agent/index.html' } },
  },
});
