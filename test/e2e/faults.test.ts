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
