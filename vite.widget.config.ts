/**
 * Builds `<tandem-widget>` into `dist/widget/`: `tandem-widget.js` (an ES module that registers the
 * element), the inference worker and the onnxruntime-web files under `dist/widget/assets/`.
 * Run after the app build, which writes the rest of `dist/` (the models and the storefront pages).
 *
 * `base: './'` makes every URL in the output relative to the module that uses it
 * (`new URL('file', import.meta.url)`), so the widget finds its worker and the runtime wherever
 * `dist/` is served, on any path or origin.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const outDir = 'dist/widget';

/** The maximum gzipped size of the widget's JavaScript, in bytes, without the .wasm runtime and the models. */
const maxGzipBytes = 150 * 1000;

/**
 * hnswlib-wasm's script, mostly its wasm binary as base64. The worker imports it only for a
 * catalogue above 100,000 products, so, like the .wasm runtime, it is left out of the limit.
 */
const lazyWasmScript = /(^|\/)hnswlib-[\w-]+\.m?js$/;

/** Prints the gzipped size of every JavaScript file of the widget build and fails the build above {@link maxGzipBytes}. */
function gzipSizeLimit(): Plugin {
  return {
    name: 'tandem-widget-size-limit',
    apply: 'build',
    // The worker's files are in this bundle too: the worker plugin emits them as assets.
    generateBundle(_options, bundle) {
      const scripts = Object.values(bundle).filter((file) => /\.m?js$/.test(file.fileName));
      let total = 0;
      for (const file of scripts) {
        const size = gzipSync(file.type === 'chunk' ? file.code : file.source, { level: 9 }).length;
        if (lazyWasmScript.test(file.fileName)) {
          this.info(`${file.fileName}: ${(size / 1000).toFixed(1)} kB gzipped, loaded for catalogues above 100,000 products only, not counted`);
          continue;
        }
        total += size;
        this.info(`${file.fileName}: ${(size / 1000).toFixed(1)} kB gzipped`);
      }
      const summary = `widget JavaScript: ${(total / 1000).toFixed(1)} kB gzipped in ${scripts.length} files (limit ${maxGzipBytes / 1000} kB)`;
      if (total > maxGzipBytes) this.error(`${summary}. Remove a dependency or split it out before raising the limit.`);
      // The size line is the result of this check, so it prints at every log level but silent.
      console.info(summary);
    },
  };
}

const runtimeFolder = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url));

/**
 * Points the worker at onnxruntime-web's WebGPU build (`ort.webgpu.min.mjs`, about 22 kB gzipped)
 * in place of the default one (`ort.bundle.min.mjs`, about 114 kB). Both serve the WebGPU and
 * WASM backends, but the WebGPU build leaves out WebGL and the embedded WASM glue, so the widget
 * fits its size limit. That build loads the `asyncify` glue and binary, so the `?url` imports in
 * src/worker/engine.ts that name the `jsep` files are redirected to the `asyncify` ones.
 */
function webGpuRuntime(): Plugin {
  return {
    name: 'tandem-widget-webgpu-runtime',
    enforce: 'pre',
    resolveId(source) {
      if (source === 'onnxruntime-web') return join(runtimeFolder, 'ort.webgpu.min.mjs');
      const runtimeFile = /^onnxruntime-web\/ort-wasm-simd-threaded\.jsep\.(wasm|mjs)\?url$/.exec(source);
      if (runtimeFile) return `${join(runtimeFolder, `ort-wasm-simd-threaded.asyncify.${runtimeFile[1]}`)}?url`;
      return null;
    },
  };
}

export default defineConfig({
  base: './',
  // The app build copies public/ (models, catalogue, storefront pages) into dist/ already.
  publicDir: false,
  // Plugins of the main build do not apply to the worker's bundle, so the worker gets its own.
  worker: { format: 'es', plugins: () => [webGpuRuntime()] },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: 'src/widget/index.ts',
      // Keep the entry's exports (the element class and event types) for pages that import them.
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: 'tandem-widget.js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  plugins: [gzipSizeLimit()],
});
