import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { TandemClient } from '../client/tandem-client';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { base } from '../ui/theme';

const log = createLogger('open-model');

/** Fired with the manifest URL of a model the user opened; the page then loads it. */
export class ModelOpenedEvent extends Event {
  static readonly eventName = 'model-opened';

  constructor(readonly manifestUrl: string) {
    super(ModelOpenedEvent.eventName, { bubbles: true, composed: true });
  }
}

function isOnnx(file: File): boolean {
  return /\.onnx$/i.test(file.name);
}

function isJson(file: File): boolean {
  return /\.json$/i.test(file.name) || file.type === 'application/json';
}

/**
 * Opens the user's own ONNX model: a `.onnx` file dropped anywhere on the page or chosen with the
 * picker (optionally with its `manifest.json`), or a URL of a `.onnx` file or of a manifest. The
 * worker checks and stores the model and derives a manifest when none is given.
 */
@customElement('tandem-open-model')
export class OpenModel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      form {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
      }

      input[type='url'] {
        flex: 1 1 14rem;
        min-width: 0;
      }

      .hint {
        margin: 0.25rem 0 0;
        font-size: 0.8125rem;
      }

      .problem {
        margin: 0.5rem 0 0;
        padding: 0.5rem 0.75rem;
        border-radius: var(--tandem-radius);
        border: 1px solid var(--tandem-danger);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
        overflow-wrap: anywhere;
      }

      .drop-overlay {
        position: fixed;
        inset: 0;
        z-index: 10;
        display: grid;
        place-items: center;
        background: color-mix(in srgb, var(--tandem-accent) 15%, transparent);
        border: 3px dashed var(--tandem-accent);
        font-size: 1.25rem;
        font-weight: 700;
        pointer-events: none;
      }
    `,
  ];

  /** A lower model size limit in bytes, from the page address (`max_model_mb`). */
  @property({ attribute: false }) maxBytes: number | undefined = undefined;

  @state() private busy = false;
  @state() private problem: string | null = null;
  @state() private dragging = false;

  private readonly onWindowDragOver = (event: DragEvent) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    // Without this the browser opens a dropped file in place of the page.
    event.preventDefault();
    this.dragging = true;
  };

  private readonly onWindowDragLeave = (event: DragEvent) => {
    if (event.relatedTarget === null) this.dragging = false;
  };

  private readonly onWindowDrop = (event: DragEvent) => {
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    // Other drop zones on the page (photos, CSV files) handle their own files.
    if (files.some(isOnnx)) void this.openFiles(files);
  };

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('dragover', this.onWindowDragOver);
    window.addEventListener('dragleave', this.onWindowDragLeave);
    window.addEventListener('drop', this.onWindowDrop);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('dragover', this.onWindowDragOver);
    window.removeEventListener('dragleave', this.onWindowDragLeave);
    window.removeEventListener('drop', this.onWindowDrop);
  }

  override render() {
    return html`
      <form @submit=${this.onSubmitUrl} aria-label="Open your own model">
        <input
          type="file"
          accept=".onnx,.json"
          multiple
          hidden
          aria-label="Model file"
          data-testid="open-model-file"
          ?disabled=${this.busy}
          @change=${this.onPick}
        />
        <button type="button" ?disabled=${this.busy} @click=${this.openPicker}>Open your model…</button>
        <label for="model-url" class="visually-hidden">Model URL</label>
        <input id="model-url" type="url" name="url" placeholder="https://…/model.onnx or manifest.json" data-testid="open-model-url" ?disabled=${this.busy} />
        <button type="submit" ?disabled=${this.busy} data-testid="open-model-url-button">Open URL</button>
      </form>
      <p class="hint muted">Drop a .onnx file anywhere on the page, with its manifest.json if it has one. It stays in this browser.</p>
      ${this.busy ? html`<p role="status" data-testid="open-model-status">Checking the model…</p>` : nothing}
      ${this.problem ? html`<p class="problem" role="alert" data-testid="open-model-error">${this.problem}</p>` : nothing}
      ${this.dragging ? html`<div class="drop-overlay">Drop a .onnx model to open it</div>` : nothing}
    `;
  }

  private openPicker(): void {
    this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click();
  }

  private onPick(event: Event): void {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length > 0) void this.openFiles(files);
  }

  private async onSubmitUrl(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const field = this.renderRoot.querySelector<HTMLInputElement>('#model-url');
    const url = field?.value.trim() ?? '';
    if (!url) {
      this.problem = 'Enter the URL of a .onnx file or of a manifest.json.';
      return;
    }
    // A manifest URL loads like a shipped model; a model URL is fetched and stored.
    if (/\.json([?#].*)?$/i.test(url)) {
      this.dispatchEvent(new ModelOpenedEvent(new URL(url, location.href).href));
      return;
    }
    await this.run(() => TandemClient.shared().openModelUrl(url, this.maxBytes), url);
  }

  /** Opens the first `.onnx` file, with the first `.json` file as its manifest when there is one. */
  private async openFiles(files: File[]): Promise<void> {
    const model = files.find(isOnnx);
    const manifestFile = files.find(isJson);
    if (!model) {
      const names = files.map((file) => `"${file.name}"`).join(', ');
      this.problem = `${files.length === 1 ? `${names} is not` : `None of ${names} is`} a .onnx model file. Choose a file whose name ends in .onnx.`;
      return;
    }
    await this.run(async () => {
      let manifest: unknown;
      if (manifestFile) {
        try {
          manifest = JSON.parse(await manifestFile.text());
        } catch (error) {
          throw new Error(`The manifest "${manifestFile.name}" is not valid JSON (${describeError(error)}). Fix the file or open the model alone.`);
        }
      }
      return TandemClient.shared().openModel(model, model.name, manifest, this.maxBytes);
    }, model.name);
  }

  private async run(open: () => Promise<string>, what: string): Promise<void> {
    this.busy = true;
    this.problem = null;
    try {
      const manifestUrl = await open();
      this.dispatchEvent(new ModelOpenedEvent(manifestUrl));
    } catch (error) {
      log.warn(`opening ${what} failed`, error);
      this.problem = describeError(error);
    } finally {
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-open-model': OpenModel;
  }
}
