import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from './app-page';
import { golden, modeldataRows } from './churn-data';
import { launchBrowser, serveBuild, type LaunchedBrowser, type Served } from './harness';

describe('WebGPU device loss', () => {
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

  it('moves real-time predictions to WASM', async () => {
    const page = await launched.context.newPage();
    await openApp(page, served.url, 'webgpu');
    const entry = golden.rows[0]!;
    const record = modeldataRows[entry.row]!;

    const result = await page.evaluate(async (record) => {
      const { client, model } = window.tandem!;
      const before = await client.predict(model.id, record);
      await client.injectFault('webgpu-device-lost');
      const after = await client.predict(model.id, record);
      const next = await client.predict(model.id, record);
      return { before, after, next };
    }, record);

    expect(result.before.backend).toBe('webgpu');
    expect(result.after.backend).toBe('wasm');
    expect(result.next.backend).toBe('wasm');
    // Parity tolerance with the onnxruntime-node golden value.
    expect(Math.abs(result.after.probability - entry.probability)).toBeLessThanOrEqual(1e-5);
    await page.close();
  });
});

describe('two tabs', () => {
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

  it('never runs one job twice and shows its progress', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tandem-tabs-')), 'churn-large.csv');
    const [header, ...lines] = readFileSync('public/data/churn.csv', 'utf8').trimEnd().split('\n');
    // About 700,000 rows: the job runs long enough for the second tab to open.
    writeFileSync(path, `${header}\n${new Array(100).fill(lines.join('\n')).join('\n')}\n`);

    const first = await launched.context.newPage();
    const second = await launched.context.newPage();
    await openApp(first, served.url, 'wasm');
    await openApp(second, served.url, 'wasm');
    await first.locator('[data-testid=file-input]').setInputFiles(path);
    await expect.poll(() => first.locator('[data-testid=progress]').textContent(), { timeout: 30_000 }).toMatch(/[1-9][\d,]* of about/);

    await second.reload();
    await openApp(second, served.url, 'wasm');
    const job = second.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    const jobId = (await job.getAttribute('data-job-id'))!;
    const seen = Number(await job.locator('[data-testid=rows]').getAttribute('data-value'));
    await expect.poll(async () => Number(await job.locator('[data-testid=rows]').getAttribute('data-value')), { timeout: 30_000 }).toBeGreaterThan(seen);

    const refused = await second.evaluate(async (id) => {
      try {
        await window.tandem!.client.runJob(id);
        return 'ran';
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }, jobId);
    expect(refused).toContain('already running in another tab');

    await expect.poll(() => job.getAttribute('data-status'), { timeout: 300_000 }).toBe('completed');
  });
});

describe('full storage', () => {
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

  it('pauses a job and keeps its results', async () => {
    const page = await launched.context.newPage();
    await openApp(page, served.url, 'wasm');

    // The job and its input file are stored first, with room to spare.
    const jobId = await page.evaluate(async () => {
      const text = await (await fetch('data/churn.csv')).text();
      const [header, ...lines] = text.trimEnd().split('\n');
      const file = new File([`${header}\n${new Array(40).fill(lines.join('\n')).join('\n')}\n`], 'churn-x40.csv', { type: 'text/csv' });
      const { client, model } = window.tandem!;
      return (await client.createJob(model.id, file)).id;
    });

    // Let a few chunks commit, then make the next commit fail as a full quota does.
    const paused = await page.evaluate(async (id) => {
      const { client } = window.tandem!;
      let injected = false;
      return client.runJob(id, {
        onProgress: (progress) => {
          if (injected || progress.rowsDone < 20_000) return;
          injected = true;
          void client.injectFault('storage-full');
        },
      });
    }, jobId);
    expect(paused.status).toBe('paused');
    expect(paused.message).toContain('Storage is full');
    expect(paused.rowsDone).toBeGreaterThanOrEqual(20_000);
    expect(paused.rowsDone).toBeLessThan(40 * 7043);
    const kept = await page.evaluate(async (id) => (await (await window.tandem!.client.exportResults(id)).text()).trimEnd().split('\n').length, jobId);
    expect(kept).toBe(paused.rowsDone + 1);

    // With room again, the job resumes from its last stored chunk and every row comes back.
    const completed = await page.evaluate((id) => window.tandem!.client.runJob(id), jobId);
    expect(completed.status).toBe('completed');
    expect(completed.rowsDone).toBe(40 * 7043);
    const exported = await page.evaluate(async (id) => (await (await window.tandem!.client.exportResults(id)).text()).trimEnd().split('\n').length, jobId);
    expect(exported).toBe(40 * 7043 + 1);
  });
});
