/**
 * Child process of the durability test: `node writer.ts DATA_DIR COMPLETED`.
 * Completes COMPLETED sample runs (printing "done ID" after each finish returns), begins
 * one more ("begun ID") and appends console chunks to it until killed, printing "ack SEQ"
 * after each appendConsole returns. Writes to stdout synchronously so that every line
 * the parent reads was printed after the store call it reports had returned.
 */
import { writeSync } from 'node:fs';
import { RunStore } from '../run-store.ts';
import { loopChunk, sampleChunks, sampleEnd, sampleStart } from './samples.ts';

const [dataDir, completed] = process.argv.slice(2);
const say = (line: string): void => {
  writeSync(1, line + '\n');
};

const store = RunStore.open(dataDir);
for (let n = 0; n < Number(completed); n++) {
  const id = store.begin(sampleStart(n));
  for (const chunk of sampleChunks(n)) store.appendConsole(id, chunk);
  store.finish(id, sampleEnd(n));
  say(`done ${id}`);
}
const id = store.begin(sampleStart(99));
say(`begun ${id}`);
const encoder = new TextEncoder();
for (let seq = 0; ; seq++) {
  store.appendConsole(id, encoder.encode(loopChunk(seq)));
  say(`ack ${seq}`);
}
