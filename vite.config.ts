import { defineConfig } from 'vite';

export default defineConfig({
  // onnxruntime-web loads its .mjs glue and .wasm binary at run time from `wasmPaths`;
  // pre-bundling it would rewrite those imports, so Vite leaves it alone.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: true,
    // The .wasm runtime is about 30 MB and is meant to be that big.
    chunkSizeWarningLimit: 1024,
  },
  server: { port: 5173 },
  preview: { port: 5173 },
});
