/** The file name and notice of a job's export, which differ when the job has not finished every row or image. */
import type { JobSummary } from '../shared/protocol';
import { count, type UnitNames } from './format';

/** The naming and counting rules of one kind of job's exports. */
export interface ExportKind {
  /** The file name without its extension, from the job's file name. */
  stem(fileName: string): string;
  /** The word after the stem: `scored` or `tagged`. */
  verb: string;
  units: UnitNames;
  /** The next step that gets results for everything, after a job that cannot be resumed. */
  again: string;
}

/** CSV and JSON Lines jobs: `churn.csv` becomes `churn-scored.csv`. */
export const rowExport: ExportKind = {
  stem: (fileName) => fileName.replace(/\.(csv|tsv|txt|jsonl|ndjson)$/i, ''),
  verb: 'scored',
  units: { one: 'row', other: 'rows' },
  again: 'Score the file again to get results for every row.',
};

/** Image jobs: `photos.zip` becomes `photos-tagged.csv`, `12 files` becomes `12-files-tagged.csv`. */
export const imageExport: ExportKind = {
  stem: (fileName) => fileName.replace(/\.[^./]+$/, '').trim().replace(/\s+/g, '-') || 'images',
  verb: 'tagged',
  units: { one: 'image', other: 'images' },
  again: 'Tag the files again to get results for every image.',
};

/** Returns the export's file name, with `-partial` before the verb until the job completes. */
export function exportFileName(job: Pick<JobSummary, 'fileName' | 'status'>, kind: ExportKind = rowExport): string {
  const partial = job.status === 'completed' ? '' : '-partial';
  return `${kind.stem(job.fileName)}${partial}-${kind.verb}.csv`;
}

/**
 * Returns the notice shown before a job that has not completed is exported, naming the rows or
 * images the export has and how to get the rest, or null for a completed job.
 */
export function partialExportNotice(
  job: Pick<JobSummary, 'fileName' | 'status' | 'rowsDone' | 'rowsTotal'>,
  kind: ExportKind = rowExport,
): string | null {
  if (job.status === 'completed') return null;
  const unit = (n: number) => (n === 1 ? kind.units.one : kind.units.other);
  // The total is known only once the file has been read to the end.
  const done =
    job.rowsTotal === null
      ? `${count.format(job.rowsDone)} ${unit(job.rowsDone)}`
      : `${count.format(job.rowsDone)} of ${count.format(job.rowsTotal)} ${unit(job.rowsTotal)}`;
  const next = job.status === 'paused' || job.status === 'interrupted' ? 'Resume the job and export it again when it completes.' : kind.again;
  return `${job.fileName} is ${job.status}, so the export is partial: it has the first ${done}, and its name ends in -partial-${kind.verb}.csv. ${next}`;
}
