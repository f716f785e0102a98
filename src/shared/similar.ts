/** Types of similar-product search shared by the worker and the page. */

/** A stored catalogue, as the worker returns it: a named set of products with stored embeddings. */
export interface CatalogueSummary {
  id: string;
  name: string;
  /** The model file's SHA-256. */
  modelId: string;
  /** Products in the catalogue: the job's images that were embedded without an error. */
  size: number;
  /** Values per embedding. */
  dimensions: number;
  createdAt: number;
  /** The image job that embedded the products. */
  jobId: string;
  /** The job's rows left out because they have a row error. */
  skipped: number;
  /** The search that serves queries once the catalogue is loaded. */
  search: 'exact' | 'approximate';
}

/** Options for making a catalogue from an image job. */
export interface CatalogueOptions {
  /** The catalogue's id; one with the same id is replaced. Defaults to the job's id. */
  id?: string;
  /** Defaults to the job's file name. */
  name?: string;
  /** A URL per input row of the job, in input order, for pages that show the products' photos. */
  urls?: string[];
  /**
   * `approximate` builds the HNSW index at any size, to compare it with the exact search on a small
   * catalogue. Defaults to `auto`: exact up to 100,000 products, approximate above.
   */
  search?: 'auto' | 'approximate';
}

/** One product of a catalogue. */
export interface CatalogueProduct {
  /** 0-based position in the catalogue. */
  index: number;
  name: string;
  /** The class with the highest probability for its photo. */
  category: string;
  url: string | null;
  /** The image the model saw, `previewWidth` x `previewHeight`, 0-255: one gray value or an RGB triple a pixel. */
  preview: Uint8Array;
}

export interface CataloguePage {
  catalogue: CatalogueSummary;
  offset: number;
  products: CatalogueProduct[];
  previewWidth: number;
  previewHeight: number;
}

/** A neighbour: a product and its cosine similarity with the query, from -1 to 1. */
export interface SimilarProduct extends CatalogueProduct {
  score: number;
}

export interface SimilarResult {
  /** The nearest products, most similar first; ties go to the lower index. */
  neighbours: SimilarProduct[];
  /** The query product's index, or null for a photo from outside the catalogue. */
  queryIndex: number | null;
  catalogueSize: number;
  /**
   * Which search answered: `exact` compares the query with every product, `approximate` walks
   * an HNSW graph (hnswlib-wasm), used above 100,000 products, and may miss a few neighbours.
   */
  search: 'exact' | 'approximate';
  previewWidth: number;
  previewHeight: number;
  /** Time waiting in the real-time queue, and computing (embedding a photo and the search), in milliseconds. */
  queueMs: number;
  computeMs: number;
}

/** The similar-product part of the worker's API. */
export interface CatalogueApi {
  /** Makes a catalogue of a completed image job's images and loads its search index. */
  createCatalogue(jobId: string, options?: CatalogueOptions): Promise<CatalogueSummary>;

  /** Lists the stored catalogues of a loaded model, newest first. */
  listCatalogues(modelId: string): Promise<CatalogueSummary[]>;

  /** Returns `limit` products of a catalogue from `offset`. */
  catalogueProducts(catalogueId: string, offset: number, limit: number): Promise<CataloguePage>;

  /** Finds the `k` products most similar to one of the catalogue's, on the real-time lane. */
  similarToProduct(catalogueId: string, productIndex: number, k: number, options?: { channel?: string }): Promise<SimilarResult>;

  /** Embeds a photo on the real-time lane and finds the `k` most similar products. */
  similarToImage(catalogueId: string, image: Blob, k: number, options?: { channel?: string }): Promise<SimilarResult>;

  /** Deletes a stored catalogue. The embeddings stay in the image result cache. */
  deleteCatalogue(catalogueId: string): Promise<void>;
}
