// Home page: log in / register, create a room, join a room, recent rooms.

import { api, auth, recentRooms, roomUrl, parseRoomInput, ApiError } from './api.js';
import { el, toast, copyText, hydrateIcons, renderAuthForm, initials, hueOf, timeAgo, icon } from './ui.js';

const $ = id => document.getElementById(id);

function render() {
  const user = auth.user();
  const loggedIn = auth.isLoggedIn();
  $('auth-section').hidden = loggedIn;
  $('rooms-section').hidden = !loggedIn;
  $('user-box').hidden = !loggedIn;
  if (loggedIn) {
    const name = (user && (user.displayName || user.username)) || 'You';
    $('user-name').textContent = name;
    const av = $('user-avatar');
    av.textContent = initials(name);
    av.style.setProperty('--hue', hueOf(user && user.username || name));
    renderRecent();
  } else {
    renderAuthForm($('auth-section'), {
      title: 'Sign in to start',
      subtitle: 'New here? Fill in a username and password and choose “Create account”.',
      onDone: user => {
        toast(`Welcome, ${user.displayName || user.username}!`, 'success', 3000);
        render();
        $('room-name').focus();
      },
    });
  }
}

function renderRecent() {
  const list = $('recent-rooms');
  const rooms = recentRooms.list();
  list.replaceChildren(...rooms.map(r => {
    const href = `/r/${encodeURIComponent(r.id)}`;
    const remove = el('button', { type: 'button', class: 'btn btn-icon btn-sm', title: 'Remove from list', 'aria-label': 'Remove from list' }, icon('close'));
    remove.addEventListener('click', () => { recentRooms.remove(r.id); renderRecent(); });
    return el('li', { class: 'recent-item', dataset: { roomId: r.id } },
      el('a', { href, class: 'recent-link' },
        el('span', { class: 'avatar avatar-room', style: `--hue:${hueOf(r.id)}`, text: initials(r.name || r.id) }),
        el('span', { class: 'recent-text' },
          el('span', { class: 'recent-name', text: r.name || r.id }),
          el('span', { class: 'muted small', text: `${r.name ? r.id + ' · ' : ''}${r.visitedAt ? timeAgo(r.visitedAt) : ''}` }),
        ),
      ),
      remove,
    );
  }));
  $('recent-empty').hidden = rooms.length > 0;
  $('clear-recent-btn').hidden = rooms.length === 0;
}

function sessionExpired() {
  auth.clear();
  toast('Your login has expired. Please log in again.', 'warn');
  render();
}

/** The form's error line; `suggestion` adds a button that puts that free room link in the field. */
function showCreateError(message, suggestion) {
  $('create-error-text').textContent = message;
  const use = $('use-suggestion-btn');
  use.hidden = !suggestion;
  use.textContent = suggestion ? `Use /r/${suggestion}` : '';
  use.dataset.suggestion = suggestion || '';
  $('create-error').hidden = false;
}

async function createRoom(ev) {
  ev.preventDefault();
  const btn = $('create-room-btn');
  const name = $('room-name').value.trim();
  // the server refuses upper case rather than guessing; the form need not
  const urlName = $('room-url-name').value.trim().toLowerCase();
  $('create-error').hidden = true;
  $('create-result').hidden = true;
  btn.disabled = true;
  btn.classList.add('loading');
  try {
    const res = await api.createRoom(auth.token(), { name, urlName });
    if (!res || !res.roomId) throw new ApiError(500, 'bad_response', 'The server did not return a room id.');
    const url = roomUrl(res.roomId, res.url);
    const link = $('room-link');
    link.href = url;
    link.textContent = url;
    $('enter-room-btn').href = new URL(url).pathname;
    $('create-result').hidden = false;
    recentRooms.add(res.roomId, name);
    renderRecent();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) sessionExpired();
    else if (e instanceof ApiError && e.code === 'room_taken') {
      const free = e.body && typeof e.body.suggestion === 'string' ? e.body.suggestion : null;
      showCreateError(`The link /r/${urlName} is already taken.${free ? ` /r/${free} is free.` : ' Pick another.'}`, free);
    } else if (e instanceof ApiError && e.code === 'invalid_room_name') showCreateError(e.message);
    else toast(e.message || String(e), 'error');
  } finally {
    btn.disabled = false;
    btn.classList.remove('loading');
  }
}

async function joinRoom(ev) {
  ev.preventDefault();
  const err = $('join-error');
  err.hidden = true;
  const id = parseRoomInput($('join-input').value);
  if (!id) {
    err.textContent = 'Paste a room link (…/r/<id>) or a room id.';
    err.hidden = false;
    return;
  }
  const btn = $('join-btn');
  btn.disabled = true;
  try {
    await api.getRoom(id, auth.token());
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      err.textContent = `There is no room “${id}”. Check the link, or create a new room.`;
      err.hidden = false;
      btn.disabled = false;
      return;
    }
    // Anything else (network, 401…): let the room page deal with it.
  }
  location.href = `/r/${encodeURIComponent(id)}`;
}

function init() {
  hydrateIcons();
  $('create-form').addEventListener('submit', createRoom);
  $('use-suggestion-btn').addEventListener('click', () => {
    $('room-url-name').value = $('use-suggestion-btn').dataset.suggestion;
    $('create-error').hidden = true;
    $('room-url-name').focus();
  });
  $('join-form').addEventListener('submit', joinRoom);
  $('copy-room-link-btn').addEventListener('click', async () => {
    const ok = await copyText($('room-link').href);
    toast(ok ? 'Link copied to clipboard' : 'Could not copy; select the link and copy it by hand.', ok ? 'success' : 'warn', 2500);
  });
  $('logout-btn').addEventListener('click', () => {
    auth.clear();
    $('create-result').hidden = true;
    render();
  });
  $('clear-recent-btn').addEventListener('click', () => { recentRooms.clear(); renderRecent(); });
  window.addEventListener('storage', ev => {
    if (ev.key === 'visage.userToken' || ev.key === 'visage.user') render();
    if (ev.key === 'visage.recentRooms' && auth.isLoggedIn()) renderRecent();
  });
  const params = new URLSearchParams(location.search);
  if (params.get('error')) toast(params.get('error'), 'error');
  if (params.get('join')) $('join-input').value = params.get('join');
  render();
}

init();
