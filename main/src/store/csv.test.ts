import { afterEach, describe, expect, it } from 'vitest';
import { RunStore } from './run-store.ts';
import { csvField } from './csv.ts';
import { sampleEnd, sampleStart } from './test-fixtures/samples.ts';
import { tempDirs } from './test-fixtures/temp.ts';

const newDir = tempDirs('csv');
let store: RunStore;
afterEach(() => store.close());

/** A minimal RFC 4180 reader, to check that fields come back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += ch;
    }
  }
  expect(field).toBe(''); // ends with CRLF
  return rows;
}

const HEADER =
  'id,uuid,image,sha256,machine,smp,mem_bytes,bootargs,devices,vms,profile,clock,started_at,' +
  'ended_at,host_ms,virtual_seconds,instret,outcome,reason,exit_code,exits_total,exits_sbi,' +
  'exits_mmio_read,exits_mmio_write,exits_wfi,exits_csr,exits_irq_inject,exits_preempt,' +
  'exits_gstage_fault,exits_illegal,exits_misaligned';

describe('CSV export', () => {
  it('writes the header, one row per run, and quotes per RFC 4180', () => {
    store = RunStore.open(newDir());
    const bootargs = 'console=ttyS0,115200 motd="hi, there"';
    const a = store.begin(sampleStart(1, { config: { ...sampleStart(1).config, bootargs } }));
    store.finish(a, sampleEnd(1, { reason: 'guest said "bye"\nthen shut down' }));
    const b = store.begin(sampleStart(2));

    const text = store.exportCsv();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(HEADER);
    expect(lines[1]).toContain(',"console=ttyS0,115200 motd=""hi, there""",net;balloon,1,kvm,');
    expect(lines[1]).toContain(',"guest said ""bye""\nthen shut down",0,');

    const [header, rowA, rowB, ...rest] = parseCsv(text);
    expect(rest).toEqual([]);
    const col = (row: string[], name: string): string => row[header.indexOf(name)];
    expect(rowA.length).toBe(header.length);
    expect(col(rowA, 'id')).toBe(String(a));
    expect(col(rowA, 'bootargs')).toBe(bootargs);
    expect(col(rowA, 'started_at')).toBe('2023-11-14T22:14:20.000Z');
    expect(col(rowA, 'ended_at')).toBe(new Date(sampleEnd(1).endedAt).toISOString());
    expect(col(rowA, 'mem_bytes')).toBe(String(64 << 20));
    expect(col(rowA, 'host_ms')).toBe('813.5');
    expect(col(rowA, 'exits_total')).toBe(String(sampleEnd(1).exits.total));
    expect(col(rowA, 'exits_mmio_read')).toBe(String(sampleEnd(1).exits.byReason.mmio_read));
    expect(col(rowA, 'exits_misaligned')).toBe(String(sampleEnd(1).exits.byReason.misaligned));
    // A running run: what is not known yet is empty.
    expect(col(rowB, 'outcome')).toBe('running');
    expect([col(rowB, 'ended_at'), col(rowB, 'exits_total'), col(rowB, 'exits_sbi')]).toEqual([
      '',
      '',
      '',
    ]);
    expect(parseCsv(store.exportCsv([b]))[1]).toEqual(rowB);
  });

  it('quotes only what needs it', () => {
    expect([csvField('plain'), csvField(3.5), csvField(null), csvField('a"b')]).toEqual([
      'plain',
      '3.5',
      '',
      '"a""b"',
    ]);
    expect(csvField('line\rbreak')).toBe('"line\rbreak"');
  });
});
