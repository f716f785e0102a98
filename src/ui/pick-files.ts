/**
 * Gathering image files from the places a user can pick them: a folder chosen with
 * `showDirectoryPicker` or an `<input webkitdirectory>`, and files or folders dropped on the page.
 * Files found in a folder keep their path from the folder (`photos/shoes/0001.jpg`) and come in
 * name order, folder by folder.
 */

/** Image formats browsers decode, by file extension; matches the worker's list. */
const imageExtensions = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;

/** Name order as file managers show it: case-insensitive, with numbers compared by value (2 before 10). */
const nameOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** The files of a folder: the images and zip files, and the names of the other files, left out. */
export interface FolderFiles {
  files: File[];
  skipped: string[];
}

/** A directory handle with the async iteration of the File System Access API, which this project's `lib` does not declare. */
type IterableDirectoryHandle = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

declare global {
  interface Window {
    /** File System Access API: Chromium-based browsers only, on secure origins. */
    showDirectoryPicker?: (options?: { id?: string; mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>;
  }
}

export function isZipFile(file: File): boolean {
  return /\.zip$/i.test(file.name) || file.type === 'application/zip' || file.type === 'application/x-zip-compressed';
}

export function isImageFile(file: File): boolean {
  return imageExtensions.test(file.name) || file.type.startsWith('image/');
}

/** Returns the file's path within the folder it was picked from, or its name. */
export function pathOf(file: File): string {
  return file.webkitRelativePath || file.name;
}

/** Compares two paths folder by folder, each part in {@link nameOrder}. */
function comparePaths(a: string, b: string): number {
  const partsA = a.split('/');
  const partsB = b.split('/');
  for (let i = 0; i < Math.min(partsA.length, partsB.length); i++) {
    const order = nameOrder.compare(partsA[i]!, partsB[i]!);
    if (order !== 0) return order;
  }
  return partsA.length - partsB.length;
}

/** Returns a copy of `file` named with its path, so the results name the subfolder too. */
function withPath(file: File, path: string): File {
  return new File([file], path, { type: file.type, lastModified: file.lastModified });
}

/**
 * Sorts the files of a folder into name order and keeps the images and zip files, each named
 * with its path. Hidden files (a name starting with a dot, such as `.DS_Store`) are dropped
 * without mention; other files are listed in `skipped`.
 */
export function selectFolderFiles(files: Iterable<File>): FolderFiles {
  const sorted = [...files].sort((a, b) => comparePaths(pathOf(a), pathOf(b)));
  const selected: FolderFiles = { files: [], skipped: [] };
  for (const file of sorted) {
    const path = pathOf(file);
    if ((path.split('/').pop() ?? '').startsWith('.')) continue;
    // IndexedDB keeps a File's name but not its webkitRelativePath, so the path goes into the name.
    if (isImageFile(file) || isZipFile(file)) selected.files.push(file.name === path ? file : withPath(file, path));
    else selected.skipped.push(path);
  }
  return selected;
}

export function hasDirectoryPicker(): boolean {
  return typeof window.showDirectoryPicker === 'function';
}

/** Asks for a folder with `showDirectoryPicker` and returns its files, walking every subfolder. */
export async function pickFolder(): Promise<FolderFiles> {
  if (!window.showDirectoryPicker) throw new Error('This browser cannot open a folder picker.');
  const folder = await window.showDirectoryPicker({ id: 'tandem-images', mode: 'read' });
  const files: File[] = [];
  await collectFromHandle(folder as IterableDirectoryHandle, folder.name, files);
  return selectFolderFiles(files);
}

async function collectFromHandle(folder: IterableDirectoryHandle, path: string, files: File[]): Promise<void> {
  for await (const handle of folder.values()) {
    const childPath = `${path}/${handle.name}`;
    if (handle.kind === 'directory') await collectFromHandle(handle as IterableDirectoryHandle, childPath, files);
    else files.push(withPath(await (handle as FileSystemFileHandle).getFile(), childPath));
  }
}

/**
 * Returns the files of a drop in the order dropped. A dropped folder is replaced by its images
 * and zip files in name order; `skipped` lists the other files found in dropped folders.
 */
export async function filesFromDrop(data: DataTransfer): Promise<FolderFiles> {
  // The items are only readable during the drop event, so every entry is taken before the first await.
  const entries = [...data.items].filter((item) => item.kind === 'file').map((item) => ({ entry: item.webkitGetAsEntry(), file: item.getAsFile() }));
  const result: FolderFiles = { files: [], skipped: [] };
  for (const { entry, file } of entries) {
    if (entry?.isDirectory) {
      const found: File[] = [];
      await collectFromEntry(entry as FileSystemDirectoryEntry, found);
      const folder = selectFolderFiles(found);
      result.files.push(...folder.files);
      result.skipped.push(...folder.skipped);
    } else if (file) {
      result.files.push(file);
    }
  }
  return result;
}

async function collectFromEntry(folder: FileSystemDirectoryEntry, files: File[]): Promise<void> {
  for (const entry of await readAllEntries(folder)) {
    const path = entry.fullPath.replace(/^\//, '');
    if (entry.isDirectory) await collectFromEntry(entry as FileSystemDirectoryEntry, files);
    else files.push(withPath(await fileOf(entry as FileSystemFileEntry), path));
  }
}

/** Reads a directory entry to the end: `readEntries` returns the entries in batches (of 100 in Chromium) until it returns none. */
async function readAllEntries(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}
