/** The file name and notice of a CSV job's export, which differ when the job has not scored every row. */
import type { JobSummary } from '../shared/protocol';
import { count, plural } from './format';

/** Returns the export's file name: `churn.csv` becomes `churn-scored.csv`, or `churn-partial-scored.csv` before the job completes. */
export function exportFileName(job: Pick<JobSummary, 'fileName' | 'status'>): string {
  const stem = job.fileName.replace(/\.(csv|tsv|txt|jsonl|ndjson)$/i, '');
  return job.status === 'completed' ? `${stem}-scored.csv` : `${stem}-partial-scored.csv`;
}

/**
 * Returns the notice shown before a job that has not completed is exported, naming the rows the
 * export has and how to score the rest, or null for a completed job.
 */
export function partialExportNotice(job: Pick<JobSummary, 'fileName' | 'status' | 'rowsDone' | 'rowsTotal'>): string | null {
  if (job.status === 'completed') return null;
  // The total is known only once the file has been read to the end.
  const rows = job.rowsTotal === null ? plural(job.rowsDone, 'row', 'rows') : `${count.format(job.rowsDone)} of ${plural(job.rowsTotal, 'row', 'rows')}`;
  const next = job.status === 'paused' || job.status === 'interrupted' ? 'Resume the job and export it again when it completes.' : 'Score the file again to get results for every row.';
  return `${job.fileName} is ${job.status}, so the export is partial: it has the first ${rows}, and its name ends in -partial-scored.csv. ${next}`;
}
