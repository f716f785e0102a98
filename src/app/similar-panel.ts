import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { ref } from 'lit/directives/ref.js';
import { TandemClient } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { JobProgress, JobSummary, ModelInfo } from '../shared/protocol';
import type { CataloguePage, CatalogueProduct, CatalogueSummary, SimilarResult } from '../shared/similar';
import { count, formatProgress, plural } from '../ui/format';
import { drawPreview } from '../ui/preview-image';
import { filesFromDrop } from '../ui/pick-files';
import { base } from '../ui/theme';

const log = createLogger('similar');

const demoCatalogueUrl = 'catalogue/catalogue.json';

/** Products shown per page of the catalogue grid. */
const pageSize = 48;

/** Neighbours shown unless the user picks another number. */
const defaultK = 5;

/** Requests from hovering and clicking share this channel, so only the latest product's query runs. */
const queryChannel = 'similar-products';

function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/** Fetches the demo catalogue's photos as files, with their absolute URLs, in catalogue order. */
async function fetchDemoCatalogue(): Promise<{ files: File[]; urls: string[] }> {
  const listUrl = new URL(demoCatalogueUrl, location.href);
  const response = await fetch(listUrl);
  if (!response.ok) throw new Error(`Fetching ${listUrl.href} failed with HTTP ${response.status}.`);
  const entries = (await response.json()) as { file?: unknown }[];
  const names = entries.map((entry) => entry.file).filter((file): file is string => typeof file === 'string' && !file.includes('/'));
  const urls = names.map((name) => new URL(name, listUrl).href);
  const files = await Promise.all(
    urls.map(async (url, i) => {
      const photo = await fetch(url);
      if (!photo.ok) throw new Error(`Fetching ${url} failed with HTTP ${photo.status}.`);
      return new File([await photo.blob()], names[i]!, { type: photo.headers.get('content-type') ?? 'image/png' });
    }),
  );
  return { files, urls };
}

/**
 * Similar products. A catalogue (photos, a folder, a zip or the demo catalogue) is embedded by an
 * image batch job, with progress and cancel. Pointing at or clicking one of its products, or
 * dropping a photo, shows the most similar products at once, found by the worker on the
 * real-time lane.
 */
@customElement('tandem-similar-panel')
export class SimilarPanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      h2 {
        font-size: 1.25rem;
        margin: 0 0 0.25rem;
      }

      h3 {
        font-size: 1rem;
        margin: 1.25rem 0 0.5rem;
      }

      .row {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1rem;
      }

      .drop-zone {
        margin-top: 0.75rem;
        padding: 1rem;
        border: 2px dashed var(--tandem-border);
        border-radius: var(--tandem-radius);
      }

      .drop-zone.dragging {
        border-color: var(--tandem-accent);
        background: var(--tandem-accent-soft);
      }

      .products {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(5.5rem, 1fr));
        gap: 0.5rem;
      }

      .products button {
        width: 100%;
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.25rem;
        padding: 0.375rem;
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
        background: var(--tandem-surface);
        color: inherit;
        font-size: 0.75rem;
        cursor: pointer;
      }

      .products button[aria-pressed='true'] {
        border-color: var(--tandem-accent);
        background: var(--tandem-accent-soft);
      }

      .products canvas,
      .products img {
        width: 3.5rem;
        height: 3.5rem;
        object-fit: contain;
        image-rendering: pixelated;
      }

      .name {
        max-width: 100%;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }

      .score {
        font-variant-numeric: tabular-nums;
      }

      input[type='number'] {
        width: 4.5rem;
      }
    `,
  ];

  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private catalogues: CatalogueSummary[] = [];
  @state() private finishedJobs: JobSummary[] = [];
  @state() private page: CataloguePage | null = null;
  @state() private selected: number | null = null;
  @state() private result: SimilarResult | null = null;
  @state() private k = defaultK;
  @state() private progress: JobProgress | null = null;
  @state() private embedding = false;
  @state() private dragging = false;
  @state() private notice = '';
  @state() private problem: string | null = null;

  private running: AbortController | null = null;

  private get client(): TandemClient {
    return TandemClient.shared();
  }

  private get hasEmbedding(): boolean {
    return Boolean(this.model?.outputNames.includes('embedding'));
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('model') && this.model && this.hasEmbedding) void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.running?.abort();
  }

  override render() {
    if (!this.model || !this.hasEmbedding) return nothing;
    return html`
      <section data-testid="similar-panel" aria-labelledby="similar-title">
        <h2 id="similar-title">Similar products</h2>
        <p class="muted">
          Embed a catalogue of product photos in the background, then point at or click a product, or drop a photo, to see the most
          similar ones. The search compares the model's embeddings of every product, in the worker.
        </p>
        ${this.renderEmbed()} ${this.renderCatalogue()} ${this.renderResult()}
        ${this.problem ? html`<p class="error" role="alert" data-testid="similar-error">${this.problem}</p>` : nothing}
      </section>
    `;
  }

  private renderEmbed() {
    const busy = this.embedding;
    return html`
      <div
        class="drop-zone ${this.dragging ? 'dragging' : ''}"
        @dragover=${(event: DragEvent) => {
          event.preventDefault();
          this.dragging = true;
        }}
        @dragleave=${() => (this.dragging = false)}
        @drop=${this.onDropCatalogue}
      >
        <div class="row">
          <label>
            Embed a catalogue: photos or a zip file
            <input data-testid="catalogue-input" type="file" multiple accept="image/*,.zip,application/zip" ?disabled=${busy} @change=${this.onPickCatalogue} />
          </label>
          <button type="button" data-testid="embed-demo" ?disabled=${busy} @click=${this.embedDemo}>Embed the demo catalogue</button>
          ${this.finishedJobs.length > 0
            ? html`<label>
                Or use a finished image job
                <select data-testid="catalogue-from-job" ?disabled=${busy} @change=${this.onPickJob}>
                  <option value="">Choose a job…</option>
                  ${this.finishedJobs.map((job) => html`<option value=${job.id}>${job.fileName} (${plural(job.rowsDone, 'image', 'images')})</option>`)}
                </select>
              </label>`
            : nothing}
        </div>
        ${busy
          ? html`<p class="row" role="status" data-testid="embed-progress">
              ${this.progress ? formatProgress(this.progress, { one: 'image', other: 'images' }) : 'Storing the photos…'}
              <button type="button" data-testid="embed-cancel" @click=${() => this.running?.abort()}>Cancel</button>
            </p>`
          : nothing}
        ${this.notice ? html`<p role="status" data-testid="embed-notice">${this.notice}</p>` : nothing}
      </div>
    `;
  }

  private renderCatalogue() {
    const page = this.page;
    if (this.catalogues.length === 0) return html`<p class="muted" data-testid="no-catalogue">No catalogue is embedded yet.</p>`;
    return html`
      <div class="row">
        <label>
          Catalogue
          <select data-testid="catalogue-select" @change=${(event: Event) => void this.openCatalogue((event.target as HTMLSelectElement).value, 0)}>
            ${this.catalogues.map(
              (catalogue) => html`<option value=${catalogue.id} ?selected=${catalogue.id === page?.catalogue.id}>${catalogue.name} (${plural(catalogue.size, 'product', 'products')})</option>`,
            )}
          </select>
        </label>
        <label>
          Neighbours
          <input
            data-testid="similar-k"
            type="number"
            min="1"
            max="100"
            .value=${String(this.k)}
            @change=${(event: Event) => {
              const value = Number((event.target as HTMLInputElement).value);
              if (Number.isInteger(value) && value >= 1 && value <= 100) this.k = value;
              if (this.selected !== null) void this.queryProduct(this.selected);
            }}
          />
        </label>
        <label>
          Find products like a photo
          <input data-testid="similar-photo-input" type="file" accept="image/*" @change=${this.onPickQueryPhoto} />
        </label>
      </div>
      ${page
        ? html`<h3>${page.catalogue.name}</h3>
            <p class="muted">
              Products ${count.format(page.offset + 1)} to ${count.format(page.offset + page.products.length)} of ${count.format(page.catalogue.size)}.
              Point at or click one to see similar products.
            </p>
            <ul class="products" data-testid="catalogue-products">
              ${page.products.map((product) => html`<li>${this.renderProduct(product, 'catalogue-product')}</li>`)}
            </ul>
            <div class="row">
              <button type="button" ?disabled=${page.offset === 0} @click=${() => void this.openCatalogue(page.catalogue.id, page.offset - pageSize)}>Previous</button>
              <button
                type="button"
                data-testid="catalogue-next"
                ?disabled=${page.offset + pageSize >= page.catalogue.size}
                @click=${() => void this.openCatalogue(page.catalogue.id, page.offset + pageSize)}
              >
                Next
              </button>
            </div>`
        : nothing}
    `;
  }

  private renderProduct(product: CatalogueProduct & { score?: number }, testId: string) {
    const page = this.page;
    const width = page?.previewWidth ?? 28;
    const height = page?.previewHeight ?? 28;
    const isCatalogue = testId === 'catalogue-product';
    return html`<button
      type="button"
      data-testid=${testId}
      data-index=${product.index}
      data-name=${product.name}
      data-score=${product.score ?? nothing}
      aria-pressed=${isCatalogue ? String(product.index === this.selected) : nothing}
      @mouseenter=${isCatalogue ? () => void this.queryProduct(product.index) : nothing}
      @focus=${isCatalogue ? () => void this.queryProduct(product.index) : nothing}
      @click=${() => void this.queryProduct(product.index)}
    >
      ${product.url
        ? html`<img src=${product.url} alt="" />`
        : html`<canvas ${ref((element) => element && drawPreview(element as HTMLCanvasElement, product.preview, width, height))}></canvas>`}
      <span class="name" title=${product.name}>${product.name}</span>
      <span class="muted">${product.category}</span>
      ${product.score !== undefined ? html`<span class="score">${product.score.toFixed(3)}</span>` : nothing}
    </button>`;
  }

  private renderResult() {
    const result = this.result;
    if (!result) return nothing;
    const query = result.queryIndex === null ? 'the photo' : `product ${count.format(result.queryIndex + 1)}`;
    return html`
      <h3>Most similar to ${query}</h3>
      <p class="muted" data-testid="similar-timing">
        ${plural(result.neighbours.length, 'product', 'products')} of ${count.format(result.catalogueSize)} in
        ${result.computeMs.toFixed(1)} ms (${result.queueMs.toFixed(1)} ms queued),
        <span data-testid="similar-search">${result.search === 'exact' ? 'exact search' : 'approximate search (HNSW index)'}</span>.
      </p>
      <ul class="products" data-testid="similar-products" data-query=${result.queryIndex ?? 'photo'}>
        ${result.neighbours.map((neighbour) => html`<li>${this.renderProduct(neighbour, 'similar-product')}</li>`)}
      </ul>
    `;
  }

  private async refresh(): Promise<void> {
    const model = this.model;
    if (!model) return;
    try {
      const [catalogues, jobs] = await Promise.all([this.client.catalogues.listCatalogues(model.id), this.client.listJobs(model.id)]);
      this.catalogues = catalogues;
      this.finishedJobs = jobs.filter((job) => job.kind === 'image' && job.status === 'completed');
      const current = this.page?.catalogue.id;
      const next = catalogues.find((catalogue) => catalogue.id === current) ?? catalogues[0];
      if (next && next.id !== current) await this.openCatalogue(next.id, 0);
    } catch (error) {
      log.error('listing catalogues failed', error);
      this.problem = `The stored catalogues could not be listed: ${describeError(error)}`;
    }
  }

  private async openCatalogue(id: string, offset: number): Promise<void> {
    try {
      const changed = this.page?.catalogue.id !== id;
      this.page = await this.client.catalogues.catalogueProducts(id, Math.max(0, offset), pageSize);
      if (changed) {
        this.selected = null;
        this.result = null;
      }
      this.problem = null;
    } catch (error) {
      this.problem = `The catalogue could not be opened: ${describeError(error)}`;
    }
  }

  private async queryProduct(index: number): Promise<void> {
    const catalogue = this.page?.catalogue;
    if (!catalogue) return;
    this.selected = index;
    try {
      this.result = await this.client.catalogues.similarToProduct(catalogue.id, index, this.k, { channel: queryChannel });
      this.problem = null;
    } catch (error) {
      // A newer product's request superseded this one.
      if (isAbortError(error)) return;
      // The neighbours of an earlier query would look like this query's result.
      this.result = null;
      this.problem = `Similar products could not be found: ${describeError(error)}`;
    }
  }

  private async queryPhoto(photo: File): Promise<void> {
    const catalogue = this.page?.catalogue;
    if (!catalogue) {
      this.problem = 'Embed a catalogue first; the photo is matched against its products.';
      return;
    }
    try {
      this.selected = null;
      this.result = await this.client.catalogues.similarToImage(catalogue.id, photo, this.k, { channel: queryChannel });
      this.problem = null;
    } catch (error) {
      if (isAbortError(error)) return;
      // The neighbours of an earlier query would look like this photo's result.
      this.result = null;
      this.problem = describeError(error);
    }
  }

  private readonly onPickQueryPhoto = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const photo = input.files?.[0];
    input.value = '';
    if (photo) void this.queryPhoto(photo);
  };

  private readonly onPickCatalogue = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) void this.embed(files);
  };

  private readonly onDropCatalogue = async (event: DragEvent): Promise<void> => {
    event.preventDefault();
    this.dragging = false;
    if (!event.dataTransfer) return;
    const { files } = await filesFromDrop(event.dataTransfer);
    // One dropped photo is a query; several photos, a folder or a zip are a catalogue.
    if (files.length === 1 && files[0]!.type.startsWith('image/') && this.page) void this.queryPhoto(files[0]!);
    else if (files.length > 0) void this.embed(files);
  };

  private readonly onPickJob = (event: Event): void => {
    const select = event.target as HTMLSelectElement;
    const jobId = select.value;
    select.value = '';
    if (jobId) void this.makeCatalogue(jobId, {});
  };

  private readonly embedDemo = async (): Promise<void> => {
    try {
      const { files, urls } = await fetchDemoCatalogue();
      await this.embed(files, { id: `demo-${this.model!.sha256}`, name: 'Demo catalogue', urls });
    } catch (error) {
      this.problem = `The demo catalogue could not be loaded: ${describeError(error)}`;
    }
  };

  /** Embeds files with an image batch job, then makes a catalogue of the finished job. */
  private async embed(files: File[], options: { id?: string; name?: string; urls?: string[] } = {}): Promise<void> {
    const model = this.model;
    if (!model || this.embedding) return;
    this.embedding = true;
    this.progress = null;
    this.notice = '';
    this.problem = null;
    const controller = new AbortController();
    this.running = controller;
    try {
      const job = await this.client.createImageJob(model.id, files);
      const summary = await this.client.runJob(job.id, { signal: controller.signal, onProgress: (progress) => (this.progress = progress) });
      if (summary.status !== 'completed') {
        this.notice = `The job is ${summary.status}${summary.message ? `: ${summary.message}` : ''}. Resume it in the batch panel, then choose it here.`;
        return;
      }
      await this.makeCatalogue(job.id, options, summary);
    } catch (error) {
      if (isAbortError(error)) this.notice = 'Embedding was cancelled. The images embedded so far stay cached, so a new run starts faster.';
      else this.problem = `The catalogue could not be embedded: ${describeError(error)}`;
    } finally {
      this.embedding = false;
      this.running = null;
      void this.refresh();
    }
  }

  private async makeCatalogue(jobId: string, options: { id?: string; name?: string; urls?: string[] }, summary?: JobSummary): Promise<void> {
    try {
      const catalogue = await this.client.catalogues.createCatalogue(jobId, options);
      const errors = catalogue.skipped > 0 ? `; ${plural(catalogue.skipped, 'file', 'files')} with errors left out` : '';
      const time = summary ? ` in ${(summary.runMs / 1000).toFixed(1)} s` : '';
      this.notice = `Embedded ${plural(catalogue.size, 'product', 'products')}${time}${errors}.`;
      await this.refresh();
      await this.openCatalogue(catalogue.id, 0);
    } catch (error) {
      this.problem = `The catalogue could not be made: ${describeError(error)}`;
    }
  }
}
