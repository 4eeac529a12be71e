/**
 * For component tests: catches the downloads a page starts (Blob -> object URL ->
 * a[download] click), since jsdom has no object URLs and does not navigate.
 */
import { vi } from 'vitest';

export interface CapturedDownload {
  fileName: string;
  type: string;
  text: () => Promise<string>;
  url: string;
}

export function captureDownloads(): { downloads: CapturedDownload[]; revoked: string[] } {
  const blobs = new Map<string, Blob>();
  const downloads: CapturedDownload[] = [];
  const revoked: string[] = [];
  URL.createObjectURL = (blob: Blob) => {
    const url = `blob:test/${blobs.size + 1}`;
    blobs.set(url, blob);
    return url;
  };
  URL.revokeObjectURL = (url: string) => void revoked.push(url);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
    this: HTMLAnchorElement,
  ) {
    const blob = blobs.get(this.href);
    if (!blob) throw new Error(`download of ${this.href}: no such object URL`);
    downloads.push({
      fileName: this.download,
      type: blob.type,
      text: () => blob.text(),
      url: this.href,
    });
  });
  return { downloads, revoked };
}
