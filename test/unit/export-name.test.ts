import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../../src/shared/protocol';
import { exportFileName, imageExport, partialExportNotice } from '../../src/ui/export-name';

function job(status: JobStatus, rowsDone: number, rowsTotal: number | null) {
  return { fileName: 'big.csv', status, rowsDone, rowsTotal };
}

describe('exportFileName', () => {
  it('names completed export scored', () => {
    expect(exportFileName(job('completed', 10, 10))).toBe('big-scored.csv');
  });

  it('names unfinished export partial', () => {
    for (const status of ['interrupted', 'paused', 'cancelled', 'failed'] as const) {
      expect(exportFileName(job(status, 5, null)), status).toBe('big-partial-scored.csv');
    }
  });
});

describe('partialExportNotice', () => {
  it('gives none for completed job', () => {
    expect(partialExportNotice(job('completed', 10, 10))).toBeNull();
  });

  it('counts rows of interrupted job', () => {
    const notice = partialExportNotice(job('interrupted', 163_233, null))!;

    expect(notice).toContain('big.csv is interrupted, so the export is partial');
    expect(notice).toContain('the first 163,233 rows');
    expect(notice).toContain('Resume the job');
  });

  it('gives total when file was read', () => {
    const notice = partialExportNotice(job('cancelled', 1_000, 1_204_353))!;

    expect(notice).toContain('the first 1,000 of 1,204,353 rows');
    expect(notice).toContain('Score the file again');
  });
});

describe('image job exports', () => {
  function imageJob(fileName: string, status: JobStatus, rowsDone: number, rowsTotal: number | null) {
    return { fileName, status, rowsDone, rowsTotal };
  }

  it('names completed export tagged', () => {
    expect(exportFileName(imageJob('photos.zip', 'completed', 3, 3), imageExport)).toBe('photos-tagged.csv');
    expect(exportFileName(imageJob('12 files', 'completed', 12, 12), imageExport)).toBe('12-files-tagged.csv');
  });

  it('names unfinished export partial', () => {
    expect(exportFileName(imageJob('photos.zip', 'paused', 1, null), imageExport)).toBe('photos-partial-tagged.csv');
  });

  it('counts images of paused job', () => {
    const notice = partialExportNotice(imageJob('photos.zip', 'paused', 1, null), imageExport)!;

    expect(notice).toContain('photos.zip is paused, so the export is partial');
    expect(notice).toContain('the first 1 image,');
    expect(notice).toContain('-partial-tagged.csv');
    expect(notice).toContain('Resume the job');
  });

  it('says how to tag the rest', () => {
    const notice = partialExportNotice(imageJob('photos.zip', 'cancelled', 256, 10_001), imageExport)!;

    expect(notice).toContain('the first 256 of 10,001 images');
    expect(notice).toContain('Tag the files again');
  });
});
