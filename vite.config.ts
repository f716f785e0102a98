import { defineConfig, type Plugin } from 'vite';

/**
 * The Content-Security-Policy of the built app pages, sent as a meta tag because the app is static
 * and has no server of its own to send headers. It allows what Tandem needs and nothing more:
 * its own scripts and workers, WebAssembly compilation ('wasm-unsafe-eval', not 'unsafe-eval'),
 * models fetched over HTTPS from other sites (data only, never run as script), blob: and data:
 * images for previews, and inline styles for the page's small <style> block.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' https: blob:",
  "img-src 'self' blob: data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Adds the policy to the app's HTML in production builds; the dev server needs its own scripts and socket. */
function contentSecurityPolicyTag(): Plugin {
  return {
    name: 'tandem-content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy }, injectTo: 'head-prepend' }],
  };
}
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
    contentSecurityPolicyTag(),
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
        // Both runtime builds are cached: the plain WASM one (ort-wasm-simd-threaded-<hash>.wasm,
        // 14,848,852 bytes in onnxruntime-web 1.31) runs the WASM backend, and the JSEP one
        // (ort-wasm-simd-threaded.jsep-<hash>.wasm, 29,520,971 bytes) the WebGPU backend, so
        // either backend starts offline.
        maximumFileSizeToCacheInBytes: 48 * 1024 * 1024,
      },
    }),
  ],
});
