// The demo chat page: a user's conversation with the admin, or (for an admin) every conversation.
// Open it as /client/demo/#token=<jwt>; the relay is this page's origin. User text is only ever set as textContent.
import { connect } from '../msgrelay.js';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'), unread: $('unread'), who: $('who'), notice: $('notice'), sidebar: $('sidebar'), title: $('title'),
  messages: $('messages'), typing: $('typing'), composer: $('composer'), text: $('text'), send: $('send'),
  push: $('push'), pushStatus: $('push-status'),
};

const TOKEN_KEY = 'msgrelay-demo-token';
const hashParams = () => new URLSearchParams(location.hash.slice(1));

const view = {
  admin: null, // null until known
  openId: null, // the conversation shown
  list: null, // admin: <ul id="conversations">
  conversations: new Map(), // id -> conversation (REST object, kept current)
  store: new Map(), // conversation id -> Map(message id -> message)
  names: new Map(), // user id -> display name
  pending: new Map(), // client id -> { conversationId, content, el }
  typers: new Map(), // user id -> conversation id
};

function notice(text) {
  ui.notice.textContent = text ?? '';
  ui.notice.hidden = !text;
}

function token() {
  const params = hashParams();
  const fromHash = params.get('token');
  if (fromHash) {
    // Out of the address bar, the history and links copied from it (the rest of the fragment stays).
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  }
  try {
    if (fromHash) sessionStorage.setItem(TOKEN_KEY, fromHash);
    return fromHash || sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return fromHash; // storage refused (private mode)
  }
}

const jwt = token();
if (!jwt) {
  ui.state.textContent = 'offline';
  ui.composer.hidden = true;
  ui.push.disabled = true;
  notice('No token: open this page as /client/demo/#token=<jwt> (msgctl token --user <name> prints one).');
  window.msgrelayDemo = { client: null };
} else {
  start(jwt);
}

function start(tokenValue) {
  const client = connect({
    url: location.origin,
    token: tokenValue,
    persist: true,
    autoRead: (m) => view.admin === false || (view.admin === true && m.conversation_id === view.openId),
  });
  window.msgrelayDemo = { client };

  ui.state.textContent = client.state;
  client.addEventListener('statechange', (e) => { ui.state.textContent = e.detail.state; });
  let opened = false;
  client.addEventListener('open', (e) => {
    notice(null);
    // A reconnect that could not resume may have missed messages: read the open conversation again.
    if (opened && !e.detail.resumed && view.openId) openConversation(client, view.openId);
    opened = true;
  });
  // Missed messages that no replay will bring: read the open conversation again.
  client.addEventListener('stale', () => { if (view.openId) openConversation(client, view.openId); });
  client.addEventListener('error', (e) => {
    const { error, fatal } = e.detail;
    if (fatal || ['unauthorized', 'forbidden', 'too_many_sockets', 'unavailable'].includes(error.code)) notice(`${error.code}: ${error.message}`);
  });
  client.addEventListener('unread', (e) => showUnread(e.detail));
  client.addEventListener('message', (e) => onMessage(client, e.detail));
  client.addEventListener('sent', (e) => settlePending(e.detail.clientId, e.detail.message));
  client.addEventListener('sendfailed', (e) => failPending(client, e.detail.clientId, e.detail.error));
  client.addEventListener('restored', (e) => { for (const s of e.detail.sends) addPending(s.clientId, s.conversationId, s.content); });
  client.addEventListener('read', (e) => onRead(e.detail));
  client.addEventListener('typing', (e) => onTyping(e.detail));

  ui.composer.addEventListener('submit', (e) => { e.preventDefault(); sendText(client); });
  ui.text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText(client);
    }
  });
  ui.text.addEventListener('input', () => { if (ui.text.value) client.typing(view.openId ?? undefined); });
  addEventListener('hashchange', () => {
    const id = hashParams().get('conversation');
    // Only a conversation id: anything else would be the target of every later send, each refused.
    if (id && view.admin && UUID_PATTERN.test(id)) openConversation(client, id);
  });

  setUpPush(client);
  loadConversations(client).catch((err) => notice(`Could not load conversations: ${err.message}`));
}

// ---- conversations ----

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function loadConversations(client) {
  const { conversations } = await client.listConversations({ limit: 100 });
  for (const c of conversations) {
    view.conversations.set(c.id, c);
    view.names.set(c.user_id, c.user.display_name);
  }
  setMode(client, client.isAdmin === true);
  if (view.admin) {
    renderList(client);
    const wanted = hashParams().get('conversation');
    const first = (wanted && view.conversations.has(wanted)) ? wanted : sortedConversations()[0]?.id;
    if (first && !view.openId) await openConversation(client, first);
    else if (!first) ui.title.textContent = 'No conversations yet';
  } else {
    const own = conversations[0];
    if (own) await openConversation(client, own.id);
    else {
      // No conversation yet: a new user (the first message starts it), or an admin nobody has written to yet.
      ui.title.textContent = 'No messages yet';
      renderConversation();
    }
  }
}

function setMode(client, admin) {
  if (view.admin === admin) return;
  view.admin = admin;
  ui.who.textContent = admin ? 'Signed in as an admin' : 'Signed in';
  if (admin) {
    ui.sidebar.hidden = false;
    if (!view.list) {
      view.list = document.createElement('ul');
      view.list.id = 'conversations';
      view.list.className = 'conversations';
      ui.sidebar.append(view.list);
    }
    view.openId = null;
    renderConversation();
  } else if (view.conversations.size) {
    ui.title.textContent = 'Your conversation with the admin';
  }
  if (client.state === 'open' && document.visibilityState === 'visible' && view.openId) client.markRead(client.unreadIds(view.openId));
}

function sortedConversations() {
  return [...view.conversations.values()].sort((a, b) => (b.last_message_at ?? '').localeCompare(a.last_message_at ?? ''));
}

function renderList(client) {
  if (!view.list) return;
  const items = sortedConversations().map((c) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'conversation';
    button.dataset.conversationId = c.id;
    if (c.id === view.openId) button.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.user.display_name;
    const badge = document.createElement('span');
    badge.className = 'badge';
    const count = client.unreadFor(c.id);
    badge.textContent = String(count);
    badge.hidden = count === 0;
    badge.setAttribute('aria-label', `${count} unread`);
    const preview = document.createElement('span');
    preview.className = 'preview';
    preview.textContent = c.last_message_preview ?? '';
    button.append(name, badge, preview);
    button.addEventListener('click', () => openConversation(client, c.id));
    li.append(button);
    return li;
  });
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No conversations yet';
    items.push(li);
  }
  const focused = document.activeElement?.dataset?.conversationId;
  view.list.replaceChildren(...items);
  if (focused) view.list.querySelector(`[data-conversation-id="${CSS.escape(focused)}"]`)?.focus();
}

function updateBadges(client) {
  for (const button of view.list?.querySelectorAll('[data-conversation-id]') ?? []) {
    const count = client.unreadFor(button.dataset.conversationId);
    const badge = button.querySelector('.badge');
    badge.textContent = String(count);
    badge.hidden = count === 0;
    badge.setAttribute('aria-label', `${count} unread`);
  }
}

let listRefresh = null;
function refreshList(client) {
  listRefresh ??= setTimeout(async () => {
    listRefresh = null;
    try {
      const { conversations } = await client.listConversations({ limit: 100 });
      for (const c of conversations) {
        view.conversations.set(c.id, { ...view.conversations.get(c.id), ...c });
        view.names.set(c.user_id, c.user.display_name);
      }
      renderList(client);
      if (!view.openId && conversations[0]) openConversation(client, sortedConversations()[0].id);
    } catch (err) {
      notice(`Could not load conversations: ${err.message}`);
    }
  }, 200);
}

async function openConversation(client, id) {
  view.openId = id;
  client.conversationId = id;
  client.stopTyping();
  const conv = view.conversations.get(id);
  if (view.admin) ui.title.textContent = conv ? `Conversation with ${conv.user.display_name}` : 'Conversation';
  renderList(client);
  renderConversation();
  showTyping();
  try {
    const page = await client.listMessages(id, { limit: 100 });
    if (view.openId !== id) return;
    for (const m of page.messages) store(m);
    renderConversation();
  } catch (err) {
    notice(`Could not load messages: ${err.message}`);
  }
  if (document.visibilityState === 'visible') client.markRead(client.unreadIds(id));
}

// ---- messages ----

function store(m) {
  let map = view.store.get(m.conversation_id);
  if (!map) view.store.set(m.conversation_id, (map = new Map()));
  const known = map.get(m.id);
  // A receipt may have come before a page of history that predates it.
  map.set(m.id, known?.read_at && !m.read_at ? { ...m, read_at: known.read_at } : m);
  if (m.sender) view.names.set(m.sender_id, m.sender.display_name);
}

const inView = (conversationId) => (view.admin ? conversationId === view.openId : true);

function onMessage(client, { message, clientId }) {
  store(message);
  if (client.isAdmin === true && !view.admin) {
    setMode(client, true);
    refreshList(client);
  }
  if (view.admin) {
    const conv = view.conversations.get(message.conversation_id);
    if (conv) {
      if (!conv.last_message_at || message.created_at > conv.last_message_at) {
        conv.last_message_at = message.created_at;
        conv.last_message_preview = message.content.slice(0, 100);
      }
      renderList(client);
    } else {
      refreshList(client);
    }
  } else if (!view.openId) {
    view.openId = message.conversation_id;
    client.conversationId = message.conversation_id;
    ui.title.textContent = 'Your conversation with the admin';
  }
  if (clientId) view.pending.get(clientId)?.el.remove();
  if (clientId) view.pending.delete(clientId);
  if (inView(message.conversation_id)) renderMessage(message);
}

function settlePending(clientId, message) {
  const p = view.pending.get(clientId);
  if (!p) return;
  p.el.remove();
  view.pending.delete(clientId);
  store(message);
  if (inView(message.conversation_id)) renderMessage(message);
}

function addPending(clientId, conversationId, content) {
  const el = document.createElement('li');
  el.className = 'message pending';
  el.dataset.mine = 'true';
  el.dataset.clientId = clientId;
  const body = document.createElement('div');
  body.className = 'content';
  body.textContent = content;
  const status = document.createElement('div');
  status.className = 'receipt';
  status.textContent = 'sending…';
  el.append(body, status);
  view.pending.set(clientId, { conversationId, content, el });
  if (inView(conversationId ?? view.openId)) ui.messages.append(el);
  scrollDown();
}

function failPending(client, clientId, error) {
  const p = view.pending.get(clientId);
  if (!p || p.el.classList.contains('failed')) return;
  p.el.classList.add('failed');
  const status = p.el.querySelector('.receipt');
  status.textContent = `not sent: ${error.message}`;
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.textContent = 'Retry';
  retry.addEventListener('click', () => {
    p.el.remove();
    view.pending.delete(clientId);
    // The same client_id: if the first send was stored after all (its answer lost), this one is answered with it.
    sendContent(client, p.content, p.conversationId, clientId);
  });
  status.append(' ', retry);
}

function sendText(client) {
  const text = ui.text.value;
  if (!text.trim()) return;
  if (view.admin && !view.openId) {
    notice('Choose a conversation first.');
    return;
  }
  ui.text.value = '';
  sendContent(client, text, view.openId);
  ui.text.focus();
}

function sendContent(client, text, conversationId, clientId) {
  const promise = client.send(text, { conversationId: conversationId ?? undefined, clientId });
  if (!view.pending.has(promise.clientId)) addPending(promise.clientId, conversationId, text);
  // A send refused at once (too long, say) was reported before its element existed.
  promise.then((message) => settlePending(promise.clientId, message), (error) => failPending(client, promise.clientId, error));
}

function messageElement(m) {
  const mine = m.sender_id === window.msgrelayDemo.client.userId;
  const el = document.createElement('li');
  el.className = 'message';
  el.dataset.id = m.id;
  el.dataset.mine = String(mine);
  el.dataset.created = m.created_at;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const author = document.createElement('span');
  author.className = 'author';
  author.textContent = mine ? 'You' : (m.sender?.display_name ?? 'Unknown');
  const time = document.createElement('time');
  time.dateTime = m.created_at;
  time.textContent = new Date(m.created_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  meta.append(author, ' ', time);
  const content = document.createElement('div');
  content.className = 'content';
  content.textContent = m.content;
  el.append(meta, content);
  for (const a of m.attachments ?? []) {
    const link = document.createElement('span');
    link.className = 'attachment';
    link.textContent = `📎 ${a.filename}`;
    el.append(link);
  }
  const receipt = document.createElement('div');
  receipt.className = 'receipt';
  el.append(receipt);
  if (m.read_at) markElementRead(el);
  return el;
}

function markElementRead(el) {
  el.dataset.read = 'true';
  if (el.dataset.mine === 'true') el.querySelector('.receipt').textContent = '✓ read';
}

/** Shows a message in time order, before any pending ones; replaces an older copy of it. */
function renderMessage(m) {
  const el = messageElement(m);
  ui.messages.querySelector(`.message[data-id="${CSS.escape(m.id)}"]`)?.remove();
  const after = [...ui.messages.children].find((c) => c.classList.contains('pending') || (c.dataset.created ?? '') > m.created_at);
  ui.messages.insertBefore(el, after ?? null);
  scrollDown();
}

function renderConversation() {
  const items = [];
  const map = view.admin ? view.store.get(view.openId) : [...view.store.values()][0];
  const messages = [...(map?.values() ?? [])].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  for (const m of messages) items.push(messageElement(m));
  for (const p of view.pending.values()) if (inView(p.conversationId ?? view.openId)) items.push(p.el);
  ui.messages.replaceChildren(...items);
  scrollDown();
}

function onRead({ messageId, readAt }) {
  for (const map of view.store.values()) {
    const m = map.get(messageId);
    if (m) map.set(messageId, { ...m, read_at: m.read_at ?? readAt });
  }
  const el = ui.messages.querySelector(`.message[data-id="${CSS.escape(messageId)}"]`);
  if (el) markElementRead(el);
}

function showUnread({ count }) {
  ui.unread.textContent = String(count);
  if (view.admin) updateBadges(window.msgrelayDemo.client);
}

function scrollDown() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

// ---- typing ----

function onTyping({ conversationId, userId, isTyping }) {
  if (isTyping) view.typers.set(userId, conversationId);
  else view.typers.delete(userId);
  showTyping();
}

function showTyping() {
  const names = [...view.typers].filter(([, conv]) => inView(conv)).map(([userId, conv]) =>
    view.names.get(userId) ?? (view.admin ? view.conversations.get(conv)?.user.display_name : 'The admin') ?? 'Someone');
  ui.typing.textContent = names.length ? `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} typing…` : '';
  ui.typing.hidden = names.length === 0;
}

// ---- notifications ----

function setUpPush(client) {
  const base = new URL('./', import.meta.url);
  let registration = null;
  const supported = 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
  if ('serviceWorker' in navigator) {
    const open = `${base.pathname}#conversation={conversation_id}`;
    navigator.serviceWorker.register(`${new URL('../sw.js', base).pathname}?open=${encodeURIComponent(open)}`, { scope: base.pathname })
      .then((reg) => { registration = reg; })
      .catch((err) => { ui.pushStatus.textContent = `Service worker not registered: ${err.message}`; });
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data?.type === 'msgrelay:open' && e.data.conversationId && view.admin) openConversation(client, e.data.conversationId);
      // The browser renewed the subscription: register the new endpoint with the relay.
      if (e.data?.type === 'msgrelay:subscriptionchange' && Notification.permission === 'granted') renewPush();
    });
  }
  // Once notifications are allowed, each visit registers this browser's subscription again (the relay updates it by
  // endpoint): a subscription the browser renewed while no page was open reaches the relay this way.
  const renewPush = () => client.subscribePush(registration ? { registration } : {}).catch(() => {});
  if (!supported) {
    ui.push.disabled = true;
    ui.pushStatus.textContent ||= 'Notifications are not available here (they need HTTPS or localhost and a browser with Web Push).';
    return;
  }
  if (Notification.permission === 'granted') navigator.serviceWorker.ready.then(renewPush);
  ui.push.addEventListener('click', async () => {
    ui.push.disabled = true;
    try {
      await client.subscribePush(registration ? { registration } : {});
      ui.pushStatus.textContent = 'Notifications are on for this browser.';
    } catch (err) {
      ui.pushStatus.textContent = `Notifications not enabled: ${err.message}`;
    } finally {
      ui.push.disabled = false;
    }
  });
}
