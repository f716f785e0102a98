/**
 * Error codes of the failures a user can cause or meet. Each error's `message` names what failed,
 * on which value, and what to do next.
 */
export type TandemErrorCode =
  | 'invalid-manifest'
  | 'model-load-failed'
  | 'integrity-mismatch'
  | 'missing-columns'
  | 'duplicate-columns'
  | 'empty-file'
  | 'file-read-failed'
  | 'invalid-input'
  | 'storage-failed'
  | 'backend-unavailable'
  | 'job-not-found'
  | 'job-busy'
  | 'invalid-model'
  | 'truncated-model'
  | 'unsupported-model'
  | 'model-too-large';

export class TandemError extends Error {
  override name = 'TandemError';
  readonly code: TandemErrorCode;

  constructor(code: TandemErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The reason one row of a batch has no result. The good rows of the batch keep theirs. */
export interface RowError {
  /** 1-based data row number; the header is not counted. */
  row: number;
  /** The column that failed, as named in the file's header, or empty for a row-wide problem. */
  column: string;
  value: string;
  reason: string;
  /** The row's key from an ID column such as `customerID`, when the file has one. */
  key?: string;
}

/** Returns a one-line description of a row error, as shown in the UI and the export's `error` column. */
export function formatRowError(error: RowError): string {
  const where = error.column ? `column ${error.column} is "${error.value}": ` : '';
  return `${where}${error.reason}`;
}

/**
 * A row that was scored, with a caveat: a number outside the model's range, which the model
 * extrapolates for. The export gives the reason in the row's `warning` column.
 */
export interface RowWarning {
  /** 1-based data row number; the header is not counted. */
  row: number;
  reason: string;
  /** The row's key from an ID column such as `customerID`, when the file has one. */
  key?: string;
}

/** Thrown by the encoders for one bad value; the batch turns it into a {@link RowError}. */
export class InvalidValueError extends Error {
  override name = 'InvalidValueError';

  constructor(
    readonly column: string,
    readonly value: string,
    readonly reason: string,
    /** Whether the value came from a file's column or a record's field (the form, the widget). */
    readonly source: 'column' | 'field' = 'column',
  ) {
    super(`${source === 'column' ? 'Column' : 'Field'} "${column}" has ${JSON.stringify(value)}: ${reason}`);
  }
}

/** Returns an AbortError, the `DOMException` the UI treats as "cancelled" rather than a failure. */
export function abortError(message = 'The operation was cancelled.'): DOMException {
  return new DOMException(message, 'AbortError');
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Returns a plain-text description of any thrown value, for logs and banners. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
