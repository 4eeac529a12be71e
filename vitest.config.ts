import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['engine/**/*.test.ts', 'main/**/*.test.ts'],
          // The ISA and differential suites boot real images; give them room on a 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Svelte components in jsdom, compiled for the browser as Vite builds them.
        plugins: [svelte(), svelteTesting()],
        test: {
          name: 'renderer',
          include: ['renderer/src/**/*.test.ts'],
          environment: 'jsdom',
        },
      },
      {
        // The built app in Chromium against a real `hvlab serve` (npm run build first).
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
