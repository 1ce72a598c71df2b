/** Builds the demo to dist/ (served by the API at `/`); `vite` alone proxies /v1 to a local API. */
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, assetsInlineLimit: 0, reportCompressedSize: false },
  server: { proxy: { '/v1': process.env.UNMASK_API ?? 'http://127.0.0.1:8080' } },
});
