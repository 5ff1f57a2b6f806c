/**
 * tickerflow's Grafana dashboard, as code: one row per service, every query
 * on the `datasource` variable, rates over `$__rate_interval`, filtered by the
 * `namespace`, `symbol` and `pod` variables. Built as the classic dashboard
 * JSON model, which Grafana's sidecar and file provisioning load.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
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

function variable(name: string, label: string, definition: string) {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(definition)
    .definition(definition)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
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
    .build();
}
