/** Reading Prometheus text exposition (what /metrics serves) in tests and benchmarks. */

/** One sample of a Prometheus text exposition. */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

/**
 * A quantile from a Prometheus histogram's cumulative buckets, interpolated
 * linearly inside the bucket as PromQL's histogram_quantile does.
 */
export function histogramQuantile(text: string, name: string, q: number, before?: string): number {
  const buckets = (t: string) =>
    t
      .split('\n')
      .filter((l) => l.startsWith(`${name}_bucket{`))
      .map((l) => {
        const le = /le="([^"]+)"/.exec(l)![1]!;
        return { le: le === '+Inf' ? Infinity : Number(le), count: Number(l.slice(l.lastIndexOf(' ') + 1)) };
      });
  const now = buckets(text);
  const base = before ? buckets(before) : [];
  const counts = now.map((b, i) => ({ le: b.le, count: b.count - (base[i]?.count ?? 0) }));
  const total = counts.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of counts) {
    if (b.count >= rank) {
      if (b.le === Infinity) return prevLe;
      return prevLe + ((b.le - prevLe) * (rank - prevCount)) / Math.max(1, b.count - prevCount);
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}
