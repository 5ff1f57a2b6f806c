import type { PromSeries } from '@tickerflow/harness';

export interface PanelData {
  panel: string;
  series: PromSeries[];
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const colours = ['#2f7ed8', '#e4572e', '#17a398', '#f3a712', '#8e44ad', '#5d6d7e', '#c0392b', '#27ae60'];

/** One panel's series as SVG lines over the panel's own time and value range. */
function chart(series: PromSeries[], width: number, height: number): string {
  const points = series.flatMap((s) => s.values.map(([t, v]) => [t, Number(v)] as const)).filter(([, v]) => Number.isFinite(v));
  if (points.length === 0) return `<text x="8" y="${height / 2}">no data</text>`;
  const [t0, t1] = [Math.min(...points.map(([t]) => t)), Math.max(...points.map(([t]) => t))];
  const [v0, v1] = [Math.min(0, ...points.map(([, v]) => v)), Math.max(...points.map(([, v]) => v))];
  const x = (t: number) => ((t - t0) / (t1 - t0 || 1)) * (width - 8) + 4;
  const y = (v: number) => height - 4 - ((v - v0) / (v1 - v0 || 1)) * (height - 8);
  const lines = series.map((s, i) => {
    const path = s.values
      .filter(([, v]) => Number.isFinite(Number(v)))
      .map(([t, v]) => `${x(t).toFixed(1)},${y(Number(v)).toFixed(1)}`)
      .join(' ');
    return `<polyline fill="none" stroke-width="1.5" stroke="${colours[i % colours.length]}" points="${path}"/>`;
  });
  return `${lines.join('')}<text x="4" y="12">max ${v1.toPrecision(3)}</text>`;
}

/**
 * A page of every panel's data as the dashboard's queries returned it, one
 * small chart per query: what a screenshot of the panels shows without Grafana.
 */
export function panelsPage(title: string, panels: PanelData[]): string {
  const cells = panels.map(
    (p) =>
      `<figure><figcaption>${escape(p.panel)} <small>(${p.series.length} series)</small></figcaption>` +
      `<svg viewBox="0 0 300 110" width="300" height="110">${chart(p.series, 300, 110)}</svg></figure>`,
  );
  return `<!doctype html><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:12px sans-serif;margin:12px;background:#fff}h1{font-size:15px}main{display:grid;grid-template-columns:repeat(4,310px);gap:6px}
figure{margin:0;border:1px solid #ddd;padding:4px}figcaption{font-weight:600;margin-bottom:2px}svg text{font-size:10px;fill:#666}</style>
<h1>${escape(title)}</h1><main>${cells.join('')}</main>`;
}
