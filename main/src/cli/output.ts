import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write everything to a file descriptor, synchronously. stdout on a pipe is non-blocking
 * in Node, so a single writeSync may take part of the data or fail with EAGAIN while the
 * reader catches up; a report cut at 64 KiB is what that looks like.
 */
export function writeAll(fd: number, data: Uint8Array | string): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1); // the reader is behind: give it a millisecond
    }
  }
}
