import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import {
  deleteCachedModels,
  deleteStoredResults,
  readStorageSummary,
  requestPersistentStorage,
  type StorageSummary,
} from '../client/browser-storage';
import { serviceWorkerStatus } from '../client/service-worker';
import { describeError } from '../shared/errors';
import { createLogger } from '../shared/logger';
import { base } from './theme';

const log = createLogger('storage-panel');

const sizeFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

/** Formats a byte count as "840 B", "12.3 MB" or "1.2 GB" (powers of 1,000). */
function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${sizeFormat.format(value)} ${units[unit]}`;
}

/**
 * A panel on Tandem's storage in this browser: usage and quota, whether storage is persistent and
 * the app works offline, and buttons to request persistent storage, delete the cached models and
 * delete every stored result (which reloads the page).
 */
@customElement('tandem-storage-panel')
export class StoragePanel extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        margin-top: 1.25rem;
        padding: clamp(0.875rem, 3vw, 1.25rem);
        background: var(--tandem-surface);
        border: 1px solid var(--tandem-border);
        border-radius: calc(var(--tandem-radius) * 1.5);
      }

      h2 {
        font-size: 1.0625rem;
        margin: 0 0 0.5rem;
      }

      p {
        margin: 0 0 0.5rem;
      }

      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
    `,
  ];

  @state() private summary: StorageSummary | null = null;
  @state() private offlineReady = serviceWorkerStatus.state.offlineReady;
  @state() private busy = false;
  /** The outcome of the last action, for the user. */
  @state() private notice = '';

  private readonly onStatusChange = (): void => {
    this.offlineReady = serviceWorkerStatus.state.offlineReady;
    void this.refresh();
  };

  override connectedCallback(): void {
    super.connectedCallback();
    serviceWorkerStatus.addEventListener('change', this.onStatusChange);
    void this.refresh();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    serviceWorkerStatus.removeEventListener('change', this.onStatusChange);
  }

  override render() {
    const summary = this.summary;
    return html`
      <section data-testid="storage-panel" aria-labelledby="storage-title">
        <h2 id="storage-title">Storage on this device</h2>
        ${summary
          ? html`<p data-testid="storage-usage" data-usage=${summary.usage} data-quota=${summary.quota}>
                ${formatBytes(summary.usage)} used of ${formatBytes(summary.quota)} that the browser allows this site.
              </p>
              <p data-testid="storage-persisted" data-value=${String(summary.persisted)}>
                ${summary.persisted
                  ? 'Storage is persistent: the browser keeps it when space runs low.'
                  : 'Storage is best-effort: the browser may delete it when space runs low.'}
              </p>`
          : html`<p data-testid="storage-usage" class="muted">This browser does not report storage use.</p>`}
        <p data-testid="offline-status" data-value=${String(this.offlineReady)}>
          ${this.offlineReady ? 'Tandem works offline in this browser.' : 'Tandem is not stored for offline use yet.'}
        </p>
        <div class="actions">
          ${summary && !summary.persisted
            ? html`<button data-testid="persist" ?disabled=${this.busy} @click=${this.onPersist}>Keep storage persistent</button>`
            : nothing}
          <button data-testid="delete-models" ?disabled=${this.busy} @click=${this.onDeleteModels}>Delete cached models</button>
          <button class="danger" data-testid="delete-results" ?disabled=${this.busy} @click=${this.onDeleteResults}>
            Delete all stored results
          </button>
        </div>
        <p role="status" data-testid="storage-notice">${this.notice}</p>
      </section>
    `;
  }

  private async refresh(): Promise<void> {
    try {
      this.summary = await readStorageSummary();
    } catch (error) {
      log.warn('Reading the storage estimate failed', error);
      this.summary = null;
    }
  }

  private async onPersist(): Promise<void> {
    this.busy = true;
    try {
      const granted = await requestPersistentStorage();
      this.notice = granted
        ? 'The browser will keep Tandem’s data when space runs low.'
        : 'The browser declined. Chromium grants persistent storage to installed or often-used sites, so install Tandem or try again later.';
    } catch (error) {
      this.notice = `Requesting persistent storage failed: ${describeError(error)}`;
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  private async onDeleteModels(): Promise<void> {
    this.busy = true;
    try {
      const deleted = await deleteCachedModels();
      this.notice =
        deleted > 0
          ? `Deleted ${deleted} cached model ${deleted === 1 ? 'file' : 'files'}. A model downloads again the next time it loads online, and the one loaded now keeps working.`
          : 'No cached models to delete.';
    } catch (error) {
      log.error('Deleting the cached models failed', error);
      this.notice = `Deleting the cached models failed: ${describeError(error)}`;
    } finally {
      this.busy = false;
      await this.refresh();
    }
  }

  private async onDeleteResults(): Promise<void> {
    const confirmed = confirm('Delete every job, its input file and its results from this browser? This cannot be undone, and the page reloads afterwards.');
    if (!confirmed) return;

    this.busy = true;
    this.notice = 'Deleting stored results…';
    try {
      await deleteStoredResults(() => {
        this.notice = 'Waiting for other Tandem tabs to let go of the stored results. Close them to finish deleting.';
      });
      // The inference worker's connection to the deleted database is closed, so start a new one.
      location.reload();
    } catch (error) {
      log.error('Deleting the stored results failed', error);
      this.notice = `Deleting the stored results failed: ${describeError(error)}`;
      this.busy = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-storage-panel': StoragePanel;
  }
}
