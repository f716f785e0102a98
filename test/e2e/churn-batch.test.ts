import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '../../src/shared/evaluation';
import { churnManifest, golden, modeldataRows, parseCsv } from './churn-data';
import { exportJob, openApp, scoreFile } from './app-page';
import { launchBrowser, serveBuild, watchErrors, type LaunchedBrowser, type Served } from './harness';

/** Parity tolerance between exported probabilities and onnxruntime-node golden values. */
const tolerance = 1e-5;
const totalRows = 7043;

const layouts = [
  { name: 'modeldata', path: 'public/data/churn.csv', label: 'churn', idColumn: null },
  { name: 'IBM', path: 'public/data/churn-ibm.csv', label: 'Churn', idColumn: 'customerID' },
] as const;

for (const backend of ['wasm', 'webgpu'] as const) {
  describe(`churn batch on ${backend}`, () => {
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

    for (const layout of layouts) {
      it(`scores every row of the ${layout.name} file`, async () => {
        const page = await launched.context.newPage();
        const errors = watchErrors(page);
        await openApp(page, served.url, backend);
        const jobId = await scoreFile(page, layout.path);
        const exported = parseCsv(await exportJob(page, jobId));
        const input = parseCsv(readFileSync(layout.path, 'utf8'));

        // Every row comes back, in input order, with its original columns unchanged.
        expect(exported).toHaveLength(totalRows);
        expect(exported.map((row) => row[layout.label])).toEqual(input.map((row) => row[layout.label]));
        if (layout.idColumn) expect(exported.map((row) => row[layout.idColumn])).toEqual(input.map((row) => row[layout.idColumn]));
        expect(exported.filter((row) => row.error !== '')).toEqual([]);

        // The held-out rows equal the golden values.
        let worst = 0;
        for (const entry of golden.rows) worst = Math.max(worst, Math.abs(Number(exported[entry.row]!.probability) - entry.probability));
        expect(worst).toBeLessThanOrEqual(tolerance);

        // The new customers with no total charges are scored too.
        const newCustomers = modeldataRows.flatMap((row, index) => (row.total_charges === '' ? [index] : []));
        expect(newCustomers).toHaveLength(11);
        for (const index of newCustomers) expect(Number(exported[index]!.probability)).toBeGreaterThan(0);

        // ROC AUC of the exported held-out probabilities equals training's on the same rows.
        const heldOutScores = golden.rows.map((entry) => Number(exported[entry.row]!.probability));
        const heldOutLabels = golden.rows.map((entry) => (modeldataRows[entry.row]!.churn === 'Yes' ? 1 : 0));
        expect(rocAuc(heldOutScores, heldOutLabels)).toBeCloseTo(churnManifest.metrics.roc_auc, 4);
        const allScores = exported.map((row) => Number(row.probability));
        const allLabels = modeldataRows.map((row) => (row.churn === 'Yes' ? 1 : 0));
        expect(rocAuc(allScores, allLabels)).toBeCloseTo(churnManifest.metrics.all_rows.roc_auc, 4);

        // The app shows the same evaluation.
        const shownAuc = Number(await page.locator(`[data-testid=job][data-job-id="${jobId}"] [data-testid=auc]`).getAttribute('data-value'));
        expect(shownAuc).toBeCloseTo(rocAuc(allScores, allLabels), 6);
        expect(errors).toEqual([]);
        await page.close();
      });
    }

    it('keeps jobs after a reload and serves a rerun from the cache', async () => {
      const page = await launched.context.newPage();
      await openApp(page, served.url, backend);
      // The list loads after the model, so it is polled.
      const completedJobs = page.locator('[data-testid=job][data-status=completed]');
      await expect.poll(() => completedJobs.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
      const jobCount = await completedJobs.count();

      await page.reload();
      await openApp(page, served.url, backend);
      await expect.poll(() => page.locator('[data-testid=job][data-status=completed]').count(), { timeout: 30_000 }).toBe(jobCount);

      const jobId = await scoreFile(page, layouts[0].path);
      const job = page.locator(`[data-testid=job][data-job-id="${jobId}"]`);
      await expect(job.locator('[data-testid=cached]').count()).resolves.toBe(1);
      const exported = parseCsv(await exportJob(page, jobId));
      expect(exported).toHaveLength(totalRows);
      for (const entry of golden.rows.slice(0, 50)) expect(Math.abs(Number(exported[entry.row]!.probability) - entry.probability)).toBeLessThanOrEqual(tolerance);
      await page.close();
    });
  });
}
