// A live room's stream quality for the operators' console: bitrate, RTT, jitter and loss of each
// stream over the last two minutes, as four small uPlot charts (vendored, /vendor/uplot/) with a
// shared legend. Fed one sample per refresh from every node's /api/admin/media.

const WINDOW = 60; // samples, one per refresh (2 s)
const METRICS = [
  { key: 'bitrate', title: 'Bitrate (kbit/s)' },
  { key: 'rtt', title: 'RTT (ms)' },
  { key: 'jitter', title: 'Jitter (ms)' },
  { key: 'loss', title: 'Loss (%)' },
];
const COLORS = ['#4f7cff', '#30a46c', '#f5a524', '#e5484d', '#a36bff', '#2bb5c9', '#e07bd0', '#9aa5b8'];
const CHART = { width: 250, height: 130 };

function label(stream, names) {
  const who = id => names.get(id) || id.slice(0, 8);
  return stream.direction === 'publish'
    ? `${who(stream.sessionId)} ↑ ${stream.kind}`
    : `${who(stream.fromSessionId)} → ${who(stream.sessionId)} ${stream.kind}${stream.relayed ? ' (relayed)' : ''}`;
}

function nonNegative(value) {
  return typeof value === 'number' && value >= 0 ? value : null;
}

export class QualityCharts {
  constructor() {
    this.element = document.createElement('div');
    this.element.className = 'quality-charts';
    this.legend = document.createElement('ul');
    this.legend.className = 'chart-legend';
    this.grid = document.createElement('div');
    this.grid.className = 'chart-grid';
    this.element.append(this.grid, this.legend);
    this.times = [];
    this.series = new Map(); // stream key -> { label, values: {metric: []}, last: {at, bytes} }
    this.plots = [];
    this.plotted = '';
  }

  /** One sample of every stream of the room (each tagged with the node that reported it). */
  update(streams, names) {
    const now = Date.now() / 1000;
    this.times.push(now);
    const seen = new Set();
    for (const s of streams) {
      const key = `${s.nodeId}|${s.direction}|${s.ssrc}`;
      seen.add(key);
      let entry = this.series.get(key);
      if (!entry) {
        entry = { values: Object.fromEntries(METRICS.map(m => [m.key, this.times.slice(1).map(() => null)])), last: null };
        this.series.set(key, entry);
      }
      entry.label = label(s, names);
      // the SFU measures a publisher's bitrate itself; a subscriber's comes from its byte counter
      const bitrate = s.direction === 'publish' ? nonNegative(s.bitrateBps)
        : entry.last && now > entry.last.at ? (s.bytes - entry.last.bytes) * 8 / (now - entry.last.at) : null;
      entry.last = { at: now, bytes: s.bytes };
      entry.values.bitrate.push(bitrate === null ? null : Math.round(bitrate / 1000));
      entry.values.rtt.push(nonNegative(s.rttMs));
      entry.values.jitter.push(nonNegative(s.jitterMs));
      entry.values.loss.push(typeof s.fractionLost === 'number' ? Math.round(s.fractionLost * 1000) / 10 : null);
    }
    for (const [key, entry] of this.series) {
      if (!seen.has(key)) METRICS.forEach(m => entry.values[m.key].push(null));
    }
    if (this.times.length > WINDOW) {
      this.times.shift();
      for (const entry of this.series.values()) METRICS.forEach(m => entry.values[m.key].shift());
    }
    for (const [key, entry] of this.series) {
      if (!seen.has(key) && entry.values.bitrate.every(v => v === null)) this.series.delete(key);
    }
    this.render();
  }

  render() {
    if (typeof uPlot === 'undefined') {
      this.grid.textContent = 'Charts unavailable (uPlot did not load).';
      return;
    }
    const keys = [...this.series.keys()];
    // a stream's label names its member once the room list has them: a new label rebuilds too
    const plotted = keys.map(k => `${k} ${this.series.get(k).label}`).join('\n');
    if (plotted !== this.plotted) this.rebuild(keys, plotted);
    this.plots.forEach((plot, i) => {
      const lines = keys.map(k => this.series.get(k).values[METRICS[i].key]);
      plot.setData([this.times, ...lines]);
      // what the chart plots, readable in the page (a canvas is not): its points of data
      plot.root.parentNode.dataset.points = lines.reduce((n, line) => n + line.filter(v => v !== null).length, 0);
    });
  }

  /** The set of streams (or a label) changed: new charts with one series each, and the legend. */
  rebuild(keys, plotted) {
    this.destroy();
    this.plotted = plotted;
    const series = keys.map((k, i) => ({ label: this.series.get(k).label, stroke: COLORS[i % COLORS.length], width: 1.5 }));
    this.plots = !keys.length ? [] : METRICS.map(m => {
      const cell = document.createElement('div');
      cell.className = 'chart-cell';
      cell.dataset.metric = m.key;
      this.grid.append(cell);
      return new uPlot({ ...CHART, title: m.title, legend: { show: false }, cursor: { show: false },
        series: [{}, ...series], axes: [{ stroke: '#8b93a7' }, { stroke: '#8b93a7', size: 60 }] },
      [this.times, ...keys.map(() => [])], cell);
    });
    this.legend.replaceChildren(...series.map(s => {
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = s.stroke; // CSSOM, allowed under the page's CSP
      const item = document.createElement('li');
      item.append(swatch, document.createTextNode(s.label));
      return item;
    }));
    if (!keys.length) this.legend.replaceChildren(Object.assign(document.createElement('li'),
      { className: 'muted', textContent: 'No media streams yet.' }));
  }

  destroy() {
    this.plots.forEach(p => p.destroy());
    this.plots = [];
    this.grid.replaceChildren();
  }
}
