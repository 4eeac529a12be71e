/** Saving text the host produced (an export) as a file, the same way in a browser and in Electron. */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download holds the blob from the click on; a later task frees the URL.
  setTimeout(() => URL.revokeObjectURL(url));
}
