// Small DOM helpers shared by the pages. User text only ever goes in via textContent.

import { auth, loginFlow, ApiError } from './api.js';

/** Create an element: el('div', {class: 'x', dataset: {a: 1}, onclick: fn}, child, 'text'). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'style') setStyle(node, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (v === true) node.setAttribute(k, '');
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/**
 * "a:b;c:d" set through the CSSOM: the pages' Content-Security-Policy (style-src 'self') refuses
 * style attributes, not properties set from script.
 */
function setStyle(node, declarations) {
  for (const d of String(declarations).split(';')) {
    const colon = d.indexOf(':');
    if (colon > 0) node.style.setProperty(d.slice(0, colon).trim(), d.slice(colon + 1).trim());
  }
}

/** Static, trusted SVG icons (no user data). */
const ICONS = {
  mic: '<path d="M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3Z"/><path d="M19 11a7 7 0 0 1-14 0M12 18v3"/>',
  micOff: '<path d="M15 9.3V5a3 3 0 0 0-5.7-1.3M9 9v2a3 3 0 0 0 5.1 2.1"/><path d="M19 11a7 7 0 0 1-11.9 5M5 11a7 7 0 0 0 .6 2.8M12 18v3M3 3l18 18"/>',
  screen: '<rect x="2" y="4" width="20" height="13" rx="2"/><path d="M8 21h8M12 17v4M12 13V8m-3 3 3-3 3 3"/>',
  cam: '<rect x="3" y="6" width="13" height="12" rx="2"/><path d="m16 10 5-3v10l-5-3z"/>',
  camOff: '<path d="M16 16v0a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h1m4 0h4a2 2 0 0 1 2 2v3.3l5-3.3v10"/><path d="M3 3l18 18"/>',
  gear: '<circle cx="12" cy="12" r="3"/><path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1Z"/>',
  link: '<path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/>',
  chat: '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/>',
  people: '<path d="M17 21v-2a4 4 0 0 0-4-4H5a4 4 0 0 0-4 4v2"/><circle cx="9" cy="7" r="4"/><path d="M23 21v-2a4 4 0 0 0-3-3.9M16 3.1a4 4 0 0 1 0 7.8"/>',
  leave: '<path d="M10.7 13.3a16 16 0 0 0 3.4 2.6l1.3-1.3a2 2 0 0 1 2.1-.4c.8.3 1.7.5 2.6.6A2 2 0 0 1 22 16.9v3a2 2 0 0 1-2.2 2 19.8 19.8 0 0 1-8.6-3.1 19.5 19.5 0 0 1-6-6A19.8 19.8 0 0 1 2.1 4.2 2 2 0 0 1 4.1 2h3a2 2 0 0 1 2 1.7c.1.9.3 1.8.6 2.6a2 2 0 0 1-.4 2.1L8 9.7"/><path d="M22 2 2 22"/>',
  send: '<path d="m22 2-7 20-4-9-9-4z"/><path d="M22 2 11 13"/>',
  copy: '<rect x="9" y="9" width="13" height="13" rx="2"/><path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>',
  close: '<path d="M18 6 6 18M6 6l12 12"/>',
};

export function icon(name, cls = 'icon') {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', cls);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.innerHTML = ICONS[name] || ''; // trusted constant markup only
  return svg;
}

/** Replace every <i data-icon="name"> placeholder in the page with its SVG. */
export function hydrateIcons(root = document) {
  for (const i of root.querySelectorAll('i[data-icon]')) i.replaceWith(icon(i.dataset.icon));
}

// ---- Toasts ----

export function toast(message, kind = 'info', ms = 5000) {
  let host = document.getElementById('toasts');
  if (!host) {
    host = el('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(host);
  }
  const t = el('div', { class: `toast toast-${kind}` }, el('span', { text: String(message) }));
  const close = el('button', { class: 'toast-close', type: 'button', 'aria-label': 'Dismiss' }, icon('close'));
  close.addEventListener('click', () => t.remove());
  t.append(close);
  host.append(t);
  while (host.children.length > 5) host.firstElementChild.remove();
  if (ms > 0) setTimeout(() => { t.classList.add('toast-out'); setTimeout(() => t.remove(), 300); }, ms);
  return t;
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Fallback for non-secure contexts (plain http on a LAN address).
    const ta = el('textarea', { style: 'position:fixed;opacity:0;top:0;left:0', readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    ta.remove();
    return ok;
  }
}

export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  const s = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : (parts[0] || '?').slice(0, 2);
  return s.toUpperCase();
}

/** A stable hue per string, for avatars. */
export function hueOf(s) {
  let h = 0;
  for (const ch of String(s || '')) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 360;
}

export function formatTime(t) {
  const d = new Date(typeof t === 'number' || /^\d+$/.test(String(t)) ? Number(t) : t);
  if (Number.isNaN(d.getTime())) return '';
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function timeAgo(t) {
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Text with http(s) links made clickable, built from text nodes (never innerHTML). */
export function linkified(text) {
  const frag = document.createDocumentFragment();
  const re = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/gi;
  let last = 0;
  for (const m of String(text).matchAll(re)) {
    if (m.index > last) frag.append(document.createTextNode(text.slice(last, m.index)));
    frag.append(el('a', { href: m[0], target: '_blank', rel: 'noopener noreferrer', text: m[0] }));
    last = m.index + m[0].length;
  }
  if (last < text.length) frag.append(document.createTextNode(text.slice(last)));
  return frag;
}

// ---- Login / register form (used on the home page and inline on the room page) ----

/**
 * Fill `container` with the auth form. Field ids: username, password, display-name;
 * buttons: login-btn, register-btn. Calls onDone(user) after a successful login.
 */
export function renderAuthForm(container, { onDone, title = 'Welcome to Visage', subtitle } = {}) {
  container.replaceChildren();
  const errorBox = el('p', { class: 'form-error', id: 'auth-error', role: 'alert', hidden: true });
  const username = el('input', {
    id: 'username', name: 'username', type: 'text', autocomplete: 'username', required: true,
    maxlength: 64, placeholder: 'e.g. alice', autocapitalize: 'off', spellcheck: 'false',
  });
  const password = el('input', {
    id: 'password', name: 'password', type: 'password', autocomplete: 'current-password',
    required: true, placeholder: '••••••••',
  });
  const displayName = el('input', {
    id: 'display-name', name: 'displayName', type: 'text', autocomplete: 'nickname', maxlength: 80,
    placeholder: 'Shown to others (for new accounts)',
  });
  const loginBtn = el('button', { id: 'login-btn', type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const registerBtn = el('button', { id: 'register-btn', type: 'button', class: 'btn btn-secondary' }, 'Create account');
  const prev = auth.user();
  if (prev && prev.username) username.value = prev.username;

  const form = el('form', { class: 'card auth-card', id: 'auth-form', novalidate: true },
    el('h2', { text: title }),
    subtitle ? el('p', { class: 'muted', text: subtitle }) : null,
    el('label', { for: 'username' }, 'Username'), username,
    el('label', { for: 'password' }, 'Password'), password,
    el('label', { for: 'display-name' }, 'Display name ', el('span', { class: 'muted small', text: '(optional)' })), displayName,
    errorBox,
    el('div', { class: 'btn-row' }, loginBtn, registerBtn),
  );

  let busy = false;
  async function submit(register) {
    if (busy) return;
    errorBox.hidden = true;
    const u = username.value.trim();
    const p = password.value;
    if (!u || !p) {
      showError(!u ? 'Enter a username.' : 'Enter a password.');
      (!u ? username : password).focus();
      return;
    }
    busy = true;
    loginBtn.disabled = registerBtn.disabled = true;
    (register ? registerBtn : loginBtn).classList.add('loading');
    try {
      const user = await loginFlow({ username: u, password: p, displayName: displayName.value.trim(), register });
      if (onDone) await onDone(user);
    } catch (e) {
      if (e instanceof ApiError && !register && e.status === 401) showError(e.message || 'Wrong username or password.');
      else if (e instanceof ApiError && register && e.status === 409) showError(e.message || 'That username is taken.');
      else showError(e && e.message ? e.message : String(e));
    } finally {
      busy = false;
      loginBtn.disabled = registerBtn.disabled = false;
      loginBtn.classList.remove('loading');
      registerBtn.classList.remove('loading');
    }
  }
  function showError(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = false;
  }
  form.addEventListener('submit', ev => { ev.preventDefault(); submit(false); });
  registerBtn.addEventListener('click', () => submit(true));
  container.append(form);
  (username.value ? password : username).focus();
  return form;
}
