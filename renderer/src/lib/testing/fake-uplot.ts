/**
 * Stands in for uPlot in component tests (jsdom has no canvas): keeps the options and
 * the data each chart was given, by the test id of the figure it was put in.
 */
import type uPlot from 'uplot';

export class FakeUPlot {
  static live: FakeUPlot[] = [];
  readonly opts: uPlot.Options;
  readonly target: HTMLElement;
  data: uPlot.AlignedData;
  draws = 1;

  constructor(opts: uPlot.Options, data: uPlot.AlignedData, target: HTMLElement) {
    this.opts = opts;
    this.data = data;
    this.target = target;
    FakeUPlot.live.push(this);
  }

  setData(data: uPlot.AlignedData): void {
    this.data = data;
    this.draws++;
  }

  setSize(): void {}

  destroy(): void {
    FakeUPlot.live = FakeUPlot.live.filter((c) => c !== this);
  }

  /** The live chart inside the element with this test id. */
  static of(testid: string): FakeUPlot {
    const found = FakeUPlot.live.filter((c) => c.target.closest(`[data-testid="${testid}"]`));
    if (found.length !== 1) throw new Error(`${found.length} charts in ${testid}`);
    return found[0];
  }

  /** Series labels after x. */
  get labels(): string[] {
    return this.opts.series.slice(1).map((s) => String(s.label));
  }
}
