/** Page actions on the Tandem app shared by the end-to-end tests. */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export async function openApp(page: Page, url: string, backend: string): Promise<void> {
  await page.goto(`${url}?backend=${backend}`);
  await expect.poll(() => page.locator('[data-testid=backend]').textContent(), { timeout: 60_000 }).toBe(backend);
}

/**
 * Waits until the page's batch panel exists and has read its stored jobs. The panel renders after
 * the form's first result and reads the jobs afterwards, so counting jobs any earlier can miss
 * some.
 */
export async function waitForJobList(page: Page): Promise<void> {
  await page.locator('tandem-job-list').first().waitFor({ state: 'attached', timeout: 60_000 });
  await expect.poll(() => page.locator('[data-testid=jobs-listing]').count(), { timeout: 60_000 }).toBe(0);
}

/** Picks a file, waits for its job to finish and returns the job's list item id. */
export async function scoreFile(page: Page, path: string): Promise<string> {
  await waitForJobList(page);
  const before = await page.locator('[data-testid=job]').count();
  await page.locator('[data-testid=file-input]').setInputFiles(path);
  await expect.poll(() => page.locator('[data-testid=job]').count(), { timeout: 60_000 }).toBe(before + 1);
  const newest = page.locator('[data-testid=job]').first();
  await expect.poll(() => newest.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');
  return (await newest.getAttribute('data-job-id'))!;
}

export async function exportJob(page: Page, jobId: string): Promise<string> {
  const download = page.waitForEvent('download');
  await page.locator(`[data-testid=job][data-job-id="${jobId}"] [data-testid=export]`).click();
  const path = await (await download).path();
  return readFileSync(path, 'utf8');
}
