/**
 * The current theme's colours as canvas-drawn widgets (xterm, uPlot) need them: read from
 * the CSS variables of app.css, and a signal when the theme switches.
 */

export interface ThemeColors {
  text: string;
  muted: string;
  border: string;
  accent: string;
  termBg: string;
  termFg: string;
}

export function themeColors(): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string): string => style.getPropertyValue(name).trim();
  return {
    text: v('--text'),
    muted: v('--muted'),
    border: v('--border'),
    accent: v('--accent'),
    termBg: v('--term-bg'),
    termFg: v('--term-fg'),
  };
}

/**
 * Call `listener` after the theme changed (theme.svelte.ts sets data-theme on the root).
 * Watching the attribute, not the theme state, guarantees the variables are already new.
 */
export function onThemeChange(listener: () => void): () => void {
  const observer = new MutationObserver(listener);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}

/** Series colours that read on both themes' panels (Tableau 10). */
const SERIES = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

export function seriesColor(i: number): string {
  return SERIES[i % SERIES.length];
}
