/** Number, duration and progress formats shared by the batch panels, in English. */
import type { JobProgress } from '../shared/protocol';

export const count = new Intl.NumberFormat('en');
export const percent = new Intl.NumberFormat('en', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const approximate = new Intl.NumberFormat('en', { maximumSignificantDigits: 3 });
const rate = new Intl.NumberFormat('en', { maximumSignificantDigits: 2 });

/** The singular and plural of the items a job counts, such as "row" and "rows", keyed like `Intl.PluralRules` categories. */
export interface UnitNames {
  one: string;
  other: string;
}

export function plural(n: number, singular: string, pluralForm: string): string {
  return `${count.format(n)} ${n === 1 ? singular : pluralForm}`;
}

/** Formats a rate as "8,100 rows/s", with two significant digits. */
export function formatRate(perSecond: number, unit: UnitNames): string {
  return `${rate.format(perSecond)} ${unit.other}/s`;
}

/** Formats a duration in seconds as "3 s", "2 min 5 s" or "1 h 4 min". */
export function formatDuration(totalSeconds: number): string {
  const whole = Math.max(0, Math.ceil(totalSeconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** Formats progress as "12,345 of about 20,000 rows · 8,100 rows/s · 3 s left". */
export function formatProgress(progress: JobProgress, unit: UnitNames): string {
  const parts: string[] = [];
  const total = progress.rowsTotalEstimate;
  const fileRead = progress.bytesTotal > 0 && progress.bytesDone >= progress.bytesTotal;
  if (total === null) parts.push(`${count.format(progress.rowsDone)} ${unit.other}`);
  else if (fileRead) parts.push(`${count.format(progress.rowsDone)} of ${count.format(total)} ${unit.other}`);
  else parts.push(`${count.format(progress.rowsDone)} of about ${approximate.format(total)} ${unit.other}`);
  if (progress.rowsPerSecond > 0) parts.push(formatRate(progress.rowsPerSecond, unit));
  if (progress.secondsLeft !== null) parts.push(`${formatDuration(progress.secondsLeft)} left`);
  return parts.join(' · ');
}
