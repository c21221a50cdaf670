// The web app's build: root is web/, output goes to dist/web at the repository root, where the
// gateway (and nginx in production) serve it. `VITE_SAAS=1` in the environment makes the SaaS build.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react(), tailwindcss()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      // SSE must not be buffered; http-proxy streams it as is.
      '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false },
      '/events': { target: 'http://127.0.0.1:3000', changeOrigin: false },
    },
  },
});
