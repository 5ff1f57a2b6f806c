// The live candle page. Symbols come from the market and may contain anything
// (`<img src=x onerror=...>`): they only ever reach the DOM as text
// (textContent, option.text), never as HTML.
/* global window, document, location, history, fetch, URL, URLSearchParams, Option, EventSource, setInterval */
'use strict';

(() => {
  const LC = window.LightweightCharts;
  const $ = (id) => document.getElementById(id);
  const el = {
    title: $('title'),
    symbol: $('symbol'),
    interval: $('interval'),
    price: $('last-price'),
    tps: $('tps'),
    kafka: $('kafka'),
    stream: $('stream'),
    chart: $('chart'),
    empty: $('empty'),
  };
  const params = new URLSearchParams(location.search);
  const state = {
    symbol: params.get('symbol') || '',
    interval: params.get('interval') || '',
    /** Bars shown, by window start in seconds. */
    bars: new Map(),
    lastTime: 0,
    /** Window start (seconds) of the oldest bar shown; 0 with none. */
    oldestTime: 0,
    source: undefined,
    /** Increases on every selection change: late answers for an old selection are ignored. */
    generation: 0,
    /** Older history: a page is being fetched; nothing older is left. */
    loadingOlder: false,
    noOlder: false,
  };

  const chart = LC.createChart(el.chart, {
    autoSize: true,
    // The logo injects an inline <style> the Content-Security-Policy refuses; the page credits the library in its footer instead.
    layout: { background: { type: 'solid', color: '#0f1419' }, textColor: '#d9dee3', panes: { separatorColor: '#232a31' }, attributionLogo: false },
    grid: { vertLines: { color: '#1b222a' }, horzLines: { color: '#1b222a' } },
    // Times in the viewer's time zone (the library's default is UTC).
    localization: { timeFormatter: (t) => new Date(t * 1000).toLocaleString() },
    timeScale: {
      timeVisible: true,
      secondsVisible: true,
      rightOffset: 3,
      // Wide enough to read a candle's body while the history is short.
      barSpacing: 14,
      tickMarkFormatter: (t, type) => {
        const d = new Date(t * 1000);
        // TickMarkType: 0 year, 1 month, 2 day of month, 3 time, 4 time with seconds.
        if (type <= 2) return d.toLocaleDateString();
        return d.toLocaleTimeString(
          [],
          type === 4 ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false } : { hour: '2-digit', minute: '2-digit', hour12: false },
        );
      },
    },
  });
  const candles = chart.addSeries(LC.CandlestickSeries, {
    upColor: '#26a69a',
    downColor: '#ef5350',
    borderVisible: false,
    wickUpColor: '#26a69a',
    wickDownColor: '#ef5350',
  });
  const volumes = chart.addSeries(LC.HistogramSeries, { priceFormat: { type: 'volume' }, priceLineVisible: false, lastValueVisible: false }, 1);
  chart.panes()[0]?.setStretchFactor(3);
  chart.panes()[1]?.setStretchFactor(1);

  const toBar = (c) => ({ time: c.windowStart / 1000, open: c.open, high: c.high, low: c.low, close: c.close });
  const toVolume = (c) => ({ time: c.windowStart / 1000, value: c.volume, color: c.close >= c.open ? 'rgba(38,166,154,0.6)' : 'rgba(239,83,80,0.6)' });

  function markChart() {
    el.chart.dataset.bars = String(state.bars.size);
    el.chart.dataset.oldest = state.oldestTime ? String(state.oldestTime) : '';
    el.chart.dataset.lastTime = state.lastTime ? String(state.lastTime) : '';
    el.chart.dataset.symbol = state.symbol;
    el.chart.dataset.interval = state.interval;
    el.empty.hidden = state.bars.size > 0;
  }

  function setAll(list) {
    state.bars = new Map(list.map((c) => [c.windowStart / 1000, c]));
    const sorted = [...state.bars.values()].sort((a, b) => a.windowStart - b.windowStart);
    candles.setData(sorted.map(toBar));
    volumes.setData(sorted.map(toVolume));
    state.lastTime = sorted.length > 0 ? sorted[sorted.length - 1].windowStart / 1000 : 0;
    state.oldestTime = sorted.length > 0 ? sorted[0].windowStart / 1000 : 0;
    markChart();
  }

  function applyCandle(c) {
    const time = c.windowStart / 1000;
    const known = state.bars.has(time);
    state.bars.set(time, c);
    if (time >= state.lastTime || known) {
      try {
        candles.update(toBar(c), time < state.lastTime);
        volumes.update(toVolume(c), time < state.lastTime);
        if (time > state.lastTime) state.lastTime = time;
        if (!state.oldestTime) state.oldestTime = time;
        markChart();
        return;
      } catch {
        // fall through: redraw everything
      }
    }
    setAll([...state.bars.values()]);
  }

  /**
   * Older candles, a page before the oldest shown: from the history database
   * when the server has one (else only what it holds). The view stays where it was.
   */
  async function loadOlder() {
    if (state.loadingOlder || state.noOlder || !state.symbol || !state.interval) return;
    const generation = state.generation;
    const oldest = state.oldestTime ? state.oldestTime * 1000 : Date.now();
    state.loadingOlder = true;
    try {
      const query = new URLSearchParams({ symbol: state.symbol, interval: state.interval, before: String(oldest), limit: '500' });
      const res = await fetch(`/api/candles?${query}`, { cache: 'no-store' });
      if (generation !== state.generation) return;
      if (!res.ok) throw new Error(`/api/candles (older): HTTP ${res.status}`);
      const body = await res.json();
      if (body.candles.length === 0) {
        state.noOlder = true;
        return;
      }
      const visible = chart.timeScale().getVisibleRange();
      for (const c of body.candles) if (!state.bars.has(c.windowStart / 1000)) state.bars.set(c.windowStart / 1000, c);
      setAll([...state.bars.values()]);
      if (visible) chart.timeScale().setVisibleRange(visible);
    } finally {
      state.loadingOlder = false;
    }
  }
  // Scrolled (or zoomed out) to near the oldest bar: fetch the page before it.
  chart.timeScale().subscribeVisibleLogicalRangeChange((range) => {
    if (range && range.from < 10) loadOlder().catch(report);
  });

  const fmtPrice = (p) => (p === null || p === undefined ? '–' : p.toLocaleString('en-US', { maximumFractionDigits: 8 }));
  function showStats(s) {
    el.price.textContent = fmtPrice(s && s.lastPrice);
    el.tps.textContent = s ? s.tradesPerSecond.toFixed(1) : '–';
  }

  function showKafka(kafka) {
    el.kafka.textContent = kafka;
    el.kafka.dataset.state = kafka;
  }

  function showStream(s) {
    el.stream.textContent = s;
    el.stream.dataset.state = s;
  }

  /** Problems talking to the server show on the stream indicator (as text). */
  function report(err) {
    showStream('error');
    el.stream.title = String(err && err.message ? err.message : err);
  }

  function fillSelect(select, values, selected) {
    const current = [...select.options].map((o) => o.value);
    if (current.length !== values.length || current.some((v, i) => v !== values[i])) {
      select.replaceChildren(...values.map((v) => new Option(v, v)));
    }
    select.value = selected;
  }

  async function refreshSymbols() {
    const res = await fetch('/api/symbols', { cache: 'no-store' });
    if (!res.ok) throw new Error(`/api/symbols: HTTP ${res.status}`);
    const { intervals, symbols } = await res.json();
    if (!intervals.includes(state.interval)) state.interval = intervals[0] || '';
    fillSelect(el.interval, intervals, state.interval);
    const names = symbols.map((s) => s.symbol);
    // A symbol asked for in the address stays selectable even before its first trade.
    if (state.symbol && !names.includes(state.symbol)) names.unshift(state.symbol);
    const changed = !state.symbol && names.length > 0;
    if (changed) state.symbol = names[0];
    fillSelect(el.symbol, names, state.symbol);
    return changed;
  }

  /** (Re)loads history for the current selection and follows its live events. */
  async function select() {
    const generation = ++state.generation;
    el.title.textContent = state.symbol ? `${state.symbol} · ${state.interval}` : '';
    document.title = state.symbol ? `${state.symbol} ${state.interval} · tickerflow` : 'tickerflow: live candles';
    const url = new URL(location.href);
    url.search = '';
    if (state.symbol) url.searchParams.set('symbol', state.symbol);
    if (state.interval) url.searchParams.set('interval', state.interval);
    history.replaceState(null, '', url);
    state.source?.close();
    state.noOlder = false;
    setAll([]);
    showStats(undefined);
    if (!state.symbol || !state.interval) return;

    // Events that arrive while the history loads are applied after it.
    const pending = [];
    let loaded = false;
    let statsSeen = false;
    const source = new EventSource(`/api/stream?symbol=${encodeURIComponent(state.symbol)}`);
    state.source = source;
    source.onopen = () => showStream('connected');
    source.onerror = () => showStream(source.readyState === EventSource.CLOSED ? 'error' : 'connecting');
    source.addEventListener('status', (e) => showKafka(JSON.parse(e.data).kafka));
    source.addEventListener('stats', (e) => {
      const s = JSON.parse(e.data);
      if (s.symbol !== state.symbol) return;
      statsSeen = true;
      showStats(s);
    });
    source.addEventListener('candle', (e) => {
      const ev = JSON.parse(e.data);
      if (ev.symbol !== state.symbol || ev.interval !== state.interval) return;
      if (loaded) applyCandle(ev.candle);
      else pending.push(ev.candle);
    });

    const query = new URLSearchParams({ symbol: state.symbol, interval: state.interval });
    const res = await fetch(`/api/candles?${query}`, { cache: 'no-store' });
    if (generation !== state.generation) return;
    if (!res.ok) throw new Error(`/api/candles: HTTP ${res.status}`);
    const body = await res.json();
    setAll(body.candles);
    for (const c of pending) applyCandle(c);
    loaded = true;
    // Only when no newer figures came over the stream meanwhile.
    if (body.stats && !statsSeen) showStats(body.stats);
    chart.timeScale().scrollToRealTime();
    // A short (or empty) Kafka history: fill the view from the history database at once.
    if (state.bars.size < 200) await loadOlder();
  }

  el.symbol.addEventListener('change', () => {
    state.symbol = el.symbol.value;
    select().catch(report);
  });
  el.interval.addEventListener('change', () => {
    state.interval = el.interval.value;
    select().catch(report);
  });

  async function start() {
    try {
      await refreshSymbols();
    } catch (err) {
      report(err);
    }
    await select().catch(report);
    // New symbols show up in the picker; a first symbol gets selected when there was none.
    setInterval(() => {
      refreshSymbols()
        .then((first) => (first ? select() : undefined))
        .catch(report);
    }, 3000);
  }
  void start();
})();
