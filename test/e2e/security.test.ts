import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from './app-page';
import { launchBrowser, serveBuild, type LaunchedBrowser, type Served } from './harness';

const payload = '<img src=x onerror="window.__hacked=1">';

/** Writes a manifest whose text fields carry HTML, next to the built app, reusing the churn model. */
function writeHostileManifest(): string {
  const manifest = JSON.parse(readFileSync('public/models/churn/manifest.json', 'utf8'));
  manifest.title = `Churn ${payload}`;
  manifest.description = payload;
  manifest.model.file = '../models/churn/model.onnx';
  manifest.tabular.features[0].description = payload;
  manifest.tabular.features.find((feature: { type: string }) => feature.type === 'boolean').true_label = payload;
  mkdirSync('dist/hostile', { recursive: true });
  writeFileSync('dist/hostile/manifest.json', JSON.stringify(manifest));
  return 'hostile/manifest.json';
}

describe('untrusted text and URLs', () => {
  let served: Served;
  let launched: LaunchedBrowser;

  beforeAll(async () => {
    served = await serveBuild();
    launched = await launchBrowser();
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('sends a Content-Security-Policy and breaks none of it', async () => {
    const page = await launched.context.newPage();
    const violations: string[] = [];
    await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    await openApp(page, served.url, 'wasm');
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(policy).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).not.toContain("'unsafe-eval'");
    await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });
    expect(violations).toEqual([]);
    await page.close();
  });

  it('shows manifest HTML as text', async () => {
    const hostile = writeHostileManifest();
    const page = await launched.context.newPage();
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs += 1;
      void dialog.dismiss();
    });
    await page.goto(`${served.url}?model=${hostile}&backend=wasm`);
    await expect.poll(() => page.locator('[data-testid=model-title]').textContent(), { timeout: 60_000 }).toContain('<img');
    await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });

    const injected = await page.evaluate(() => {
      const found: string[] = [];
      const walk = (root: Document | ShadowRoot) => {
        root.querySelectorAll('*').forEach((element) => {
          if (element.tagName === 'IMG' && element.getAttribute('src') === 'x') found.push('img');
          if (element.shadowRoot) walk(element.shadowRoot);
        });
      };
      walk(document);
      return { found, hacked: (window as unknown as { __hacked?: number }).__hacked ?? 0 };
    });
    expect(injected.found).toEqual([]);
    expect(injected.hacked).toBe(0);
    expect(dialogs).toBe(0);
    await page.close();
  });

  it('cannot load script through the model URL', async () => {
    const page = await launched.context.newPage();
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs += 1;
      void dialog.dismiss();
    });
    for (const model of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', '/src/app/main.ts']) {
      await page.goto(`${served.url}?model=${encodeURIComponent(model)}&backend=wasm`);
      await expect.poll(() => page.locator('[data-testid=error-message]').count(), { timeout: 30_000 }).toBe(1);
    }
    expect(dialogs).toBe(0);
    await page.close();
  });
});
