/**
 * The widget's styles. Everything inside the shadow root hangs off `.root`, which resets every
 * property (`all: initial`) and sets its own type and colours, so the host page's CSS reaches the
 * widget only through the `--tandem-*` custom properties and `::part()`. Sizes are in `em` of
 * `--tandem-font-size`, never `rem`, because a page's root font size must not scale the widget.
 */
import { css } from 'lit';
import { tokens } from '../ui/theme';

export const widgetStyles = [
  tokens,
  css`
    :host {
      display: block;
      max-width: 100%;
    }

    :host([hidden]) {
      display: none;
    }

    .root {
      all: initial;
      display: block;
      box-sizing: border-box;
      max-width: 100%;
      padding: 1em;
      font-family: var(--tandem-font);
      font-size: var(--tandem-font-size, 16px);
      line-height: 1.5;
      color: var(--tandem-text);
      background: var(--tandem-surface);
      border: 1px solid var(--tandem-border);
      border-radius: var(--tandem-radius);
      overflow-wrap: anywhere;
    }

    .root *,
    .root *::before,
    .root *::after {
      box-sizing: border-box;
    }

    :focus-visible {
      outline: 3px solid var(--tandem-accent);
      outline-offset: 2px;
    }

    p {
      margin: 0;
    }

    .caption {
      margin-bottom: 0.75em;
      font-size: 0.875em;
      color: var(--tandem-muted);
    }

    .fields {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 13em), 1fr));
      gap: 0.75em 1em;
      margin: 0;
      padding: 0;
      border: none;
      min-width: 0;
    }

    .field {
      display: flex;
      flex-direction: column;
      gap: 0.25em;
      min-width: 0;
    }

    label {
      font-weight: 600;
      font-size: 0.875em;
    }

    .help {
      font-size: 0.8125em;
      color: var(--tandem-muted);
    }

    input,
    select,
    button {
      font: inherit;
      color: var(--tandem-text);
      background: var(--tandem-surface);
      border: 1px solid var(--tandem-border);
      border-radius: var(--tandem-radius);
      min-height: 2.5em;
      padding: 0.375em 0.625em;
      width: 100%;
      max-width: 100%;
    }

    input[type='file'] {
      padding: 0.5em;
    }

    .result {
      margin-bottom: 1em;
      padding-bottom: 0.75em;
      border-bottom: 1px solid var(--tandem-border);
    }

    .headline {
      display: flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0 0.5em;
    }

    .probability {
      font-size: 2em;
      font-weight: 700;
      line-height: 1.2;
      font-variant-numeric: tabular-nums;
    }

    .label {
      font-size: 1.125em;
      font-weight: 600;
    }

    .meaning {
      font-size: 0.875em;
      color: var(--tandem-muted);
    }

    .meter {
      position: relative;
      height: 0.75em;
      margin: 0.5em 0 0.25em;
      border-radius: 999px;
      border: 1px solid var(--tandem-border);
      background: var(--tandem-accent-soft);
    }

    .meter-fill {
      height: 100%;
      border-radius: 999px;
      background: var(--tandem-accent);
    }

    .threshold {
      position: absolute;
      top: -0.25em;
      bottom: -0.25em;
      width: 2px;
      background: var(--tandem-text);
    }

    .picker {
      display: flex;
      flex-direction: column;
      gap: 0.25em;
      margin-bottom: 1em;
    }

    .image-result {
      display: flex;
      flex-wrap: wrap;
      gap: 1em;
      align-items: flex-start;
    }

    .image-result img {
      width: 6em;
      height: 6em;
      object-fit: contain;
      border: 1px solid var(--tandem-border);
      border-radius: var(--tandem-radius);
      background: #ffffff;
    }

    .top-classes {
      margin: 0;
      padding-left: 1.25em;
      font-variant-numeric: tabular-nums;
    }

    .top-classes li:first-child {
      font-weight: 700;
    }

    .products {
      list-style: none;
      margin: 0.5em 0 0;
      padding: 0;
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(5em, 1fr));
      gap: 0.5em;
    }

    .products button,
    .products li[part='similar-item'] {
      width: 100%;
      display: flex;
      flex-direction: column;
      align-items: center;
      gap: 0.25em;
      padding: 0.25em;
      border: 1px solid var(--tandem-border);
      border-radius: var(--tandem-radius);
      background: var(--tandem-surface);
      color: inherit;
      font: inherit;
      font-size: 0.75em;
    }

    .products button[aria-pressed='true'] {
      border-color: var(--tandem-accent);
      background: var(--tandem-accent-soft);
    }

    .products img {
      width: 3.5em;
      height: 3.5em;
      object-fit: contain;
    }

    .similar {
      margin-top: 1em;
    }

    .score {
      color: var(--tandem-muted);
      font-variant-numeric: tabular-nums;
    }

    .visually-hidden {
      position: absolute;
      width: 1px;
      height: 1px;
      margin: -1px;
      padding: 0;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
      border: 0;
    }

    .notice,
    .error {
      padding: 0.5em 0.75em;
      border-radius: var(--tandem-radius);
      font-size: 0.875em;
    }

    .notice {
      background: var(--tandem-accent-soft);
    }

    .error {
      margin-top: 0.5em;
      background: var(--tandem-danger-soft);
      color: var(--tandem-danger);
    }

    .range-warning {
      margin: 0.5em 0 0;
      padding: 0.5em 0.75em;
      border-radius: var(--tandem-radius);
      font-size: 0.875em;
      background: var(--tandem-warning-soft);
      color: var(--tandem-warning);
    }
  `,
];
