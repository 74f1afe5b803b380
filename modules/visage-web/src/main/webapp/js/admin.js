// Admin console: GET /health and GET /api/nodes, refreshed every 2 s.

import { api, auth, ApiError } from '/js/api.js';
import { el } from '/js/ui.js';

const $ = id => document.getElementById(id);
const REFRESH_MS = 2000;

function str(v) {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function loadCell(load, capacity) {
  const td = el('td');
  if (typeof load === 'number' && typeof capacity === 'number' && capacity > 0) {
    const pct = Math.min(100, Math.round(load / capacity * 100));
    td.append(el('span', { class: 'load-bar' }, el('span', { style: `width:${pct}%` })), `${load} / ${capacity}`);
  } else if (typeof load === 'number' && Number.isFinite(load)) {
    if (load >= 0 && load <= 1) {
      const pct = Math.round(load * 100);
      td.append(el('span', { class: 'load-bar' }, el('span', { style: `width:${pct}%` })), `${pct}%`);
    } else {
      td.textContent = String(Math.round(load * 100) / 100);
    }
  } else if (load && typeof load === 'object') {
    td.textContent = Object.entries(load).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
  } else {
    td.textContent = str(load);
  }
  return td;
}

function nodeList(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.nodes)) return data.nodes;
  if (data && typeof data === 'object') return Object.values(data).filter(v => v && typeof v === 'object');
  return [];
}

function renderNodes(nodes, selfId) {
  const body = $('nodes-body');
  if (!nodes.length) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No live nodes.' })));
    return;
  }
  nodes.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  body.replaceChildren(...nodes.map(n => {
    const http = n.httpUrl || n.url || (n.address || n.publicAddress ? `${n.address || n.publicAddress}${n.httpPort ? ':' + n.httpPort : ''}` : '');
    const host = n.mediaHost || n.publicAddress || n.address || '';
    const port = n.mediaPort || n.udpPort;
    const media = port ? `${host}${host ? ':' : 'udp '}${port}` : '';
    const httpCell = el('td', { class: 'mono' });
    if (/^https?:\/\//i.test(http)) httpCell.append(el('a', { href: http, target: '_blank', rel: 'noopener', text: http }));
    else httpCell.textContent = str(http);
    return el('tr', { class: selfId && n.id === selfId ? 'self' : '', dataset: { nodeId: str(n.id) } },
      el('td', { class: 'mono', text: str(n.id) }),
      el('td', { text: str(n.region) }),
      httpCell,
      el('td', { class: 'mono', text: str(media) }),
      loadCell(n.load, n.capacity),
    );
  }));
}

function setStatus(ok, text) {
  $('refresh-status').dataset.state = ok ? 'connected' : 'error';
  $('refresh-text').textContent = text;
}

async function refresh() {
  const errors = [];
  let selfId = null;
  try {
    const h = await api.health();
    const up = h && h.status === 'UP';
    $('health-status').textContent = str(h && h.status);
    $('health-status').className = `stat-value ${up ? 'stat-up' : 'stat-down'}`;
    selfId = h && (typeof h.node === 'object' && h.node ? h.node.id : h.node);
    $('health-node').textContent = str(h && (typeof h.node === 'object' && h.node ? h.node.id || h.node.region : h.node));
    $('cluster-size').textContent = str(h && h.clusterSize);
  } catch (e) {
    $('health-status').textContent = 'DOWN';
    $('health-status').className = 'stat-value stat-down';
    errors.push(`Health: ${e.message}`);
  }
  try {
    const nodes = nodeList(await api.nodes(auth.token()));
    $('node-count').textContent = String(nodes.length);
    renderNodes(nodes, selfId);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      errors.push(`Nodes: ${e.message} (log in with an admin account on the home page).`);
    } else {
      errors.push(`Nodes: ${e.message}`);
    }
  }
  const box = $('admin-error');
  box.textContent = errors.join(' ');
  box.hidden = errors.length === 0;
  setStatus(errors.length === 0, errors.length ? 'Problem' : `Updated ${new Date().toLocaleTimeString()}`);
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}

loop();
