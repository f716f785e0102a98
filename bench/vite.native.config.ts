/**
 * Bundles bench/native.ts, and the app's TypeScript modules it imports, into one ES module that
 * Node.js runs: bench/.build/native/native.mjs. Packages such as onnxruntime-node and papaparse
 * stay external and load from node_modules.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: 'bench/native.ts',
    outDir: 'bench/.build/native',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { entryFileNames: 'native.mjs' } },
  },
});
