/**
 * The similar-products part of the benchmark: in a fresh Chromium profile, an image job embeds
 * the Fashion-MNIST test images (`embed_images_per_s`), a catalogue is made of them, and queries
 * against it are timed from the page (`similar_p95_ms`). `npm run bench -- --only-similar` runs
 * this part alone and merges its keys into the existing bench/results.json.
 */
import { createImageJob, launchBrowser, openModelPage, runJob, withTimeout } from './browser.mjs';

/** Queries sent before the timed ones and not counted: JIT and cache warm-up. */
const warmupQueries = 50;
/** Timed product queries, each a product drawn with a fixed seed. */
const productQueries = 1000;
/** Timed photo queries: the photo is embedded on the real-time lane, then searched. */
const photoQueries = 100;
/** Neighbours per query, as the storefront shows them. */
const neighbours = 5;

/** Returns the `p`-th percentile (0 to 100) of `values` by the nearest-rank method. */
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summarise(values) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), max: values.length > 0 ? Math.max(...values) : NaN };
}

/** Times product and photo queries against a catalogue from the page, through the app's client. */
async function timeQueries(page, catalogueId, size) {
  return page.evaluate(
    async ({ catalogueId, size, warmupQueries, productQueries, photoQueries, neighbours }) => {
      const catalogues = window.tandem.client.catalogues;
      // A fixed-seed linear congruential generator, so every run queries the same products.
      let seed = 12345;
      const nextProduct = () => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % size;
      };
      const product = [];
      for (let i = 0; i < warmupQueries + productQueries; i++) {
        const index = nextProduct();
        const sent = performance.now();
        const result = await catalogues.similarToProduct(catalogueId, index, neighbours);
        if (i >= warmupQueries) product.push({ roundTripMs: performance.now() - sent, computeMs: result.computeMs, queueMs: result.queueMs });
      }

      // Photo queries use the catalogue's own previews, drawn as PNG files, as a shopper's photos.
      const page = await catalogues.catalogueProducts(catalogueId, 0, photoQueries);
      const canvas = new OffscreenCanvas(page.previewWidth, page.previewHeight);
      const context = canvas.getContext('2d');
      const photos = [];
      for (const item of page.products) {
        const image = context.createImageData(page.previewWidth, page.previewHeight);
        item.preview.forEach((value, i) => image.data.set([value, value, value, 255], i * 4));
        context.putImageData(image, 0, 0);
        photos.push(await canvas.convertToBlob({ type: 'image/png' }));
      }
      const photo = [];
      for (const blob of photos) {
        const sent = performance.now();
        const result = await catalogues.similarToImage(catalogueId, blob, neighbours);
        photo.push({ roundTripMs: performance.now() - sent, computeMs: result.computeMs, queueMs: result.queueMs });
      }
      return { product, photo };
    },
    { catalogueId, size, warmupQueries, productQueries, photoQueries, neighbours },
  );
}

/**
 * Embeds `images` test images from `zipUrl` with an image job in a fresh profile, makes a
 * catalogue of them, and times queries against it. Returns the benchmark keys and their details.
 */
export async function measureSimilar(url, zipUrl, images, { manifest, backend, log }) {
  const pageUrl = `${url}?${new URLSearchParams({ model: manifest, backend })}`;
  const launched = await launchBrowser();
  try {
    log(`similar products: embedding ${images} Fashion-MNIST images, then ${productQueries} product and ${photoQueries} photo queries`);
    const opened = await openModelPage(launched.context, pageUrl, 120_000);
    if (opened.backend !== backend) throw new Error(`The image page runs on ${opened.backend}, not ${backend}. Check how the page reads the ?backend parameter.`);
    const { page } = opened;
    const created = await withTimeout(createImageJob(page, zipUrl, `fashion-similar-${images}.zip`), 120_000 + images * 5, 'Creating the embedding job');
    const run = await withTimeout(runJob(page, created.jobId), 180_000 + images * 20, `The ${images}-image embedding job`);
    if (run.summary.status !== 'completed') throw new Error(`The embedding job ended ${run.summary.status}: ${run.summary.message ?? 'no message'}.`);

    const catalogue = await withTimeout(
      page.evaluate((jobId) => window.tandem.client.catalogues.createCatalogue(jobId), created.jobId),
      120_000,
      'Making the catalogue',
    );
    const timed = await withTimeout(timeQueries(page, catalogue.id, catalogue.size), 600_000, 'The similar-product queries');
    await page.close();

    const product = timed.product.map((query) => query.roundTripMs);
    return {
      similar_p95_ms: percentile(product, 95),
      embed_images_per_s: images / (run.runMs / 1000),
      details: {
        images,
        catalogue_size: catalogue.size,
        dimensions: catalogue.dimensions,
        neighbours,
        embed_run_ms: run.runMs,
        product_queries: {
          count: product.length,
          warmup: warmupQueries,
          round_trip_ms: summarise(product),
          compute_ms: summarise(timed.product.map((query) => query.computeMs)),
          queue_ms: summarise(timed.product.map((query) => query.queueMs)),
        },
        photo_queries: {
          count: timed.photo.length,
          round_trip_ms: summarise(timed.photo.map((query) => query.roundTripMs)),
          compute_ms: summarise(timed.photo.map((query) => query.computeMs)),
        },
        page_errors: opened.errors,
      },
    };
  } finally {
    await launched.close();
  }
}

/** Copies the similar-product keys into a results object, with their details in `details.similar`. */
export function mergeSimilarResults(results, similar) {
  results.similar_p95_ms = similar?.similar_p95_ms ?? null;
  results.embed_images_per_s = similar?.embed_images_per_s ?? null;
  results.details = { ...results.details, similar: similar?.details ?? null };
  return results;
}

function format(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Returns the RESULTS.md section on similar products, or '' when the run did not measure them. */
export function similarSection(results) {
  const details = results.details?.similar;
  if (!details) return '';
  const product = details.product_queries;
  const photo = details.photo_queries;
  const frameMs = 16.7;
  return `
## Similar products

| key | value | unit | target |
| --- | --- | --- | --- |
| similar_p95_ms | ${format(results.similar_p95_ms, 2)} | ms | under half a ${frameMs} ms frame: ${results.similar_p95_ms < frameMs / 2 ? 'met' : 'missed'} |
| embed_images_per_s | ${format(results.embed_images_per_s, 0)} | images/s | none set |

- **Embedding**: an image job on the ${format(details.images, 0)} Fashion-MNIST test images in a fresh profile, so the
  cache is empty, took ${format(details.embed_run_ms / 1000)} s. The job stores each image's ${details.dimensions}-value embedding with its
  category, so \`embed_images_per_s\` is the image batch rate with embeddings kept.
- **Product queries**: ${format(product.count, 0)} queries for the ${details.neighbours} nearest of ${format(details.catalogue_size, 0)} products
  (after ${product.warmup} warm-up queries), each a product drawn with a fixed seed, timed on the page from the call
  to the result. Round trip p50 ${format(product.round_trip_ms.p50, 2)} ms, p95 ${format(product.round_trip_ms.p95, 2)} ms, p99 ${format(product.round_trip_ms.p99, 2)} ms;
  the exact search in the worker p50 ${format(product.compute_ms.p50, 2)} ms, p95 ${format(product.compute_ms.p95, 2)} ms.
- **Photo queries**: ${format(photo.count, 0)} photos (the catalogue's own 28x28 previews as PNG files) embedded on the real-time lane and
  searched: round trip p50 ${format(photo.round_trip_ms.p50, 2)} ms, p95 ${format(photo.round_trip_ms.p95, 2)} ms.
`;
}
