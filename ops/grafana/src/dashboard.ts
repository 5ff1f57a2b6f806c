/**
 * tickerflow's Grafana dashboard, as code: one row per service, every query
 * on the `datasource` variable, rates over `$__rate_interval`, filtered by the
 * `namespace`, `symbol` and `pod` variables; and a row of the history
 * tickerflow-sink writes to PostgreSQL, on the `history_datasource` variable.
 * Built as the classic dashboard JSON model, which Grafana's sidecar and file
 * provisioning load.
 */
import * as candlestick from '@grafana/grafana-foundation-sdk/candlestick';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

const datasource = { type: 'prometheus', uid: '${datasource}' };
/** Every series of this install: the namespace and pod variables. */
const ours = 'namespace="$namespace", pod=~"$pod"';

const query = (expr: string, legend: string) => new DataqueryBuilder().expr(expr).legendFormat(legend).range();
const rate = (metric: string, extra = '') => `rate(${metric}{${ours}${extra}}[$__rate_interval])`;
const quantiles = (histogram: string) => [0.5, 0.99].map((q) => query(`histogram_quantile(${q}, sum by (le) (${rate(`${histogram}_bucket`)}))`, `p${q * 100}`));

function graph(title: string, description: string, unit: string, targets: DataqueryBuilder[]) {
  const panel = new timeseries.PanelBuilder().title(title).description(description).datasource(datasource).unit(unit).height(8).span(12);
  for (const t of targets) panel.withTarget(t);
  return panel;
}

function variable(
  name: string,
  label: string,
  definition: string,
  source: { type: string; uid: string } = datasource,
  refresh = dashboard.VariableRefresh.OnTimeRangeChanged,
) {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(source)
    .query(definition)
    .definition(definition)
    .refresh(refresh)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

/**
 * The history (tickerflow-sink's tables) on Grafana's built-in PostgreSQL data
 * source: plugin id `grafana-postgresql-datasource` since Grafana 10.2.3,
 * `postgres` before (kept as its alias, so data sources created as `postgres` are listed too).
 */
export const historyDatasource = { type: 'grafana-postgresql-datasource', uid: '${history_datasource}' };

/** A PostgreSQL query as Grafana's SQL query editor saves it in code mode. */
export interface SqlQuery {
  refId: string;
  datasource: typeof historyDatasource;
  format: 'time_series' | 'table';
  editorMode: 'code';
  rawQuery: true;
  rawSql: string;
}

/** The SDK has no builder for the SQL data sources' queries: this one's JSON is what Grafana saves. */
const sql = (format: SqlQuery['format'], rawSql: string, refId = 'A'): cog.Builder<cog.Dataquery> => ({
  build: () => {
    const q: SqlQuery = { refId, datasource: historyDatasource, format, editorMode: 'code', rawQuery: true, rawSql };
    return { ...q, _implementsDataqueryVariant: () => {} };
  },
});

/**
 * A single-valued variable from the history: its value goes into `= '$name'`,
 * so neither multi nor All. Read from candle_series (one row per symbol and
 * interval), never by a scan of the candles table. Named `history_*`: `symbol` is the
 * producer's wanted symbols from Prometheus, multi-valued with the regex `.*`
 * for All, which SQL's `=` cannot take, and the history also holds symbols no
 * longer wanted.
 */
function historyVariable(name: string, label: string, definition: string) {
  return variable(name, label, definition, historyDatasource, dashboard.VariableRefresh.OnDashboardLoad);
}

function sqlTable(title: string, description: string, rawSql: string) {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(historyDatasource)
    .height(8)
    .span(12)
    .withTarget(sql('table', rawSql))
    .overrideByName('age', [{ id: 'unit', value: 's' }]);
}

export function tickerflowDashboard(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('tickerflow')
    .uid('tickerflow')
    .description('Finnhub → Kafka → candles: producer, consumer, controller and dashboard of one tickerflow install.')
    .tags(['tickerflow', 'kafka', 'finnhub'])
    .editable()
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('namespace', 'Namespace', 'label_values(tickerflow_producer_leader, namespace)'))
    .withVariable(
      variable('symbol', 'Symbol', 'label_values(tickerflow_producer_symbol_trades_total{namespace="$namespace"}, symbol)')
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(
      variable('pod', 'Pod', 'label_values(process_cpu_seconds_total{namespace="$namespace", job=~".+-(controller|producer|consumer|dashboard)"}, pod)')
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(new dashboard.DatasourceVariableBuilder('history_datasource').label('History data source').type(historyDatasource.type))
    .withVariable(historyVariable('history_symbol', 'History symbol', 'SELECT DISTINCT symbol FROM candle_series ORDER BY 1'))
    .withVariable(historyVariable('history_interval', 'History interval', 'SELECT DISTINCT "interval" FROM candle_series ORDER BY 1'))

    .withRow(new dashboard.RowBuilder('Producer: Finnhub → Kafka'))
    .withPanel(
      graph('Trades/s by symbol', 'Trades the producer received, per wanted symbol.', 'ops', [
        query(`sum by (symbol) (${rate('tickerflow_producer_symbol_trades_total', ', symbol=~"$symbol"')})`, '{{symbol}}'),
      ]),
    )
    .withPanel(
      graph(
        'Exchange → Kafka latency',
        "From the exchange's trade timestamp to Kafka's acknowledgement.",
        's',
        quantiles('tickerflow_producer_exchange_latency_seconds'),
      ),
    )
    .withPanel(
      graph('Connection state and reconnects', '1 for the current state of each replica; reconnects by reason.', 'short', [
        query(`max by (pod, state) (tickerflow_producer_connection_state{${ours}}) > 0`, '{{pod}} {{state}}'),
        query(`sum by (reason) (increase(tickerflow_producer_reconnects_total{${ours}}[$__rate_interval]))`, 'reconnects: {{reason}}'),
      ]),
    )
    .withPanel(
      graph('Symbols by state', 'Wanted symbols: subscribed, pending, rejected by Finnhub, over the plan limit.', 'short', [
        query(`sum by (state) (tickerflow_producer_symbols{${ours}})`, '{{state}}'),
      ]),
    )
    .withPanel(
      graph('Buffer and drops', 'Trades waiting for Kafka, and trades not written by reason.', 'short', [
        query(`sum(tickerflow_producer_buffer_records{${ours}})`, 'buffered records'),
        query(`sum by (reason) (${rate('tickerflow_producer_trades_dropped_total')})`, 'dropped/s: {{reason}}'),
        query(`sum(${rate('tickerflow_producer_produce_errors_total')})`, 'produce errors/s'),
      ]),
    )
    .withPanel(
      graph('Leaders', '1 for the replica holding the Lease (producer: the Finnhub connection).', 'short', [
        query(`max by (pod) (tickerflow_producer_leader{${ours}})`, 'producer {{pod}}'),
        query(`max by (pod) (tickerflow_controller_leader{${ours}})`, 'controller {{pod}}'),
      ]),
    )

    .withRow(new dashboard.RowBuilder('Consumer: trades → candles'))
    .withPanel(
      graph('Consumer lag by partition', 'Log end offset minus committed offset of the trades topic (what the autoscaler scales on).', 'short', [
        query(`sum by (partition) (tickerflow_consumer_lag_records{${ours}})`, 'partition {{partition}}'),
      ]),
    )
    .withPanel(
      graph('Candles/s', 'Final candles committed, by interval.', 'ops', [
        query(`sum by (interval) (${rate('tickerflow_consumer_candles_emitted_total')})`, '{{interval}}'),
      ]),
    )
    .withPanel(
      graph('Late trades', 'Trades whose window had already closed (counted, not in the candle).', 'ops', [
        query(`sum by (symbol) (${rate('tickerflow_consumer_late_trades_total', ', symbol=~"$symbol|_other"')})`, '{{symbol}}'),
      ]),
    )
    .withPanel(
      graph('Dead letters by reason', 'Records sent to the dead-letter topic.', 'ops', [
        query(`sum by (reason) (${rate('tickerflow_consumer_dlq_records_total')})`, '{{reason}}'),
      ]),
    )
    .withPanel(
      graph('Transactions', 'Kafka transactions, committed and aborted.', 'ops', [
        query(`sum by (result) (${rate('tickerflow_consumer_transactions_total')})`, '{{result}}'),
      ]),
    )
    .withPanel(graph('Batch duration', 'Process one fetched batch and commit its transaction.', 's', quantiles('tickerflow_consumer_batch_duration_seconds')))
    .withPanel(
      graph('Watermark delay', 'How far each partition’s event-time watermark trails the clock.', 's', [
        query(`time() - min by (partition) (tickerflow_consumer_watermark_timestamp_seconds{${ours}})`, 'partition {{partition}}'),
      ]),
    )

    .withRow(new dashboard.RowBuilder('Controller and dashboard'))
    .withPanel(
      graph('Controller reconciles and queue depth', 'Reconciles by kind and result; keys waiting in the work queue.', 'short', [
        query(`sum by (kind, result) (${rate('tickerflow_controller_reconciles_total')})`, '{{kind}} {{result}}'),
        query(`max(tickerflow_controller_queue_depth{${ours}})`, 'queue depth'),
      ]),
    )
    .withPanel(
      new stat.PanelBuilder()
        .title('Dashboard SSE clients')
        .description('Open event streams of the live page.')
        .datasource(datasource)
        .height(8)
        .span(12)
        .withTarget(query(`sum(tickerflow_dashboard_sse_clients{${ours}})`, 'clients')),
    )

    .withRow(new dashboard.RowBuilder('Processes'))
    .withPanel(graph('CPU per pod', 'CPU seconds per second.', 'percentunit', [query(`sum by (pod) (${rate('process_cpu_seconds_total')})`, '{{pod}}')]))
    .withPanel(graph('Memory per pod', 'Resident set size.', 'bytes', [query(`sum by (pod) (process_resident_memory_bytes{${ours}})`, '{{pod}}')]))

    .withRow(new dashboard.RowBuilder('History (PostgreSQL)'))
    .withPanel(
      new candlestick.PanelBuilder()
        .title('Candles: $history_symbol $history_interval')
        .description("Final candles of one symbol and interval from tickerflow-sink's candles table, over the dashboard's time range.")
        .datasource(historyDatasource)
        .height(10)
        .span(24)
        .mode(candlestick.VizDisplayMode.CandlesVolume)
        .candleStyle(candlestick.CandleStyle.Candles)
        .colorStrategy(candlestick.ColorStrategy.OpenClose)
        .fields(new candlestick.CandlestickFieldMapBuilder().open('open').high('high').low('low').close('close').volume('volume'))
        .withTarget(
          sql(
            'time_series',
            `SELECT window_start AS time, open, high, low, close, volume FROM candles WHERE symbol = '$history_symbol' AND "interval" = '$history_interval' AND $__timeFilter(window_start) ORDER BY 1`,
          ),
        ),
    )
    .withPanel(
      sqlTable(
        'History by interval',
        'The whole history, not the time range: per interval, the symbols, the oldest and newest window start, and the age (s) of the newest window end: how fresh the history is. From candle_series, which the sink keeps with the candles.',
        'SELECT "interval", count(*) AS symbols, min(oldest) AS oldest, max(newest) AS newest, date_part(\'epoch\', now() - max(newest_end)) AS age FROM candle_series GROUP BY 1 ORDER BY 1',
      ),
    )
    .withPanel(
      sqlTable(
        'Sink offsets',
        "The next Kafka offset tickerflow-sink reads per group, topic and partition, stored in the same transaction as its rows, and the age (s) of each partition's last commit.",
        'SELECT group_id, topic, "partition", next_offset, updated_at, date_part(\'epoch\', now() - updated_at) AS age FROM kafka_offsets ORDER BY 1, 2, 3',
      ),
    )
    .build();
}
