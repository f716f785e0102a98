import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property, state } from 'lit/decorators.js';
import { TandemError, describeError, isAbortError } from '../shared/errors';
import { defaultModelUrl } from './assets';
import { embedCatalogue, similarItems, type LoadedCatalogue, type SimilarItem } from './catalogue';
import { renderCatalogue, renderSimilar } from './catalogue-view';
import { TandemErrorEvent, TandemPredictionEvent, TandemProgressEvent, TandemReadyEvent, type FailedOperation, type PredictionSource } from './events';
import { toImageBlob } from './image-input';
import { checkRecord, describeValue, parseBackend, parseView, resolveModelUrl } from './input-checks';
import { ScoreJob } from './score-job';
import { widgetStyles } from './styles';
import { missingBrowserFeatures } from './support';
import { describeModel, type ImageResult, type RecordPrediction, type WidgetModelInfo, type WidgetPrediction } from './types';
import { initialRecord, renderImageView, renderRecordForm, renderRecordResult, type FormRecord } from './views';
import { callWorker, loadModelInTurn, sharedClient } from './worker-client';

interface Deferred<T> {
  promise: Promise<T>;
  settled: boolean;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  // A load failure is reported by `tandem-error` and shown in the element, so a page that never
  // reads `ready` gets no unhandled-rejection report. Awaiting `ready` still throws.
  promise.catch(() => undefined);
  const deferred: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      deferred.settled = true;
      resolve(value);
    },
    reject: (error) => {
      deferred.settled = true;
      reject(error);
    },
  };
  return deferred;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error));
}

function invalidInput(message: string): TandemError {
  return new TandemError('invalid-input', message);
}

/** Checks a file given to `scoreFile()` against the kind of model: CSV for record models, images or zips for image models. */
function checkJobFile(file: unknown, model: WidgetModelInfo): File {
  if (!(file instanceof File)) throw invalidInput(`scoreFile() needs a File, such as one from an <input type="file">; received ${describeValue(file)}.`);
  const isImage = file.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp|avif)$/i.test(file.name);
  const isZip = /\.zip$/i.test(file.name) || file.type === 'application/zip' || file.type === 'application/x-zip-compressed';
  if (model.kind === 'record' && (isImage || isZip)) {
    throw invalidInput(`The model "${model.name}" scores CSV files of records, but the file "${file.name}" is ${isZip ? 'a zip archive' : 'an image'}. Pass a CSV file.`);
  }
  if (model.kind === 'image' && !isImage && !isZip) {
    throw invalidInput(`The model "${model.name}" classifies images, but the file "${file.name}" (type "${file.type || 'unknown'}") is neither an image nor a zip file of images.`);
  }
  return file;
}

let widgetCount = 0;

/**
 * `<tandem-widget>`: runs a Tandem model in the page, in a Web Worker shared by every widget on
 * the page. It shows a form for a record model (`view="form"`), an image picker for an image
 * model (`view="image"`), or nothing (`view="none"`) for pages that only call its JavaScript API:
 * `ready`, `predict()`, `similar()`, `scoreFile()` and `exportResults()`. With a `catalogue`, the
 * image view also lists its products and shows the most similar ones to the product chosen.
 *
 * Styles of the host page do not reach inside. Theme it with the `--tandem-*` custom properties
 * (`--tandem-font`, `--tandem-font-size`, `--tandem-text`, `--tandem-muted`, `--tandem-surface`,
 * `--tandem-border`, `--tandem-accent`, `--tandem-accent-soft`, `--tandem-danger`,
 * `--tandem-danger-soft`, `--tandem-radius`) and the parts below.
 *
 * @fires tandem-ready - {@link TandemReadyEvent} when the model has loaded.
 * @fires tandem-prediction - {@link TandemPredictionEvent} for every prediction, from the view or from `predict()`.
 * @fires tandem-progress - {@link TandemProgressEvent} as a `scoreFile()` job advances.
 * @fires tandem-error - {@link TandemErrorEvent} when loading, predicting, scoring or exporting fails.
 * @csspart panel - the box around the view.
 * @csspart caption - the model's title, version and backend.
 * @csspart field - one feature's label, control and help text.
 * @csspart label - one feature's label.
 * @csspart control - one feature's input or select.
 * @csspart result - the live region with the latest result.
 * @csspart probability - the probability, as a percentage.
 * @csspart prediction-label - the predicted class of a record.
 * @csspart meter - the track of the probability bar.
 * @csspart meter-fill - the filled part of the probability bar.
 * @csspart range-warning - the note under a record's result when a number is outside the model's range.
 * @csspart picker - the image view's label and file input.
 * @csspart file-input - the image view's file input.
 * @csspart image - the chosen photo.
 * @csspart top-classes - the list of the most probable classes of a photo.
 * @csspart catalogue - the list of the catalogue's products.
 * @csspart product - one product of the catalogue, a button.
 * @csspart similar - the live region with the most similar products.
 * @csspart similar-item - one of the similar products.
 * @csspart notice - a message such as "Loading the model".
 * @csspart error - an error message.
 */
export class TandemWidget extends LitElement {
  static override styles = widgetStyles;

  /**
   * URL of the model's `manifest.json`, resolved against the page. Without it, the churn model
   * that the build serves beside the widget (`../models/churn/manifest.json` from the widget's URL).
   */
  @property() model: string | null = null;

  /** The backend: `auto` (WebGPU when it is faster for the model on this device, else WASM), `webgpu` or `wasm`. */
  @property() backend = 'auto';

  /** The view the element shows: `form`, `image` or `none`. */
  @property() view = 'form';

  /**
   * URL of a catalogue for `similar()`, resolved against the page: a JSON array of
   * `{ "file": "photo URL", "title": "…" }` objects, each photo URL resolved against the
   * catalogue's URL. The widget embeds the photos in the background once the model has loaded.
   */
  @property() catalogue: string | null = null;

  @state() private loaded: WidgetModelInfo | null = null;
  @state() private loadProblem: string | null = null;
  @state() private viewProblem: string | null = null;
  @state() private predictProblem: string | null = null;
  @state() private record: FormRecord = {};
  @state() private recordResult: RecordPrediction | null = null;
  @state() private imageResult: ImageResult | null = null;
  @state() private imagePreviewUrl: string | null = null;
  @state() private catalogueLoaded: LoadedCatalogue | null = null;
  @state() private catalogueProblem: string | null = null;
  @state() private similarShown: SimilarItem[] | null = null;
  /** The query of the shown similar products, in words. */
  @state() private similarQuery: string | null = null;
  @state() private chosenProduct: number | null = null;

  private catalogueLoad: Promise<LoadedCatalogue> | null = null;
  private catalogueCount = 0;
  /** Sequence numbers of the view's similar-product requests, so a slow result never replaces a later one. */
  private similarRequestCount = 0;
  private shownSimilarRequest = 0;

  private readyDeferred = createDeferred<WidgetModelInfo>();
  private loadCount = 0;
  /** Sequence numbers of view requests, so a slow result never replaces a later one. */
  private viewRequestCount = 0;
  private shownViewRequest = 0;
  /** The view's requests share a channel, on which a newer request supersedes a queued older one. */
  private readonly viewChannel = `tandem-widget-${++widgetCount}`;

  /**
   * The loaded model. It resolves when the model has loaded and rejects when it cannot load (an
   * invalid attribute, a browser without Workers or WebAssembly, a network or integrity failure).
   * After `model` or `backend` changes, it is the promise of the new model.
   */
  get ready(): Promise<WidgetModelInfo> {
    return this.readyDeferred.promise;
  }

  /**
   * Predicts for one input. A record model takes an object with every feature by name. An image
   * model takes a File, a Blob, an ImageBitmap or an image URL, resolved against the page.
   * Rejects with a `TandemError` of code `invalid-input` that names a bad value.
   */
  predict(input: Record<string, unknown>): Promise<RecordPrediction>;
  predict(input: Blob | ImageBitmap | string): Promise<ImageResult>;
  async predict(input: unknown): Promise<WidgetPrediction> {
    const model = await this.ready;
    return this.predictWith(model, input, 'api');
  }

  /**
   * Finds the `k` products of the `catalogue` most similar to `input`, most similar first, each
   * with its cosine similarity `score`. The input is a product's index in the catalogue or a
   * product's photo URL, and that product is left out of its own results. Any other image (a File,
   * a Blob, an ImageBitmap or an image URL) is embedded on the spot. `k` is 5 unless given, at most 100.
   */
  async similar(input: number | Blob | ImageBitmap | string, options: { k?: number } = {}): Promise<SimilarItem[]> {
    const model = await this.ready;
    try {
      return await this.findSimilar(model, input, options.k ?? 5);
    } catch (error) {
      throw this.report(error, 'similar');
    }
  }

  /**
   * Scores a whole file in the background: a CSV file for a record model, an image or a zip of
   * images for an image model. The results are stored in the browser; pass the job's `id` to
   * `exportResults()`. Aborting `signal` cancels the job after its current chunk.
   */
  scoreFile(file: File, options: { signal?: AbortSignal } = {}): ScoreJob {
    const job = new ScoreJob(
      {
        create: async () => {
          const model = await this.ready;
          const checked = checkJobFile(file, model);
          const client = sharedClient();
          return callWorker(model.kind === 'record' ? client.createJob(model.id, checked) : client.createImageJob(model.id, [checked]));
        },
        run: async (jobId, onProgress, signal) => {
          const summary = await callWorker(
            sharedClient().runJob(jobId, {
              signal,
              onProgress: (progress) => {
                onProgress(progress);
                this.dispatchEvent(new TandemProgressEvent(progress));
              },
            }),
          );
          if (summary.status !== 'completed') {
            throw new TandemError('file-read-failed', `Scoring the file "${summary.fileName}" ended with status ${summary.status}${summary.message ? `: ${summary.message}` : ''}.`);
          }
          return summary;
        },
      },
      options.signal,
    );
    job.done.catch((error) => this.report(error, 'score'));
    return job;
  }

  /**
   * Returns a job's results as a CSV Blob in input order. For a CSV job: the input columns with
   * `prediction`, `probability`, `error` and `warning` appended. For an image job: `file`, `prediction`,
   * `probability`, `top3` and `error`.
   */
  async exportResults(jobId: string): Promise<Blob> {
    await this.ready;
    try {
      if (typeof jobId !== 'string' || jobId === '') {
        throw invalidInput(`exportResults() needs a job id, such as the id of the job scoreFile() returned; received ${describeValue(jobId)}.`);
      }
      return await callWorker(sharedClient().exportResults(jobId));
    } catch (error) {
      throw this.report(error, 'export');
    }
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('view')) this.checkView();
    if (changed.has('model') || changed.has('backend')) this.startLoad();
    else if (changed.has('catalogue')) this.resetCatalogue();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.showImagePreview(null);
  }

  override render() {
    // A browser that cannot run the model is named even in the script-only view.
    const unsupported = missingBrowserFeatures();
    if (unsupported) return html`<div class="root" part="panel">${this.renderProblem(unsupported)}</div>`;

    const view = this.viewProblem ? null : parseView(this.view);
    if (view === 'none') return nothing;
    return html`<div class="root" part="panel">${this.renderView(view)}</div>`;
  }

  private renderView(view: 'form' | 'image' | null): TemplateResult {
    if (this.viewProblem) return this.renderProblem(this.viewProblem);
    if (this.loadProblem) return this.renderProblem(`The model could not be loaded. ${this.loadProblem}`);
    const model = this.loaded;
    if (!model) return html`<p class="notice" part="notice" role="status">Loading the model…</p>`;

    const caption = html`<p class="caption" part="caption">${model.title} ${model.version} · ${model.backend}</p>`;
    if (view === 'form' && model.kind !== 'record') {
      return this.renderProblem(`The model "${model.name}" classifies images, so it has no form. Set view="image" on the element.`);
    }
    if (view === 'image' && model.kind !== 'image') {
      return this.renderProblem(`The model "${model.name}" scores records, not images. Set view="form" on the element.`);
    }

    const problem = this.predictProblem ? html`<p class="error" part="error" role="alert">${this.predictProblem}</p>` : nothing;
    if (view === 'form') {
      return html`${caption}${renderRecordResult(model, this.recordResult)}${problem}
        ${renderRecordForm(model, this.record, { onEdit: (name, value) => this.onFieldEdit(name, value) })}`;
    }
    return html`${caption}${renderImageView(this.imageResult, this.imagePreviewUrl, { onPick: (file) => this.onImagePick(file) })}${problem}
    ${this.renderCatalogueView()}`;
  }

  private renderCatalogueView(): TemplateResult | typeof nothing {
    if (!this.catalogue) return nothing;
    if (this.catalogueProblem) return this.renderProblem(this.catalogueProblem);
    const loaded = this.catalogueLoaded;
    if (!loaded) return html`<p class="notice" part="notice" role="status">Preparing the catalogue for similar products…</p>`;
    return html`${renderSimilar(this.similarShown, this.similarQuery)}
      ${renderCatalogue(loaded.entries, this.chosenProduct, { onChoose: (index) => void this.showSimilarProduct(index) })}`;
  }

  private renderProblem(message: string): TemplateResult {
    return html`<p class="error" part="error" role="alert">${message}</p>`;
  }

  private checkView(): void {
    try {
      parseView(this.view);
      this.viewProblem = null;
    } catch (error) {
      this.viewProblem = describeError(error);
      this.report(error, 'load');
    }
  }

  /** Loads the model named by the attributes. `ready` keeps one promise until a load settles it. */
  private startLoad(): void {
    const attempt = ++this.loadCount;
    if (this.readyDeferred.settled) this.readyDeferred = createDeferred();
    const deferred = this.readyDeferred;
    this.loaded = null;
    this.loadProblem = null;
    this.predictProblem = null;
    this.recordResult = null;
    this.imageResult = null;
    this.showImagePreview(null);
    this.resetCatalogue();

    this.loadModel().then(
      (model) => {
        if (attempt !== this.loadCount) return;
        this.loaded = model;
        this.record = model.kind === 'record' ? initialRecord(model) : {};
        deferred.resolve(model);
        this.dispatchEvent(new TandemReadyEvent(model));
        if (model.kind === 'record' && this.view === 'form') void this.predictForView(model, this.record, 'form');
        if (model.kind === 'image' && this.catalogue) void this.loadCatalogue(model).catch(() => undefined);
      },
      (error) => {
        if (attempt !== this.loadCount) return;
        this.loadProblem = describeError(error);
        deferred.reject(asError(error));
        this.report(error, 'load');
      },
    );
  }

  private async loadModel(): Promise<WidgetModelInfo> {
    const missing = missingBrowserFeatures();
    if (missing) throw new TandemError('backend-unavailable', missing);
    const backend = parseBackend(this.backend);
    const manifestUrl = this.model ? resolveModelUrl(this.model, document.baseURI) : defaultModelUrl;
    const info = await loadModelInTurn(manifestUrl, backend);
    return describeModel(info);
  }

  /** Predicts on the worker and fires `tandem-prediction`; a failure fires `tandem-error` and rejects. */
  private async predictWith(model: WidgetModelInfo, input: unknown, source: PredictionSource): Promise<WidgetPrediction> {
    const channel = source === 'api' ? undefined : this.viewChannel;
    const started = performance.now();
    try {
      if (model.kind === 'record') {
        const record = checkRecord(input, model);
        const result = await callWorker(sharedClient().predict(model.id, record, channel));
        const prediction: RecordPrediction = { ...result, kind: 'record', roundTripMs: performance.now() - started };
        this.dispatchEvent(new TandemPredictionEvent(prediction, record, source));
        return prediction;
      }
      const image = await toImageBlob(input, model.name);
      const result = await callWorker(sharedClient().predictImage(model.id, image, channel));
      const prediction: ImageResult = { ...result, kind: 'image', roundTripMs: performance.now() - started };
      this.dispatchEvent(new TandemPredictionEvent(prediction, image, source));
      return prediction;
    } catch (error) {
      throw this.report(error, 'predict');
    }
  }

  /** Predicts for the view and shows the result, unless a later request has already shown one. */
  private async predictForView(model: WidgetModelInfo, input: FormRecord | File, source: 'form' | 'image'): Promise<void> {
    const request = ++this.viewRequestCount;
    try {
      const prediction = await this.predictWith(model, input, source);
      if (request < this.shownViewRequest || model !== this.loaded) return;
      this.shownViewRequest = request;
      this.predictProblem = null;
      if (prediction.kind === 'record') this.recordResult = prediction;
      else this.imageResult = prediction;
    } catch (error) {
      if (isAbortError(error) || request < this.shownViewRequest || model !== this.loaded) return;
      this.shownViewRequest = request;
      this.predictProblem = `This input could not be scored: ${describeError(error)}`;
    }
  }

  private onFieldEdit(name: string, value: string | number): void {
    this.record = { ...this.record, [name]: value };
    if (this.loaded) void this.predictForView(this.loaded, this.record, 'form');
  }

  private onImagePick(file: File): void {
    this.showImagePreview(URL.createObjectURL(file));
    this.imageResult = null;
    if (this.loaded) void this.predictForView(this.loaded, file, 'image');
    if (this.loaded && this.catalogue) void this.showSimilar(this.loaded, file, `the photo ${file.name}`);
  }

  private resetCatalogue(): void {
    this.catalogueCount += 1;
    this.catalogueLoad = null;
    this.catalogueLoaded = null;
    this.catalogueProblem = null;
    this.similarShown = null;
    this.similarQuery = null;
    this.chosenProduct = null;
    if (this.loaded?.kind === 'image' && this.catalogue) void this.loadCatalogue(this.loaded).catch(() => undefined);
  }

  /** Embeds the `catalogue` once per model and catalogue URL; a failure is shown and fires `tandem-error`. */
  private loadCatalogue(model: WidgetModelInfo): Promise<LoadedCatalogue> {
    if (this.catalogueLoad) return this.catalogueLoad;
    if (!this.catalogue) {
      return Promise.reject(invalidInput('similar() needs a catalogue: set the catalogue attribute to the URL of a catalogue JSON file.'));
    }
    const attempt = this.catalogueCount;
    const url = new URL(this.catalogue, document.baseURI).href;
    const load = embedCatalogue(model, url);
    this.catalogueLoad = load;
    load.then(
      (loaded) => {
        if (attempt === this.catalogueCount) this.catalogueLoaded = loaded;
      },
      (error) => {
        if (attempt !== this.catalogueCount) return;
        // The next call tries again.
        this.catalogueLoad = null;
        this.catalogueProblem = `The catalogue could not be prepared. ${describeError(error)}`;
        this.report(error, 'similar');
      },
    );
    return load;
  }

  private async findSimilar(model: WidgetModelInfo, input: unknown, k: number, channel?: string): Promise<SimilarItem[]> {
    if (model.kind !== 'image') throw invalidInput(`The model "${model.name}" scores records; similar() needs an image model with an embedding output.`);
    if (!Number.isInteger(k) || k < 1 || k > 100) throw invalidInput(`k must be a whole number from 1 to 100; received ${describeValue(k)}.`);
    const catalogue = await this.loadCatalogue(model);
    const catalogues = sharedClient().catalogues;
    let index = -1;
    if (typeof input === 'number') {
      if (!Number.isInteger(input) || input < 0 || input >= catalogue.entries.length) {
        throw invalidInput(`The catalogue has ${catalogue.entries.length} products, numbered from 0; similar() received ${describeValue(input)}.`);
      }
      index = input;
    } else if (typeof input === 'string') {
      const url = new URL(input, document.baseURI).href;
      index = catalogue.entries.findIndex((entry) => entry.url === url);
    }
    const result =
      index >= 0
        ? await callWorker(catalogues.similarToProduct(catalogue.summary.id, index, k, { channel }))
        : await callWorker(catalogues.similarToImage(catalogue.summary.id, await toImageBlob(input, model.name, 'similar()'), k, { channel }));
    return similarItems(result, catalogue);
  }

  private async showSimilarProduct(index: number): Promise<void> {
    const model = this.loaded;
    const entry = this.catalogueLoaded?.entries[index];
    if (!model || !entry) return;
    this.chosenProduct = index;
    await this.showSimilar(model, index, entry.title ?? entry.file);
  }

  /** Shows the products similar to `input` in the view; a newer request supersedes an older one. */
  private async showSimilar(model: WidgetModelInfo, input: number | File, query: string): Promise<void> {
    const request = ++this.similarRequestCount;
    try {
      const items = await this.findSimilar(model, input, 4, `${this.viewChannel}-similar`);
      if (request < this.shownSimilarRequest || model !== this.loaded) return;
      this.shownSimilarRequest = request;
      this.similarShown = items;
      this.similarQuery = query;
    } catch (error) {
      if (isAbortError(error) || model !== this.loaded) return;
      this.predictProblem = `Similar products could not be found: ${describeError(error)}`;
      this.report(error, 'similar');
    }
  }

  private showImagePreview(url: string | null): void {
    if (this.imagePreviewUrl) URL.revokeObjectURL(this.imagePreviewUrl);
    this.imagePreviewUrl = url;
  }

  /** Fires `tandem-error` for a failure other than a cancellation, and returns the error to rethrow. */
  private report(error: unknown, operation: FailedOperation): Error {
    const failure = asError(error);
    if (!isAbortError(failure)) this.dispatchEvent(new TandemErrorEvent(failure, operation));
    return failure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-widget': TandemWidget;
  }
}
