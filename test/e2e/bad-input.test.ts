import { mkdtempSync, readFileSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exportJob, openApp, waitForJobList } from './app-page';
import { parseCsv } from './churn-data';
import { launchBrowser, serveBuild, type LaunchedBrowser, type Served } from './harness';

const corpus = 'test/fixtures/bad-input';
const scratch = mkdtempSync(join(tmpdir(), 'tandem-bad-input-'));

interface Outcome {
  status: string;
  statusText: string;
  dialect: string;
  rows: Record<string, string>[];
}

/** Scores one file; returns the file-level error text, or the finished job's outcome. */
async function score(page: Page, path: string): Promise<string | Outcome> {
  await waitForJobList(page);
  const before = await page.locator('[data-testid=job]').count();
  await page.locator('[data-testid=file-input]').setInputFiles(path);
  const error = page.locator('[data-testid=batch-error]');
  await expect
    .poll(async () => (await error.count()) > 0 || (await page.locator('[data-testid=job]').count()) > before, { timeout: 120_000 })
    .toBe(true);
  if ((await error.count()) > 0) return (await error.textContent())!;

  const job = page.locator('[data-testid=job]').first();
  await expect.poll(() => job.getAttribute('data-status'), { timeout: 300_000 }).toMatch(/^(completed|failed)$/);
  const status = (await job.getAttribute('data-status'))!;
  const jobId = (await job.getAttribute('data-job-id'))!;
  const dialect = (await job.locator('[data-testid=dialect]').textContent()) ?? '';
  const statusText = (await job.locator('[data-testid=status]').textContent()) ?? '';
  const rows = status === 'completed' ? parseCsv(await exportJob(page, jobId)) : [];
  return { status, statusText, dialect, rows };
}

function outcome(result: string | Outcome): Outcome {
  if (typeof result === 'string') throw new Error(`Expected a job, got the file error: ${result}`);
  return result;
}

function errorRows(rows: Record<string, string>[]): number[] {
  return rows.flatMap((row, index) => (row.error ? [index + 1] : []));
}

describe('bad input files', () => {
  let served: Served;
  let launched: LaunchedBrowser;
  let page: Page;
  let cleanReference: number[] | null = null;

  /** Returns the probabilities of the first 20 customers of the shipped file, scored in the clean layout. */
  async function referenceProbabilities(): Promise<number[]> {
    if (cleanReference) return cleanReference;
    const clean = join(scratch, 'clean.csv');
    writeFileSync(clean, readFileSync('public/data/churn.csv', 'utf8').split('\n').slice(0, 21).join('\n') + '\n');
    cleanReference = outcome(await score(page, clean)).rows.map((row) => Number(row.probability));
    return cleanReference;
  }

  beforeAll(async () => {
    served = await serveBuild();
    launched = await launchBrowser();
    page = await launched.context.newPage();
  });

  beforeEach(async () => {
    if (!page.url().startsWith(served.url)) await openApp(page, served.url, 'wasm');
  });

  afterAll(async () => {
    await launched?.close();
    await served?.close();
  });

  it('rejects an empty file', async () => {
    expect(await score(page, `${corpus}/empty.csv`)).toContain('is empty');
  });

  it('fails a header without rows', async () => {
    const result = outcome(await score(page, `${corpus}/header-only.csv`));
    expect(result.status).toBe('failed');
    expect(result.statusText).toContain('no data rows');
  });

  it('rejects binary data named .csv', async () => {
    expect(await score(page, `${corpus}/binary.csv`)).toContain('binary data');
  });

  it('rejects a header matching no input', async () => {
    const message = await score(page, `${corpus}/no-matching-columns.csv`);
    expect(message).toContain('tenure');
    expect(message).toContain('name, city, age');
  });

  it('gives ragged rows row errors', async () => {
    const result = outcome(await score(page, `${corpus}/ragged-rows.csv`));
    expect(result.rows).toHaveLength(20);
    expect(errorRows(result.rows)).toEqual([3, 5]);
    expect(result.rows[2]!.error).toContain('fields');
  });

  it('reports an unclosed quote', async () => {
    const result = outcome(await score(page, `${corpus}/unclosed-quote.csv`));
    // Rows 1 to 4 score; row 5 opens a quote that never closes, so the rest of the file is its value.
    expect(result.rows.slice(0, 4).every((row) => row.error === '')).toBe(true);
    expect(result.rows[4]!.error).toContain('closing quote');
    expect(result.rows).toHaveLength(5);
  });

  it('treats a bare quote as text', async () => {
    const result = outcome(await score(page, `${corpus}/bare-quote.csv`));
    expect(result.rows).toHaveLength(20);
    expect(errorRows(result.rows)).toEqual([2]);
    expect(result.rows[1]!.error).toContain('One"year');
  });

  it('reads semicolons with decimal commas', async () => {
    const result = outcome(await score(page, `${corpus}/semicolon-decimal-comma.csv`));
    expect(result.dialect).toContain('semicolon');
    expect(result.dialect).toContain('decimal comma');
    expect(errorRows(result.rows)).toEqual([]);
    // Parity with the clean file; both go through the same float32 model.
    const reference = await referenceProbabilities();
    result.rows.forEach((row, i) => expect(Math.abs(Number(row.probability) - reference[i]!)).toBeLessThanOrEqual(1e-7));
  });

  it('reads tab-separated values', async () => {
    const result = outcome(await score(page, `${corpus}/tab.tsv`));
    expect(result.dialect).toContain('tab');
    expect(result.rows.map((row) => Number(row.probability))).toEqual(await referenceProbabilities());
  });

  it('reads UTF-16 with a byte-order mark', async () => {
    const result = outcome(await score(page, `${corpus}/utf16-bom.csv`));
    expect(result.dialect).toContain('UTF-16');
    expect(result.rows.map((row) => Number(row.probability))).toEqual(await referenceProbabilities());
  });

  it('reads Latin-1 text', async () => {
    const result = outcome(await score(page, `${corpus}/latin1.csv`));
    expect(result.dialect).toContain('Latin-1');
    expect(result.rows[0]!.note).toBe('café crème');
    expect(errorRows(result.rows)).toEqual([]);
  });

  it('reads thousands separators', async () => {
    const result = outcome(await score(page, `${corpus}/thousands-separators.csv`));
    expect(errorRows(result.rows)).toEqual([]);
    const reference = await referenceProbabilities();
    result.rows.forEach((row, i) => expect(Math.abs(Number(row.probability) - reference[i]!)).toBeLessThanOrEqual(1e-7));
  });

  it('gives NaN, Infinity and empty values row errors', async () => {
    const result = outcome(await score(page, `${corpus}/nan-infinity-empty.csv`));
    expect(errorRows(result.rows)).toEqual([1, 2, 3, 4]);
    expect(result.rows[0]!.error).toContain('"NaN"');
    expect(result.rows[2]!.error).toContain('required');
  });

  it('flags values outside the model range', async () => {
    const result = outcome(await score(page, `${corpus}/out-of-range.csv`));

    // 1e308 overflows the model's 32-bit input, so that row is an error; -5, 95 and 12000 are scored and flagged.
    expect(errorRows(result.rows)).toEqual([2]);
    expect(result.rows[1]!.error).toContain('too large');
    expect(result.rows.map((row) => row.probability === '')).toEqual([false, true, false, false]);
    expect(result.rows[0]!.warning).toBe("tenure is -5, below the model's range of 0 to 80");
    expect(result.rows[2]!.warning).toBe('');
    expect(result.rows[3]!.warning).toBe("tenure is 95, above the model's range of 0 to 80; total_charges is 12000, above the model's range of 0 to 9000");
    expect(result.statusText).toContain("completed with 1 row error and 2 rows outside the model's range");
  });

  it('rejects duplicate headers', async () => {
    const message = await score(page, `${corpus}/duplicate-headers.csv`);
    expect(message).toContain('2 columns named tenure');
    expect(message).toContain('"tenure" (column 6), "tenure" (column 21)');
    expect(message).toContain('Rename or remove one');
  });

  it('lets the user change the delimiter', async () => {
    const result = outcome(await score(page, `${corpus}/tab.tsv`));
    expect(result.rows).toHaveLength(20);
    const job = page.locator('[data-testid=job]').first();
    await job.locator('summary').click();
    await job.locator('[data-testid=reread-delimiter]').selectOption(',');
    const before = await page.locator('[data-testid=job]').count();
    await job.locator('[data-testid=reread]').click();
    // Read with commas, the tab-separated header is one unknown column: a file-level error.
    const error = page.locator('[data-testid=batch-error]');
    await expect.poll(() => error.textContent(), { timeout: 60_000 }).toContain('no column for features');
    expect(await page.locator('[data-testid=job]').count()).toBe(before);
  });

  it('rejects a line of a million columns', async () => {
    const path = join(scratch, 'million-columns.csv');
    const fd = openSync(path, 'w');
    writeSync(fd, Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',') + '\n');
    writeSync(fd, '1,'.repeat(999_999) + '1\n');
    closeSync(fd);
    const message = await score(page, path);
    expect(message).toContain('c0, c1');
    expect(message).toContain('more');
  });

  it('scores a 200 MB file', { timeout: 900_000 }, async () => {
    const [header, ...lines] = readFileSync('public/data/churn.csv', 'utf8').trimEnd().split('\n');
    const body = lines.join('\n') + '\n';
    const path = join(scratch, 'large.csv');
    const fd = openSync(path, 'w');
    writeSync(fd, `${header}\n`);
    let rows = 0;
    let bytes = 0;
    while (bytes < 200 * 1024 * 1024) {
      writeSync(fd, body);
      bytes += Buffer.byteLength(body);
      rows += lines.length;
    }
    closeSync(fd);

    await waitForJobList(page);
    const before = await page.locator('[data-testid=job]').count();
    await page.locator('[data-testid=file-input]').setInputFiles(path);
    await expect.poll(() => page.locator('[data-testid=job]').count(), { timeout: 300_000 }).toBe(before + 1);
    const job = page.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 800_000, interval: 2000 }).toBe('completed');
    expect(Number(await job.locator('[data-testid=rows]').getAttribute('data-value'))).toBe(rows);
    await expect(job.locator('[data-testid=status]').textContent()).resolves.toBe('completed');
  });
});
