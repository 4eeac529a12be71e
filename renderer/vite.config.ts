import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

/** The renderer: one page, built to renderer/dist for web mode and the Electron app:// protocol. */
export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs: the same build is served over http:// and app://.
  base: './',
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 1024 },
});
