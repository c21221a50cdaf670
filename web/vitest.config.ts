// Vitest for the web app (jsdom). Run from the repository root:
//   npx vitest run --config web/vitest.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}', 'src/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default'],
    css: false,
    // One jsdom per worker instead of one per file: setting jsdom up dominated the run time.
    isolate: false,
    // The tests exercise the SaaS build (accounts, CSRF header); the self-hosted paths share the code.
    env: { VITE_SAAS: '1' },
  },
});
