// msgrelay service worker (classic script): shows the relay's Web Push notifications and opens the conversation
// when one is clicked.
//
// Serve it from the site's own origin; it acts only for pages under its scope (at most the folder it is served
// from). The page of a conversation comes from the script URL's query, `{conversation_id}` and `{message_id}`
// filled in, resolved against the scope:
//   navigator.serviceWorker.register('/sw.js?open=' + encodeURIComponent('/messages/{conversation_id}'))
// Default: the scope with ?conversation={conversation_id}. Optional `icon=URL` for the notifications.
'use strict';

const settings = new URL(self.location.href).searchParams;
const DEFAULT_OPEN = '?conversation={conversation_id}';
const OPEN = settings.get('open') || DEFAULT_OPEN;
const ICON = settings.get('icon') || undefined;

/** `template` with `{conversation_id}` and `{message_id}` filled in, resolved against the scope. */
function pageUrl(template, data) {
  const path = template.replace(/\{(conversation_id|message_id)\}/g, (_, key) => encodeURIComponent((data && data[key]) || ''));
  return new URL(path, self.registration.scope);
}

function conversationUrl(data) {
  const url = pageUrl(OPEN, data);
  // Only pages of the site's own origin are opened (an `open` of another origin falls back to the default).
  return (url.origin === new URL(self.registration.scope).origin ? url : pageUrl(DEFAULT_OPEN, data)).href;
}

// The relay's payload: {"title", "body", "data": {"conversation_id", "message_id"}}.
function payloadOf(event) {
  if (!event.data) return {};
  try {
    return event.data.json() || {};
  } catch (_) {
    return { body: event.data.text() };
  }
}

async function showPush(event) {
  const payload = payloadOf(event);
  const data = payload.data || {};
  // A focused window of the chat (under this worker's scope) shows the message itself; other pages of the site do not.
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  if (windows.some((w) => w.focused && w.url.startsWith(self.registration.scope))) return;
  const tag = data.conversation_id ? `msgrelay:${data.conversation_id}` : 'msgrelay';
  const title = payload.title || 'New message';
  // A push service may deliver a message twice (the relay sent it again when the answer came late): shown once, even
  // after a newer message replaced its notice. Each notice carries the last notices of its conversation it replaced.
  // A reaction's notice names the reaction too: two reactions to one message are two notices.
  const reaction = data.reaction && typeof data.reaction === 'object' ? `\n${data.reaction.user_id} ${data.reaction.emoji}` : '';
  const key = data.message_id ? `${title}\n${data.message_id}${reaction}` : null;
  let recent = [];
  if (self.registration.getNotifications) {
    const showing = await self.registration.getNotifications({ tag });
    for (const n of showing) recent = recent.concat((n.data && Array.isArray(n.data.recent) && n.data.recent) || []);
    const same = (n) => n.data && n.data.message_id === data.message_id && n.title === title &&
      JSON.stringify(n.data.reaction || null) === JSON.stringify(data.reaction || null);
    if (key && (recent.includes(key) || showing.some(same))) return;
  }
  await self.registration.showNotification(title, {
    body: payload.body || '',
    tag,
    renotify: true, // a new message in the same conversation replaces the notice and alerts again
    icon: ICON,
    data: Object.assign({}, data, { url: conversationUrl(data), recent: (key ? recent.concat([key]) : recent).slice(-20) }),
  });
}

async function openConversation(event) {
  event.notification.close();
  const data = event.notification.data || {};
  const url = data.url || conversationUrl(data);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const exact = windows.find((w) => w.url === url);
  if (exact) return exact.focus();
  const win = windows.find((w) => w.url.startsWith(self.registration.scope));
  if (!win) return self.clients.openWindow(url);
  // A page of the site is open: tell it (pages may listen on navigator.serviceWorker), bring it forward, and move
  // it to the conversation when this worker controls it (navigate() refuses other windows).
  win.postMessage({ type: 'msgrelay:open', conversationId: data.conversation_id || null, messageId: data.message_id || null, url });
  const focused = (await win.focus().catch(() => null)) || win;
  try {
    await focused.navigate(url);
  } catch (_) {
    // not controlled by this worker: the message above is all it gets
  }
  return focused;
}

// The browser replaced or dropped the subscription (it expired, keys rotated): subscribe again with the same options
// when it did not, and tell the open pages, which register it with the relay (only they hold a token). Until a page
// does, the relay still has the old endpoint, and its push service's 404 or 410 removes it.
async function renewSubscription(event) {
  const options = event.oldSubscription && event.oldSubscription.options;
  if (!event.newSubscription && options && self.registration.pushManager) {
    await self.registration.pushManager.subscribe(options).catch(() => null);
  }
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of windows) if (w.url.startsWith(self.registration.scope)) w.postMessage({ type: 'msgrelay:subscriptionchange' });
}

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('push', (event) => event.waitUntil(showPush(event)));
self.addEventListener('notificationclick', (event) => event.waitUntil(openConversation(event)));
self.addEventListener('pushsubscriptionchange', (event) => event.waitUntil(renewSubscription(event)));
