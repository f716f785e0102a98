import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { markStart } from '../shared/start-marks';
import type { ModelInfo } from '../shared/protocol';
import { base, tokens } from '../ui/theme';
import '../ui/metrics-panel';
import '../ui/storage-panel';
import '../ui/update-banner';
import './batch-panel';
import './image-batch-panel';
import './image-panel';
import './model-info-panel';
import { ManifestChangedEvent } from './model-info-panel';
import './open-model';
import { ModelOpenedEvent } from './open-model';
import { defaultManifestUrl, readPageSettings } from './page-settings';
import './similar-panel';
import './realtime-panel';

const log = createLogger('app');

/** How long a record model's other panels wait for the form's first result before they render anyway. */
const restFallbackMs = 1000;

/** The models the header links to, by manifest URL relative to the page. */
const shippedModels: readonly { name: string; manifest: string }[] = [
  { name: 'Customer churn', manifest: 'models/churn/manifest.json' },
  { name: 'Product photos', manifest: 'models/product-photo/manifest.json' },
];

/** Returns the page address for a model, keeping the page's `backend` and `max_model_mb` parameters. */
function modelPageUrl(manifest: string, search: string): string {
  const params = new URLSearchParams({ model: manifest });
  const current = new URLSearchParams(search);
  for (const name of ['backend', 'max_model_mb']) {
    const value = current.get(name);
    if (value !== null) params.set(name, value);
  }
  return `?${params}`;
}

/** Reads `?max_model_mb=`, a lower limit for opened model files, in bytes; undefined when absent or invalid. */
function readModelSizeLimit(search: string): number | undefined {
  const megabytes = Number(new URLSearchParams(search).get('max_model_mb'));
  return megabytes > 0 ? megabytes * 1e6 : undefined;
}

/** Reports whether `manifest` (relative to the page) is the model the page address names. */
function isCurrentModel(manifest: string, search: string): boolean {
  const current = new URLSearchParams(search).get('model') || defaultManifestUrl;
  try {
    return new URL(current, location.href).href === new URL(manifest, location.href).href;
  } catch {
    // An invalid `model` parameter matches no link; the page shows the load error.
    return false;
  }
}

/**
 * The Tandem page: loads the model named in the page address, then shows real-time scoring and
 * batch scoring side by side on wide screens and stacked on narrow ones. A record model gets the
 * generated form and CSV scoring. An image model, whose manifest has an `image` section, gets
 * photo classification and batch tagging. Links in the header switch between the shipped models.
 *
 * URL parameters: `model`, the manifest URL (default `models/churn/manifest.json`), and
 * `backend`, `auto`, `webgpu` or `wasm` (default `auto`).
 */
@customElement('tandem-app')
export class TandemApp extends LitElement {
  static override styles = [
    tokens,
    base,
    css`
      :host {
        display: block;
        min-height: 100vh;
        background: var(--tandem-background);
      }

      .page {
        max-width: 80rem;
        margin: 0 auto;
        padding: 1.25rem clamp(0.75rem, 3vw, 2rem) 2rem;
      }

      header {
        display: flex;
        flex-wrap: wrap;
        align-items: flex-end;
        justify-content: space-between;
        gap: 0.75rem 1.5rem;
        margin-bottom: 1.25rem;
      }

      .top {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.5rem 1rem;
        margin-bottom: 0.75rem;
      }

      .models {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        margin: 0;
        padding: 0.1875rem;
        list-style: none;
        border: 1px solid var(--tandem-border);
        border-radius: 999px;
        background: var(--tandem-surface);
      }

      .models a {
        display: block;
        padding: 0.25rem 0.875rem;
        border-radius: 999px;
        font-size: 0.875rem;
        font-weight: 600;
        color: var(--tandem-muted);
        text-decoration: none;
      }

      .models a:hover {
        color: var(--tandem-text);
        background: var(--tandem-background);
      }

      .models a[aria-current='page'] {
        color: var(--tandem-accent-text);
        background: var(--tandem-accent);
      }

      .brand {
        font-size: 0.875rem;
        font-weight: 700;
        letter-spacing: 0.08em;
        text-transform: uppercase;
        color: var(--tandem-accent);
      }

      h1 {
        font-size: clamp(1.375rem, 4vw, 1.875rem);
        line-height: 1.2;
        margin: 0.125rem 0 0.25rem;
      }

      .version {
        font-size: 0.9375rem;
        font-weight: 500;
        color: var(--tandem-muted);
        margin-left: 0.375rem;
      }

      .description {
        margin: 0;
        max-width: 48rem;
        font-size: 0.9375rem;
        color: var(--tandem-muted);
      }

      .backend {
        display: flex;
        flex-direction: column;
        align-items: flex-start;
        gap: 0.25rem;
        max-width: 22rem;
      }

      .badge {
        display: inline-block;
        padding: 0.125rem 0.625rem;
        border-radius: 999px;
        background: var(--tandem-accent-soft);
        color: var(--tandem-accent);
        border: 1px solid var(--tandem-accent);
        font-family: var(--tandem-mono);
        font-size: 0.875rem;
        font-weight: 600;
      }

      .backend small {
        font-size: 0.8125rem;
        color: var(--tandem-muted);
      }

      .panels {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 30rem), 1fr));
        gap: 1.25rem;
        align-items: start;
      }

      .panels > .full {
        grid-column: 1 / -1;
      }

      .panels > * {
        min-width: 0;
        padding: clamp(0.875rem, 3vw, 1.25rem);
        background: var(--tandem-surface);
        border: 1px solid var(--tandem-border);
        border-radius: calc(var(--tandem-radius) * 1.5);
      }

      .banner {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.75rem;
        padding: 0.875rem 1rem;
        border-radius: var(--tandem-radius);
        border: 1px solid var(--tandem-danger);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        overflow-wrap: anywhere;
      }

      .banner p {
        margin: 0;
        flex: 1 1 16rem;
      }

      .loading {
        padding: 2rem 0;
        color: var(--tandem-muted);
      }

      footer {
        margin-top: 2rem;
        font-size: 0.8125rem;
        color: var(--tandem-muted);
      }
    `,
  ];

  @state() private model: ModelInfo | null = null;
  @state() private loading = false;
  @state() private error: string | null = null;
  /** Whether the error came from loading, which a retry can fix, rather than from the page address. */
  @state() private canRetry = false;
  /**
   * Whether the panels after a record model's form are rendered. The form renders alone first,
   * so that rendering the rest does not hold up its first prediction; see {@link showRestAfterPaint}.
   */
  @state() private restShown = false;
  private restTimer: number | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.model && !this.loading) void this.load();
  }

  override render() {
    return html`
      <div class="page">
        <div class="top">
          <div class="brand">Tandem</div>
          ${this.renderModelSwitcher()}
        </div>
        <tandem-open-model
          .maxBytes=${readModelSizeLimit(location.search)}
          @model-opened=${this.onModelOpened}
        ></tandem-open-model>
        <tandem-update-banner></tandem-update-banner>
        <header>${this.renderTitle()} ${this.renderBackend()}</header>
        ${this.error
          ? html`<div class="banner" role="alert" data-testid="error">
              <p data-testid="error-message">${this.error}</p>
              ${this.canRetry ? html`<button @click=${this.load}>Try again</button>` : nothing}
            </div>`
          : nothing}
        ${this.loading ? html`<p class="loading" role="status" data-testid="loading">Loading the model…</p>` : nothing}
        ${this.model
          ? html`<main class="panels">
              ${this.model.manifest.image
                ? html`<tandem-image-panel .model=${this.model}></tandem-image-panel>
                    <tandem-image-batch-panel .model=${this.model}></tandem-image-batch-panel>
                    <tandem-similar-panel class="full" .model=${this.model}></tandem-similar-panel>`
                : html`<tandem-realtime-panel .model=${this.model} @first-result=${this.showRestAfterPaint}></tandem-realtime-panel>
                    ${this.restShown ? html`<tandem-batch-panel .model=${this.model}></tandem-batch-panel>` : nothing}`}
              ${this.restShown
                ? html`<tandem-metrics-panel class="full" .source=${() => TandemClient.shared().metrics()}></tandem-metrics-panel>
                    <tandem-model-info class="full" .model=${this.model} @manifest-changed=${this.onManifestChanged}></tandem-model-info>`
                : nothing}
            </main>`
          : nothing}
        <tandem-storage-panel></tandem-storage-panel>
        <footer>Models run on this device, in your browser. Your data is not uploaded.</footer>
      </div>
    `;
  }

  private renderTitle() {
    const manifest = this.model?.manifest;
    return html`
      <div>
        <h1>
          <span data-testid="model-title">${manifest ? manifest.title || manifest.name : 'Model'}</span>
          ${manifest ? html`<span class="version" data-testid="model-version">v${manifest.version}</span>` : nothing}
        </h1>
        ${manifest?.description ? html`<p class="description">${manifest.description}</p>` : nothing}
      </div>
    `;
  }

  private renderModelSwitcher() {
    const search = location.search;
    return html`<nav aria-label="Models">
      <ul class="models">
        ${shippedModels.map(
          (model) => html`<li>
            <a
              href=${modelPageUrl(model.manifest, search)}
              data-testid="model-link"
              aria-current=${isCurrentModel(model.manifest, search) ? 'page' : nothing}
              >${model.name}</a
            >
          </li>`,
        )}
      </ul>
    </nav>`;
  }

  private renderBackend() {
    const model = this.model;
    if (!model) return nothing;
    return html`
      <div class="backend">
        <span>
          Running on
          <span class="badge" data-testid="backend" title=${model.backendReason}>${model.backend}</span>
        </span>
        <small data-testid="backend-reason">${model.backendReason}</small>
      </div>
    `;
  }

  /** Loads an opened model through the page address, so that a reload keeps it. */
  private onModelOpened(event: ModelOpenedEvent): void {
    location.assign(modelPageUrl(event.manifestUrl, location.search));
  }

  /**
   * Renders the other panels once the frame with the form's first result has been painted: a task
   * queued from an animation frame callback runs after that frame.
   */
  private readonly showRestAfterPaint = (): void => {
    requestAnimationFrame(() => {
      // This replaces the fallback timer, which is no longer needed.
      window.clearTimeout(this.restTimer);
      this.restTimer = window.setTimeout(this.showRest, 0);
    });
  };

  private readonly showRest = (): void => {
    window.clearTimeout(this.restTimer);
    this.restShown = true;
  };

  private onManifestChanged(_event: ManifestChangedEvent): void {
    this.model = null;
    void this.load();
  }

  private async load(): Promise<void> {
    const settings = readPageSettings(location.search);
    if ('error' in settings) {
      this.error = settings.error;
      this.canRetry = false;
      return;
    }

    this.loading = true;
    this.error = null;
    try {
      const model = await TandemClient.shared().loadModel(settings.manifestUrl, settings.backend);
      markStart('model-received');
      // An image model's panel predicts nothing until it gets an image, so every panel renders at
      // once. A record model's form renders first; the rest follows its first result, or a second.
      this.restShown = Boolean(model.manifest.image);
      window.clearTimeout(this.restTimer);
      if (!this.restShown) this.restTimer = window.setTimeout(this.showRest, restFallbackMs);
      this.model = model;
      // A scripting hook for the benchmark and for power users in the console.
      window.tandem = { client: TandemClient.shared(), model: this.model };
    } catch (error) {
      log.error(`Loading the model at ${settings.manifestUrl} failed`, error);
      this.error = `The model could not be loaded: ${describeError(error)}`;
      this.canRetry = true;
    } finally {
      this.loading = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-app': TandemApp;
  }
}

declare global {
  interface Window {
    /** The page's client and loaded model, for scripts (the benchmark, the console). */
    tandem?: { client: TandemClient; model: ModelInfo };
  }
}
