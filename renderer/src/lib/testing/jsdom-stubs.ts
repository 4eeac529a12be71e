/**
 * What xterm and the views use that jsdom lacks. Import first in a component test: xterm
 * asks for matchMedia and a canvas (to measure glyphs) when it opens, the views observe
 * their size. None of it draws; the tests read xterm's buffer, not pixels.
 */

window.matchMedia ??= (query: string): MediaQueryList =>
  ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }) as MediaQueryList;

globalThis.ResizeObserver ??= class {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
};

// jsdom's getContext reports "not implemented" on every call; no context is what it means.
HTMLCanvasElement.prototype.getContext = (() => null) as HTMLCanvasElement['getContext'];
