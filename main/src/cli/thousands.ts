/**
 * A whole number with comma thousands separators ("1,234,567"), as toLocaleString('en-US')
 * writes it but without Intl, whose first use loads locale data: about 50 ms of every
 * `hvlab run` on the test machine, spent to print its exit table.
 */
export function thousands(v: number): string {
  const digits = String(Math.abs(Math.round(v)));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return Math.round(v) < 0 ? `-${out}` : out;
}
