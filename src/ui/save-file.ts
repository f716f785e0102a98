/**
 * Saves a Blob as a download named `fileName`, through a temporary link inside `host` (a shadow
 * root works), so the browser's download bar shows it as a file from this page.
 */
export function saveFile(blob: Blob, fileName: string, host: Node = document.body): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  host.appendChild(link);
  link.click();
  link.remove();
  // Revoking the URL in the same task can abort the download in some browsers, so it lives a while.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
