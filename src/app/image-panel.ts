import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import type { ImagePrediction, ModelInfo } from '../shared/protocol';
import '../ui/class-bars';
import { drawPreview } from '../ui/preview-image';
import { base } from '../ui/theme';

const log = createLogger('image');

const milliseconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** The demo photos, relative to the page: a JSON array of `{ file, title, label }`. */
const catalogueUrl = 'catalogue/catalogue.json';

/** A top probability below this is shown as an uncertain result. */
const lowConfidence = 0.6;

/** One photo of the demo catalogue. `file` is a plain file name in the catalogue folder. */
interface CatalogueItem {
  file: string;
  title: string;
  label: string;
}

type ShownPrediction = ImagePrediction & { roundTripMs: number };

/** Returns whether a preview contains RGB triples (a colour model) or gray values. */
function colourOf(result: ImagePrediction | null): 'colour' | 'grayscale' {
  return result && result.preview.length === result.previewWidth * result.previewHeight * 3 ? 'colour' : 'grayscale';
}

/** Errors from the worker cross Comlink as plain `Error`s that keep their `name`, so match on it. */
function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Describes a failed classification of the photo `name`. The worker's TandemError messages
 * already name the photo and the reason, so they are shown as they are.
 */
function describeFailure(name: string, error: unknown): string {
  const message = describeError(error);
  return error instanceof Error && error.name === 'TandemError' ? message : `${name} could not be classified: ${message}`;
}

/** Keeps the well-formed entries of catalogue.json; a file name must not contain a path. */
function parseCatalogue(data: unknown): CatalogueItem[] {
  if (!Array.isArray(data)) throw new Error('catalogue.json is not a JSON array');
  return data.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { file, title, label } = entry as Record<string, unknown>;
    if (typeof file !== 'string' || !/^[\w.-]+$/.test(file)) return [];
    return [{ file, title: typeof title === 'string' ? title : file, label: typeof label === 'string' ? label : '' }];
  });
}

/** Returns the first image file of a clipboard or drop, or null when it has none. */
function firstImage(data: DataTransfer | null): File | null {
  if (!data) return null;
  for (const file of data.files) {
    if (file.type.startsWith('image/')) return file;
  }
  return data.files[0] ?? null;
}

/**
 * Real-time image classification: choose, drop or paste a photo, or pick one from the demo
 * catalogue, and see the photo beside the small image the model saw (gray, or colour for an RGB
 * model), with the three most probable categories. Each photo is sent on the `image` channel, where a newer request
 * supersedes an older one still waiting, so the latest photo wins.
 *
 * While connected, the panel listens for `paste` on the document, so a photo pasted anywhere on
 * the page is classified.
 */
@customElement('tandem-image-panel')
export class ImagePanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        container-type: inline-size;
      }

      h2 {
        font-size: 1.25rem;
        margin: 0 0 0.25rem;
      }

      h3 {
        font-size: 1rem;
        margin: 1.5rem 0 0.5rem;
      }

      .intro {
        margin: 0 0 0.75rem;
        font-size: 0.9375rem;
      }

      .drop-zone {
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.25rem;
        padding: 1.25rem 1rem;
        text-align: center;
        border: 2px dashed var(--tandem-border);
        border-radius: var(--tandem-radius);
        background: var(--tandem-background);
        cursor: pointer;
      }

      .drop-zone:hover,
      .drop-zone.dragging {
        border-color: var(--tandem-accent);
        background: var(--tandem-accent-soft);
      }

      .drop-zone:focus-within {
        outline: 3px solid var(--tandem-accent);
        outline-offset: 2px;
      }

      .drop-zone strong {
        color: var(--tandem-accent);
      }

      .hint {
        font-size: 0.8125rem;
      }

      .result {
        margin-top: 1rem;
        padding: 0.875rem;
        border: 1px solid var(--tandem-border);
        border-radius: var(--tandem-radius);
      }

      .result.stale .outcome {
        opacity: 0.45;
      }

      .images {
        display: grid;
        grid-template-columns: repeat(2, minmax(0, 12rem));
        justify-content: center;
        gap: 0.75rem;
        margin: 0 0 0.875rem;
      }

      figure {
        margin: 0;
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.375rem;
        min-width: 0;
      }

      .frame {
        width: 100%;
        aspect-ratio: 1;
        display: grid;
        place-items: center;
        border-radius: var(--tandem-radius);
        background: var(--tandem-background);
        overflow: hidden;
      }

      .frame img {
        max-width: 100%;
        max-height: 100%;
        object-fit: contain;
      }

      .frame canvas {
        width: 100%;
        height: 100%;
        image-rendering: pixelated;
      }

      figcaption {
        font-size: 0.8125rem;
        color: var(--tandem-muted);
        text-align: center;
        overflow-wrap: anywhere;
      }

      .unsure {
        margin: 0.75rem 0 0;
        font-size: 0.875rem;
      }

      .latency {
        margin: 0.5rem 0 0;
        font-size: 0.8125rem;
        color: var(--tandem-muted);
      }

      .problem {
        margin: 0.75rem 0 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        font-size: 0.9375rem;
        overflow-wrap: anywhere;
      }

      .catalogue {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(4.5rem, 1fr));
        gap: 0.375rem;
      }

      /* In a narrow panel the catalogue is one row that scrolls sideways, so the result below stays in view. */
      @container (max-width: 34rem) {
        .catalogue {
          grid-template-columns: none;
          grid-auto-flow: column;
          grid-auto-columns: 4.75rem;
          overflow-x: auto;
          overscroll-behavior-x: contain;
          scroll-snap-type: x proximity;
          padding-bottom: 0.375rem;
        }

        .catalogue li {
          scroll-snap-align: start;
        }
      }

      .catalogue button {
        width: 100%;
        height: 100%;
        padding: 0.25rem;
        display: flex;
        flex-direction: column;
        align-items: center;
        gap: 0.125rem;
        font-size: 0.75rem;
        line-height: 1.25;
      }

      .catalogue button[aria-pressed='true'] {
        border-color: var(--tandem-accent);
        box-shadow: 0 0 0 1px var(--tandem-accent);
      }

      .catalogue img {
        width: 100%;
        height: auto;
        aspect-ratio: 3 / 4;
        object-fit: contain;
        border-radius: calc(var(--tandem-radius) / 2);
      }
    `,
  ];

  /** The loaded image model. Its labels name the classes; its `image` section sizes the preview. */
  @property({ attribute: false }) model: ModelInfo | null = null;

  @state() private result: ShownPrediction | null = null;
  /** An object URL of the photo being shown; revoked when replaced. */
  @state() private photoUrl: string | null = null;
  @state() private photoName = '';
  @state() private pending = false;
  @state() private problem: string | null = null;
  @state() private dragging = false;
  @state() private catalogue: CatalogueItem[] = [];
  @state() private catalogueProblem: string | null = null;
  /** The catalogue file being shown, marked as pressed in the grid. */
  @state() private chosenFile: string | null = null;

  @query('canvas[data-testid="model-view"]') private modelView!: HTMLCanvasElement | null;
  @query('section.result') private resultSection!: HTMLElement | null;

  /** The number of the latest request: only its result is shown, so the result matches the photo. */
  private requestCount = 0;

  private readonly onPaste = (event: ClipboardEvent) => this.pastePhoto(event);

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('paste', this.onPaste);
    if (this.catalogue.length === 0) void this.loadCatalogue();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('paste', this.onPaste);
    this.showPhoto(null, '');
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('model')) {
      this.result = null;
      this.problem = null;
    }
  }

  override updated(changed: PropertyValues): void {
    const result = this.result;
    if (changed.has('result') && result && this.modelView) {
      drawPreview(this.modelView, result.preview, result.previewWidth, result.previewHeight);
    }
  }

  override render() {
    if (!this.model) return nothing;
    return html`
      <h2>Classify a photo</h2>
      <p class="intro muted">
        Shows the clothing category of a product photo. The photo is read on this device and is not uploaded.
      </p>
      <label
        class="drop-zone ${this.dragging ? 'dragging' : ''}"
        @dragover=${this.onDragOver}
        @dragleave=${this.onDragLeave}
        @drop=${this.onDrop}
      >
        <span><strong>Choose a photo</strong> or drop it here</span>
        <span class="hint muted">You can also paste one: Ctrl+V, or Command+V on a Mac.</span>
        <input class="visually-hidden" type="file" accept="image/*" data-testid="image-input" @change=${this.onFileChosen} />
      </label>
      ${this.problem ? html`<p class="problem" role="alert" data-testid="image-error">${this.problem}</p>` : nothing}
      <h3>Or try a catalogue photo</h3>
      ${this.renderCatalogue()}
      ${this.renderResult()}
    `;
  }

  private renderResult() {
    const result = this.result;
    if (!result && !this.pending) return nothing;
    const top = result?.top[0];

    return html`
      <section class="result ${this.pending ? 'stale' : ''}" aria-label="Result" aria-busy=${this.pending ? 'true' : 'false'}>
        <div class="images">
          <figure>
            <div class="frame">${this.photoUrl ? html`<img src=${this.photoUrl} alt=${`Your photo: ${this.photoName}`} />` : nothing}</div>
            <figcaption>${this.photoName}</figcaption>
          </figure>
          <figure class="outcome">
            <div class="frame">
              <canvas
                data-testid="model-view"
                role="img"
                aria-label=${`The ${colourOf(result)} image the model classified`}
                width=${result?.previewWidth ?? 28}
                height=${result?.previewHeight ?? 28}
              ></canvas>
            </div>
            <figcaption>What the model sees: ${result ? `${result.previewWidth} × ${result.previewHeight} ${colourOf(result) === 'colour' ? 'colour' : 'gray'} pixels` : '…'}</figcaption>
          </figure>
        </div>
        <div class="outcome" aria-live="polite">
          ${result ? html`<tandem-class-bars .classes=${result.top}></tandem-class-bars>` : html`<p class="muted">Classifying…</p>`}
          ${top && top.probability < lowConfidence
            ? html`<p class="unsure muted" data-testid="image-unsure">
                The model is unsure about this photo. It works best with one item on a plain background.
              </p>`
            : nothing}
          <p class="latency" data-testid="image-latency">${result ? `computed in ${milliseconds.format(result.roundTripMs)} ms` : ''}</p>
        </div>
      </section>
    `;
  }

  private renderCatalogue() {
    if (this.catalogueProblem) return html`<p class="muted" data-testid="catalogue-error">${this.catalogueProblem}</p>`;
    if (this.catalogue.length === 0) return html`<p class="muted">Loading the catalogue…</p>`;
    return html`<ul class="catalogue">
      ${this.catalogue.map(
        (item) => html`<li>
          <button
            data-testid="catalogue-item"
            data-file=${item.file}
            aria-pressed=${item.file === this.chosenFile ? 'true' : 'false'}
            title=${item.label ? `${item.title} (labelled ${item.label})` : item.title}
            @click=${() => this.chooseCatalogueItem(item)}
          >
            <img src=${new URL(item.file, this.catalogueBase()).href} alt="" loading="lazy" width="240" height="320" />
            <span>${item.title}</span>
          </button>
        </li>`,
      )}
    </ul>`;
  }

  private onDragOver(event: DragEvent): void {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    this.dragging = true;
  }

  private onDragLeave(): void {
    this.dragging = false;
  }

  private onDrop(event: DragEvent): void {
    event.preventDefault();
    this.dragging = false;
    const file = firstImage(event.dataTransfer);
    if (file) void this.classify(file, file.name, null);
    else this.problem = 'Nothing to classify was dropped. Drop a photo file, such as a PNG or JPEG.';
  }

  private onFileChosen(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    // Clearing the input lets the user choose the same photo again.
    input.value = '';
    if (file) void this.classify(file, file.name, null);
  }

  /** Classifies an image pasted anywhere on the page; text pasted into a field is left alone. */
  private pastePhoto(event: ClipboardEvent): void {
    const file = firstImage(event.clipboardData);
    if (!file) return;
    event.preventDefault();
    void this.classify(file, file.name || 'pasted image', null);
  }

  private async chooseCatalogueItem(item: CatalogueItem): Promise<void> {
    const url = new URL(item.file, this.catalogueBase());
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the request failed with HTTP ${response.status}`);
      await this.classify(await response.blob(), item.title, item.file);
    } catch (error) {
      log.warn(`Fetching the catalogue photo ${url.href} failed`, error);
      this.problem = `The catalogue photo ${item.title} could not be loaded: ${describeError(error)}. Reload the page and try again.`;
    }
  }

  /** Shows the photo at once and its categories when the worker returns them. */
  private async classify(photo: Blob, name: string, catalogueFile: string | null): Promise<void> {
    const model = this.model;
    if (!model) return;
    const request = ++this.requestCount;
    this.showPhoto(photo, name);
    this.chosenFile = catalogueFile;
    this.pending = true;
    this.problem = null;

    try {
      // A named File lets the worker's messages name the photo.
      const named = photo instanceof File ? photo : new File([photo], name, { type: photo.type });
      const result = await TandemClient.shared().predictImage(model.id, named, 'image');
      if (request !== this.requestCount || model !== this.model) return;
      this.result = result;
      // On a small screen the result can be below the fold; scrolling only as far as needed keeps the catalogue close.
      await this.updateComplete;
      this.resultSection?.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      if (isAbortError(error)) return;
      if (request !== this.requestCount || model !== this.model) return;
      log.warn(`Classifying ${name} failed for model ${model.id}`, error);
      this.result = null;
      this.showPhoto(null, '');
      this.chosenFile = null;
      this.problem = describeFailure(name, error);
    } finally {
      if (request === this.requestCount) this.pending = false;
    }
  }

  /** Replaces the shown photo, revoking the object URL of the previous one. */
  private showPhoto(photo: Blob | null, name: string): void {
    if (this.photoUrl) URL.revokeObjectURL(this.photoUrl);
    this.photoUrl = photo ? URL.createObjectURL(photo) : null;
    this.photoName = name;
  }

  private catalogueBase(): URL {
    return new URL(catalogueUrl, document.baseURI);
  }

  private async loadCatalogue(): Promise<void> {
    const url = this.catalogueBase();
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`the request failed with HTTP ${response.status}`);
      this.catalogue = parseCatalogue(await response.json());
      this.catalogueProblem = this.catalogue.length === 0 ? 'The demo catalogue is empty.' : null;
    } catch (error) {
      log.warn(`Loading the demo catalogue from ${url.href} failed`, error);
      this.catalogueProblem = `The demo catalogue could not be loaded: ${describeError(error)}.`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-image-panel': ImagePanel;
  }
}
