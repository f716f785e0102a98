/**
 * Bundles the Node.js baselines, bench/native.ts (CSV) and bench/native-images.ts (images), and
 * the app's TypeScript modules they import, into ES modules that Node.js runs:
 * bench/.build/native/native.mjs and bench/.build/native/native-images.mjs. Packages such as
 * onnxruntime-node, papaparse, fflate and pngjs stay external and load from node_modules.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    ssr: true,
    outDir: 'bench/.build/native',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { native: 'bench/native.ts', 'native-images': 'bench/native-images.ts' },
      output: { entryFileNames: '[name].mjs' },
    },
  },
});
