// The viewer is served by the agent under a strict Content-Security-Policy
// (script-src 'self'; style-src 'self'): the build must emit only external scripts
// and stylesheets, no inline code, and no module-preload polyfill injected inline.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev -w ui` against an agent started with --serve on the default address
    proxy: { '/api': 'http://127.0.0.1:7443', '/ws': { target: 'ws://127.0.0.1:7443', ws: true }, '/login': 'http://127.0.0.1:7443' },
  },
});
