/** Stacked areas: series i becomes the sum of series 0..i, so each is drawn on the one below. */
export function stack(series: number[][]): number[][] {
  const out: number[][] = [];
  series.forEach((values, i) => out.push(values.map((v, j) => v + (i > 0 ? out[i - 1][j] : 0))));
  return out;
}
