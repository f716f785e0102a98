/**
 * Types of the parts of hnswlib-wasm 0.8 that Tandem uses. The package's own declarations
 * describe its `loadHnswlib` entry, which mounts an IndexedDB file system on load; Tandem imports
 * the Emscripten factory in `lib/hnswlib.mjs` instead and keeps the index in memory only.
 */
declare module 'hnswlib-wasm/lib/hnswlib.mjs' {
  export interface SearchResult {
    /** In the `ip` space, 1 minus the inner product. */
    distances: number[];
    neighbors: number[];
  }

  export interface HierarchicalNSW {
    initIndex(maxElements: number, m: number, efConstruction: number, randomSeed: number): void;
    addPoint(point: Float32Array, label: number, replaceDeleted: boolean): void;
    setEfSearch(efSearch: number): void;
    searchKnn(query: Float32Array, k: number, filter: ((label: number) => boolean) | undefined): SearchResult;
    delete(): void;
  }

  export interface HnswlibModule {
    HierarchicalNSW: new (space: 'l2' | 'ip' | 'cosine', dimensions: number, autoSaveFilename: string) => HierarchicalNSW;
  }

  const factory: (overrides?: object) => Promise<HnswlibModule>;
  export default factory;
}
