/** A Prometheus HTTP API client: the calls the tests make, failing on an error answer. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusApi {
  /** GET /api/v1/<path>: its `data`, or an error naming the call and Prometheus' message. */
  get<T>(path: string, params?: Record<string, string | string[]>): Promise<T>;
  /** Instant PromQL query. */
  query(promql: string): Promise<PromSample[]>;
  /** Range PromQL query over the last `seconds`, as a graph panel runs it. */
  queryRange(promql: string, seconds: number, stepSeconds: number): Promise<PromSeries[]>;
}

export function prometheusApi(url: string): PrometheusApi {
  async function get<T>(path: string, params: Record<string, string | string[]> = {}): Promise<T> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const one of [v].flat()) search.append(k, one);
    const res = await fetch(`${url}/api/v1/${path}?${search.toString()}`);
    const body = (await res.json()) as { status: string; error?: string; data?: T };
    if (body.status !== 'success') throw new Error(`Prometheus ${path} ${search.toString()}: ${body.error ?? res.status}`);
    return body.data as T;
  }
  return {
    get,
    query: async (promql) => (await get<{ result: PromSample[] }>('query', { query: promql })).result,
    async queryRange(promql, seconds, stepSeconds) {
      const end = Date.now() / 1000;
      const range = { query: promql, start: String(end - seconds), end: String(end), step: String(stepSeconds) };
      return (await get<{ result: PromSeries[] }>('query_range', range)).result;
    },
  };
}
