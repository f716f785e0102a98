import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJob, openApp, scoreFile } from './app-page';
import { parseCsv } from './churn-data';
import { launchBrowser, serveBuild, watchErrors, type Served } from './harness';

const backend = 'wasm';
const scratch = mkdtempSync(join(tmpdir(), 'tandem-faults-'));

/**
 * Copies of the real 7,043-row file in the large file: 563,440 rows (about 65 MB). A job on it runs
 * for several seconds even at 150,000 rows/s, long enough to cancel, reload, crash and edit the form
 * while it runs.
 */
const largeFileCopies = 80;
const largeFileRows = 7_043 * largeFileCopies;

function writeLargeFile(): string {
  const [header, ...lines] = readFileSync('public/data/churn.csv', 'utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(7_043);
  const body = lines.join('\n');
  const path = join(scratch, 'churn-large.csv');
  writeFileSync(path, `${header}\n${new Array(largeFileCopies).fill(body).join('\n')}\n`);
  return path;
}

describe('churn batch faults', () => {
  let served: Served;
  let largeFile: string;

  beforeAll(async () => {
    served = await serveBuild();
    largeFile = writeLargeFile();
  });

  afterAll(async () => {
    await served?.close();
  });

  it('keeps good rows when some rows are bad', async () => {
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    const jobId = await scoreFile(page, 'test/fixtures/churn-bad-rows.csv');
    const job = page.locator(`[data-testid=job][data-job-id="${jobId}"]`);
    await expect(job.locator('[data-testid=status]').textContent()).resolves.toContain('completed with 4 row errors');
    await expect(job.locator('[data-testid=row-errors]').textContent()).resolves.toContain('abc');

    const exported = parseCsv(await exportJob(page, jobId));
    expect(exported).toHaveLength(200);
    const failed = exported.flatMap((row, index) => (row.error ? [index + 1] : []));
    // Row 50 has monthly_charges "1,234.5": a thousands separator, read as 1234.5.
    expect(failed).toEqual([10, 20, 30, 40]);
    expect(Number(exported[49]!.probability)).toBeGreaterThan(0);
    expect(exported[9]!.error).toContain('tenure');
    expect(exported[9]!.error).toContain('"abc"');
    expect(exported[19]!.error).toContain('Weekly');
    expect(exported[29]!.error).toContain('senior_citizen');
    expect(exported[39]!.error).toContain('fields');
    expect(exported[9]!.probability).toBe('');
    const good = exported.filter((row) => !row.error);
    expect(good).toHaveLength(196);
    for (const row of good) expect(Number(row.probability)).toBeGreaterThan(0);
    await launched.close();
  });

  it('rejects a file that lacks model columns', async () => {
    const path = join(scratch, 'wrong-columns.csv');
    writeFileSync(path, 'name,age\nAda,36\n');
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    await page.locator('[data-testid=file-input]').setInputFiles(path);
    const message = page.locator('[data-testid=batch-error]');
    await expect.poll(() => message.textContent(), { timeout: 30_000 }).toContain('tenure');
    await expect(message.textContent()).resolves.toContain('name, age');
    await launched.close();
  });

  it('cancels a running job and keeps the rows scored so far', async () => {
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    await page.locator('[data-testid=file-input]').setInputFiles(largeFile);
    await expect.poll(() => page.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);
    await page.locator('[data-testid=cancel]').click();
    const job = page.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
    const rowsDone = Number(await job.locator('[data-testid=rows]').getAttribute('data-value'));
    expect(rowsDone).toBeGreaterThan(0);
    expect(rowsDone).toBeLessThan(largeFileRows);
    await launched.close();
  });

  it('answers the form while a batch runs', async () => {
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    await page.locator('[data-testid=file-input]').setInputFiles(largeFile);
    await expect.poll(() => page.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);

    // Each tenure gives a different probability; each must arrive while the job is still running.
    const tenure = page.locator('[data-feature="tenure"]').first();
    for (const months of ['1', '12', '30', '60']) {
      const before = await page.locator('[data-testid=probability]').getAttribute('data-value');
      await tenure.fill(months);
      await expect.poll(() => page.locator('[data-testid=probability]').getAttribute('data-value'), { timeout: 10_000 }).not.toBe(before);
      await expect(page.locator('[data-testid=progress]').count()).resolves.toBe(1);
    }
    await page.locator('[data-testid=cancel]').click();
    await launched.close();
  });

  let reference: string | null = null;

  /** Returns the export of the large file scored without interruption, in a separate profile. */
  async function uninterruptedExport(): Promise<string> {
    if (reference !== null) return reference;
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    reference = await exportJob(page, await scoreFile(page, largeFile));
    await launched.close();
    return reference;
  }

  it('exports partial, resumes after reload identically', async () => {
    const expected = await uninterruptedExport();

    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    await page.locator('[data-testid=file-input]').setInputFiles(largeFile);
    await expect.poll(() => page.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);
    // Reloading ends the worker in the middle of the job.
    await page.reload();
    await openApp(page, served.url, backend);

    const job = page.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');
    const checkpoint = Number(await job.locator('[data-testid=rows]').getAttribute('data-value'));
    expect(checkpoint).toBeGreaterThan(0);
    const jobId = (await job.getAttribute('data-job-id'))!;

    // Exporting the interrupted job gives its scored rows, named and announced as partial.
    const download = page.waitForEvent('download');
    await job.locator('[data-testid=export]').click();
    const partial = await download;
    expect(partial.suggestedFilename()).toBe('churn-large-partial-scored.csv');
    const notice = (await page.locator('[data-testid=batch-notice]').textContent()) ?? '';
    expect(notice).toContain('churn-large.csv is interrupted, so the export is partial');
    expect(notice).toContain(`the first ${checkpoint.toLocaleString('en')} rows`);
    expect(notice).toContain('Resume the job');
    const partialRows = parseCsv(readFileSync(await partial.path(), 'utf8'));
    expect(partialRows).toHaveLength(checkpoint);

    await job.locator('[data-testid=resume]').click();
    const resumed = page.locator(`[data-testid=job][data-job-id="${jobId}"]`);
    await expect.poll(() => resumed.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');

    const actual = await exportJob(page, jobId);
    expect(actual.length).toBe(expected.length);
    expect(actual === expected).toBe(true);
    await launched.close();
  });

  it('restarts a crashed worker and finishes the job', async () => {
    const expected = await uninterruptedExport();
    const launched = await launchBrowser();
    const page = await launched.context.newPage();
    await openApp(page, served.url, backend);
    await page.locator('[data-testid=file-input]').setInputFiles(largeFile);
    await expect.poll(() => page.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);

    await page.evaluate(() => window.tandem!.client.injectFault('worker-crash'));
    const job = page.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 120_000 }).toBe('completed');
    const actual = await exportJob(page, (await job.getAttribute('data-job-id'))!);
    expect(actual.length).toBe(expected.length);
    expect(actual === expected).toBe(true);

    // The restarted worker serves real-time requests too.
    const before = await page.locator('[data-testid=probability]').getAttribute('data-value');
    await page.locator('[data-feature="tenure"]').first().fill('2');
    await expect.poll(() => page.locator('[data-testid=probability]').getAttribute('data-value'), { timeout: 10_000 }).not.toBe(before);
    await launched.close();
  });

  it('second tab follows a job running elsewhere', async () => {
    const launched = await launchBrowser();
    const first = await launched.context.newPage();
    await openApp(first, served.url, backend);
    await first.locator('[data-testid=file-input]').setInputFiles(largeFile);
    await expect.poll(() => first.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);
    await first.reload();
    await openApp(first, served.url, backend);
    const firstJob = first.locator('[data-testid=job]').first();
    await expect.poll(() => firstJob.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');
    const jobId = (await firstJob.getAttribute('data-job-id'))!;

    const second = await launched.context.newPage();
    const secondErrors = watchErrors(second);
    await openApp(second, served.url, backend);
    const secondJob = second.locator(`[data-testid=job][data-job-id="${jobId}"]`);
    await expect.poll(() => secondJob.getAttribute('data-status'), { timeout: 30_000 }).toBe('interrupted');

    // Both tabs press Resume; the first tab takes the job's lock and the second follows it.
    await firstJob.locator('[data-testid=resume]').click();
    await expect.poll(() => first.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);
    await secondJob.locator('[data-testid=resume]').click();
    await expect.poll(() => second.locator('[data-testid=batch-notice]').textContent(), { timeout: 30_000 }).toContain('churn-large.csv is already running in another tab');
    expect(await second.locator('[data-testid=batch-error]').count()).toBe(0);

    await expect.poll(() => secondJob.getAttribute('data-status'), { timeout: 180_000 }).toBe('completed');
    expect(Number(await secondJob.locator('[data-testid=rows]').getAttribute('data-value'))).toBe(largeFileRows);
    expect(await second.locator('[data-testid=batch-error]').count()).toBe(0);
    expect(secondErrors).toEqual([]);
    await launched.close();
  });
});
