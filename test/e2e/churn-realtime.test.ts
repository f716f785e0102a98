import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { churnManifest, golden, modeldataRows } from './churn-data';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/** Parity tolerance between the browser and onnxruntime-node golden probabilities. */
const tolerance = 1e-5;

async function readProbability(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid=probability]').getAttribute('data-value'));
}

/** Sets every form control to a customer's values from churn.csv. */
async function fillCustomer(page: Page, customer: Record<string, string>): Promise<void> {
  for (const feature of churnManifest.tabular.features) {
    const control = page.locator(`[data-feature="${feature.name}"]`).first();
    const value = customer[feature.name]!;
    const tag = await control.evaluate((element) => element.tagName.toLowerCase());
    if (tag === 'select') await control.selectOption(value === '' ? '0' : value);
    else await control.fill(value === '' ? '0' : value);
  }
}

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`real-time churn form on ${backend}`, () => {
    let served: Served;
    let launched: LaunchedBrowser;

    beforeAll(async () => {
      served = await serveBuild();
      launched = await launchBrowser({ webgpu: backend === 'webgpu' });
    });

    afterAll(async () => {
      await launched?.close();
      await served?.close();
    });

    it('reports the backend in use', async () => {
      const page = await launched.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${served.url}?backend=${backend}`);
      await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('starts the model first and renders the other panels after the first result', async () => {
      const page = await launched.context.newPage();
      const errors = watchErrors(page);
      // Whether the batch panel existed when the form announced its first result.
      await page.addInitScript(() => {
        window.addEventListener('first-result', () => {
          const app = document.querySelector('tandem-app');
          (window as unknown as { batchPanelAtFirstResult: boolean }).batchPanelAtFirstResult = app?.shadowRoot?.querySelector('tandem-batch-panel') != null;
        });
      });
      await page.goto(`${served.url}?backend=${backend}`);
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });
      await page.locator('tandem-batch-panel').waitFor({ state: 'attached', timeout: 10_000 });
      await page.locator('tandem-model-info').waitFor({ state: 'attached', timeout: 10_000 });
      expect(await page.evaluate(() => (window as unknown as { batchPanelAtFirstResult?: boolean }).batchPanelAtFirstResult)).toBe(false);

      // The start marks (src/shared/start-marks.ts) in the order they were made.
      const readMarks = "performance.getEntriesByType('mark').filter((mark) => mark.name.startsWith('tandem:')).map((mark) => mark.name.slice(7))";
      expect(await page.evaluate(readMarks)).toEqual(['model-requested', 'model-received', 'first-result']);
      // The worker starts the runtime before the model is compiled; the model files may arrive before or after.
      const workerMarks = (await page.workers()[0]!.evaluate(readMarks)) as string[];
      expect(workerMarks.filter((name) => name !== 'model-fetched')).toEqual(['worker-started', 'runtime-started', 'model-compiled', 'model-ready']);
      expect(workerMarks).toContain('model-fetched');
      expect(errors).toEqual([]);
      await page.close();
    });

    it('matches golden probabilities for held-out customers', async () => {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });

      // Held-out customers with clearly different scores, one of them with no total_charges.
      let previous = await readProbability(page);
      const newCustomer = golden.rows.find((entry) => modeldataRows[entry.row]!.total_charges === '')!;
      const chosen = [
        golden.rows.find((entry) => entry.probability > 0.7)!,
        golden.rows.find((entry) => entry.probability < 0.1)!,
        newCustomer,
      ];
      expect(newCustomer).toBeDefined();
      for (const entry of chosen) {
        await fillCustomer(page, modeldataRows[entry.row]!);
        await expect
          .poll(async () => Math.abs((await readProbability(page)) - entry.probability), { timeout: 20_000 })
          .toBeLessThanOrEqual(tolerance);
        const current = await readProbability(page);
        expect(current).not.toBe(previous);
        previous = current;
      }
      await page.close();
    });

    it('shows and exports serving metrics', async () => {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });
      for (const months of ['3', '9', '27']) await page.locator('[data-feature="tenure"]').first().fill(months);
      await expect.poll(() => page.locator('[data-testid=metrics-backend]').textContent(), { timeout: 10_000 }).toBe(backend);

      const download = page.waitForEvent('download');
      await page.locator('[data-testid=export-metrics]').click();
      const metrics = JSON.parse(readFileSync(await (await download).path(), 'utf8'));
      expect(metrics.backend).toBe(backend);
      expect(metrics.realtime.requests).toBeGreaterThanOrEqual(2);
      expect(metrics.realtime.computeMs.p95).toBeGreaterThan(0);
      expect(metrics.batch.requests).toBe(0);
      await page.close();
    });

    it('changes the probability when one field changes', async () => {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });
      const before = await readProbability(page);

      await page.locator('[data-feature="contract"]').first().selectOption('Month-to-month');
      await page.locator('[data-feature="tenure"]').first().fill('1');
      await expect.poll(() => readProbability(page), { timeout: 20_000 }).toBeGreaterThan(before);
      await expect(page.locator('[data-testid=latency]').textContent()).resolves.toMatch(/computed in [\d.,]+ ms/);
      await page.close();
    });

    it('flags a value outside the model range', async () => {
      const page = await launched.context.newPage();
      await page.goto(`${served.url}?backend=${backend}`);
      await page.locator('[data-testid=probability][data-value]').waitFor({ timeout: 60_000 });
      const warning = page.locator('[data-testid=range-warning]');
      expect(await warning.count()).toBe(0);

      // Out of range: still scored, with a note.
      await page.locator('[data-feature="tenure"]').first().fill('-5');
      await expect.poll(() => warning.textContent(), { timeout: 20_000 }).toContain("tenure is -5, below the model's range of 0 to 80");
      const probability = await readProbability(page);
      expect(probability).toBeGreaterThan(0);
      expect(probability).toBeLessThan(1);

      // Too large for a 32-bit float: an error that names the field. The form sends the number, which prints as 1e+308.
      await page.locator('[data-feature="monthly_charges"]').first().fill('1e308');
      const problem = page.locator('[data-testid=predict-error]');
      await expect.poll(() => problem.textContent(), { timeout: 20_000 }).toContain('Field "monthly_charges" has "1e+308"');
      expect(await problem.textContent()).toContain('too large');

      // Back in range: the note and the error go.
      await page.locator('[data-feature="monthly_charges"]').first().fill('50');
      await page.locator('[data-feature="tenure"]').first().fill('12');
      await expect.poll(() => warning.count(), { timeout: 20_000 }).toBe(0);
      await expect.poll(() => problem.count(), { timeout: 20_000 }).toBe(0);
      await page.close();
    });
  });
}

describe('auto backend choice', () => {
  let served: Served;
  let launched: LaunchedBrowser;

  beforeAll(async () => {
    served = await serveBuild();
    launched = await launchBrowser({ webgpu: true });
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('times both backends, then remembers', async () => {
    const page = await launched.context.newPage();
    await page.goto(`${served.url}?backend=auto`);
    const badge = page.locator('[data-testid=backend]');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toMatch(/^(wasm|webgpu)$/);
    const chosen = await badge.textContent();
    const reason = await page.locator('[data-testid=backend-reason]').textContent();
    expect(reason).toContain('faster on this device');
    expect(reason).toContain('wasm');
    expect(reason).toContain('webgpu');

    await page.reload();
    await expect.poll(() => page.locator('[data-testid=backend-reason]').textContent(), { timeout: 60_000 }).toContain('remembered');
    await expect(badge.textContent()).resolves.toBe(chosen);
    await page.close();
  });
});
