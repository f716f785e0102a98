import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { activateUpdate, serviceWorkerStatus, type ServiceWorkerState } from '../client/service-worker';
import { base } from './theme';

/**
 * Shows "An update is ready" with a Reload button while a new version of Tandem waits, and the
 * caching problems the service worker reported, such as a full storage quota or a model file
 * that failed its SHA-256 check. Renders nothing when there is neither.
 */
@customElement('tandem-update-banner')
export class UpdateBanner extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }

      .banner {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 0.75rem;
        padding: 0.75rem 1rem;
        margin-bottom: 1rem;
        border-radius: var(--tandem-radius);
        border: 1px solid var(--tandem-accent);
        background: var(--tandem-accent-soft);
        overflow-wrap: anywhere;
      }

      .banner.problem {
        border-color: var(--tandem-danger);
        background: var(--tandem-danger-soft);
        color: var(--tandem-danger);
      }

      .messages {
        flex: 1 1 16rem;
      }

      p {
        margin: 0;
      }
    `,
  ];

  @state() private status: ServiceWorkerState = serviceWorkerStatus.state;

  private readonly onStatusChange = (): void => {
    this.status = serviceWorkerStatus.state;
  };

  override connectedCallback(): void {
    super.connectedCallback();
    serviceWorkerStatus.addEventListener('change', this.onStatusChange);
    this.status = serviceWorkerStatus.state;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    serviceWorkerStatus.removeEventListener('change', this.onStatusChange);
  }

  override render() {
    const { updateReady, problems } = this.status;
    return html`
      ${updateReady
        ? html`<div class="banner" role="status" data-testid="update-ready">
            <p class="messages">An update is ready. Reload to use the new version.</p>
            <button class="primary" data-testid="update-reload" @click=${this.onReload}>Reload</button>
          </div>`
        : nothing}
      ${problems.length > 0
        ? html`<div class="banner problem" role="alert" data-testid="cache-problem">
            <div class="messages">${problems.map((message) => html`<p>${message}</p>`)}</div>
            <button data-testid="cache-problem-dismiss" @click=${this.onDismiss}>Dismiss</button>
          </div>`
        : nothing}
    `;
  }

  private onReload(): void {
    activateUpdate();
  }

  private onDismiss(): void {
    serviceWorkerStatus.update({ problems: [] });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tandem-update-banner': UpdateBanner;
  }
}
