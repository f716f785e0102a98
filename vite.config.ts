import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

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
  plugins: [
    // The service worker (src/sw.ts), built into dist/sw.js with the precache list put in. It is
    // built and registered in production builds only, so `npm start` runs without one.
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      // src/client/service-worker.ts registers it, and public/manifest.webmanifest is the web app manifest.
      injectRegister: false,
      manifest: false,
      devOptions: { enabled: false },
      injectManifest: {
        // Paths relative to dist/. `assets/` contains the app's scripts, among them the inference
        // worker's, and the onnxruntime-web runtime files. Their names carry a content hash.
        globPatterns: [
          'index.html',
          'manifest.webmanifest',
          'favicon.svg',
          'icons/*.png',
          'assets/*.{js,mjs,css,wasm}',
          'models/*/manifest.json',
          'models/*/model.onnx',
          'data/churn.csv',
          'catalogue/*.{json,png}',
        ],
        // NOTE: the WASM-only runtime that engine.ts loads after a lost WebGPU device
        // (ort-wasm-simd-threaded-<hash>.wasm, about 15 MB) is left out, to spare every visitor the
        // download. Offline, a lost device then needs a reload, which loads the main runtime again.
        globIgnores: ['assets/ort-wasm-simd-threaded-*.wasm'],
        // The main runtime, ort-wasm-simd-threaded.jsep-<hash>.wasm, is 29,520,971 bytes in
        // onnxruntime-web 1.31.
        maximumFileSizeToCacheInBytes: 48 * 1024 * 1024,
      },
    }),
  ],
});
