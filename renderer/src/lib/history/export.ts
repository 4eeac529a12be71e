/** Exporting runs from the history: the host writes the document, the page saves it. */
import type { LabClient } from '../api/client.ts';
import { downloadText } from './download.ts';

const MIME = { json: 'application/json', csv: 'text/csv' } as const;
export type ExportFormat = keyof typeof MIME;
export const EXPORT_FORMATS = Object.keys(MIME) as ExportFormat[];

/** Save runs `ids` as one file (by default hvlab-runs.json / hvlab-runs.csv). */
export async function saveRuns(
  client: LabClient,
  ids: number[],
  format: ExportFormat,
  fileName = `hvlab-runs.${format}`,
): Promise<void> {
  // The host reads an empty list as "every run in the store", never what a page means.
  if (ids.length === 0) throw new Error('export: no runs to export');
  downloadText(fileName, await client.call('exportRuns', { ids, format }), MIME[format]);
}
