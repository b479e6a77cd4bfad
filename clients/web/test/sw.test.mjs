// The service worker, run in a VM context with stand-ins for self, clients and registration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(new URL('../sw.js', import.meta.url), 'utf8');
const plain = (o) => JSON.parse(JSON.stringify(o)); // objects made in the VM have its prototypes

function worker({ scriptUrl = 'https://site.example/sw.js', scope = 'https://site.example/', windows = [] } = {}) {
  const handlers = {};
  const shown = []; // every notification shown, in order
  const showing = new Map(); // what the browser shows now: one per tag, the last shown replacing the one before
  const opened = [];
  const subscribed = [];
  const self = {
    location: { href: scriptUrl },
    registration: {
      scope,
      showNotification: async (title, options) => {
        const n = { title, ...plain(options) };
        shown.push(n);
        showing.set(n.tag, n);
      },
      getNotifications: async ({ tag } = {}) => [...showing.values()].filter((n) => tag === undefined || n.tag === tag),
      pushManager: { subscribe: async (options) => { subscribed.push(plain(options)); return { endpoint: 'https://push.example/new' }; } },
    },
    clients: {
      matchAll: async (options) => { assert.deepEqual({ ...options }, { type: 'window', includeUncontrolled: true }); return windows; },
      openWindow: async (url) => { opened.push(url); return null; },
      claim: async () => {},
    },
    addEventListener: (type, fn) => { handlers[type] = fn; },
    skipWaiting: () => {},
  };
  vm.runInNewContext(source, { self, URL, encodeURIComponent, Object, console });
  const fire = async (type, event) => {
    let work;
    handlers[type]({ ...event, waitUntil: (p) => { work = p; } });
    return work;
  };
  return {
    shown, showing, opened, subscribed,
    subscriptionChange: (event) => fire('pushsubscriptionchange', event),
    push: (payload) => fire('push', { data: payload === undefined ? null : { json: () => JSON.parse(payload), text: () => payload } }),
    click: (notification) => fire('notificationclick', { notification: { close() { this.closed = true; }, ...notification } }),
  };
}

function windowClient(url, { focused = false, controlled = true } = {}) {
  const w = { url, focused, messages: [], focusedCalls: 0, navigations: [] };
  w.postMessage = (m) => w.messages.push(plain(m));
  w.focus = async () => { w.focusedCalls++; return w; };
  w.navigate = async (to) => { if (!controlled) throw new TypeError('not controlled'); w.navigations.push(to); w.url = to; return w; };
  return w;
}

const PAYLOAD = JSON.stringify({ title: 'New message', body: 'Hello there', data: { conversation_id: 'c-1', message_id: 'm-9' } });

test('push: a notification tagged by conversation, with the conversation URL', async () => {
  const sw = worker({ scriptUrl: 'https://site.example/sw.js?open=%2Fmessages%2F%7Bconversation_id%7D%3Fm%3D%7Bmessage_id%7D' });
  await sw.push(PAYLOAD);
  assert.equal(sw.shown.length, 1);
  const [n] = sw.shown;
  assert.equal(n.title, 'New message');
  assert.equal(n.body, 'Hello there');
  assert.equal(n.tag, 'msgrelay:c-1');
  assert.equal(n.renotify, true);
  assert.deepEqual(n.data, {
    conversation_id: 'c-1', message_id: 'm-9', url: 'https://site.example/messages/c-1?m=m-9', recent: ['New message\nm-9'],
  });
});

test('push: an open setting of another origin falls back to the site\'s own page', async () => {
  for (const open of ['https://evil.example/x', '//evil.example/x']) {
    const sw = worker({ scriptUrl: 'https://site.example/sw.js?open=' + encodeURIComponent(open) });
    await sw.push(PAYLOAD);
    assert.equal(sw.shown[0].data.url, 'https://site.example/?conversation=c-1');
  }
});

test('push: a message delivered twice is shown once; another message, or a reaction to it, alerts again', async () => {
  const sw = worker();
  await sw.push(PAYLOAD);
  await sw.push(PAYLOAD);
  assert.equal(sw.shown.length, 1);
  await sw.push(JSON.stringify({ title: 'New reaction', body: 'Ann reacted', data: { conversation_id: 'c-1', message_id: 'm-9' } }));
  await sw.push(JSON.stringify({ title: 'New message', body: 'Next', data: { conversation_id: 'c-1', message_id: 'm-10' } }));
  assert.deepEqual(sw.shown.map((n) => n.body), ['Hello there', 'Ann reacted', 'Next']);
});

test('push: two reactions to one message are two notices; the same reaction delivered twice is one', async () => {
  const sw = worker();
  const reaction = (user, emoji) => JSON.stringify({
    title: 'New reaction', body: `${user} reacted ${emoji}`,
    data: { conversation_id: 'c-1', message_id: 'm-9', reaction: { user_id: user, emoji } },
  });
  await sw.push(reaction('u-1', '👍'));
  await sw.push(reaction('u-1', '❤️'));
  await sw.push(reaction('u-1', '❤️'));
  await sw.push(reaction('u-1', '👍'));
  assert.deepEqual(sw.shown.map((n) => n.body), ['u-1 reacted 👍', 'u-1 reacted ❤️']);
});

test('push: a late second copy of a message replaced since is not shown again over the newer one', async () => {
  const sw = worker();
  await sw.push(PAYLOAD);
  await sw.push(JSON.stringify({ title: 'New message', body: 'Next', data: { conversation_id: 'c-1', message_id: 'm-10' } }));
  await sw.push(PAYLOAD); // the relay sent m-9 again: its push service had answered late
  assert.deepEqual(sw.shown.map((n) => n.body), ['Hello there', 'Next']);
  assert.equal(sw.showing.get('msgrelay:c-1').body, 'Next');
  // What is remembered is bounded: the 20 last of the conversation.
  for (let i = 0; i < 30; i++) {
    await sw.push(JSON.stringify({ title: 'New message', body: `n${i}`, data: { conversation_id: 'c-1', message_id: `m-${100 + i}` } }));
  }
  assert.equal(sw.showing.get('msgrelay:c-1').data.recent.length, 20);
});

test('push: nothing is shown while a window of the site has focus', async () => {
  const sw = worker({ windows: [windowClient('https://site.example/a'), windowClient('https://site.example/b', { focused: true })] });
  await sw.push(PAYLOAD);
  assert.equal(sw.shown.length, 0);
  const unfocused = worker({ windows: [windowClient('https://site.example/a')] });
  await unfocused.push(PAYLOAD);
  assert.equal(unfocused.shown.length, 1);
});

test('push: a focused page of the site outside the chat\'s scope does not hide the notification', async () => {
  const sw = worker({ scope: 'https://site.example/app/', windows: [windowClient('https://site.example/blog/post', { focused: true })] });
  await sw.push(PAYLOAD);
  assert.equal(sw.shown.length, 1);
  const inScope = worker({ scope: 'https://site.example/app/', windows: [windowClient('https://site.example/app/chat', { focused: true })] });
  await inScope.push(PAYLOAD);
  assert.equal(inScope.shown.length, 0);
});

test('pushsubscriptionchange: subscribes again with the old options and tells the chat\'s pages', async () => {
  const chat = windowClient('https://site.example/app/chat');
  const blog = windowClient('https://site.example/blog/');
  const sw = worker({ scope: 'https://site.example/app/', windows: [chat, blog] });
  const options = { userVisibleOnly: true, applicationServerKey: 'key' };
  await sw.subscriptionChange({ oldSubscription: { options }, newSubscription: null });
  assert.deepEqual(sw.subscribed, [options]);
  assert.deepEqual(chat.messages, [{ type: 'msgrelay:subscriptionchange' }]);
  assert.deepEqual(blog.messages, []);
  // The browser made the new one itself: only the pages are told.
  await sw.subscriptionChange({ oldSubscription: { options }, newSubscription: { endpoint: 'https://push.example/n2' } });
  assert.equal(sw.subscribed.length, 1);
  assert.equal(chat.messages.length, 2);
});

test('push: the default page is the scope with ?conversation=; odd payloads still show something', async () => {
  const sw = worker({ scope: 'https://site.example/app/' });
  await sw.push(PAYLOAD);
  assert.equal(sw.shown[0].data.url, 'https://site.example/app/?conversation=c-1');
  await sw.push('not json');
  assert.deepEqual([sw.shown[1].title, sw.shown[1].body, sw.shown[1].tag], ['New message', 'not json', 'msgrelay']);
  await sw.push(undefined);
  assert.equal(sw.shown.length, 3);
});

test('click: no window open: open one at the conversation', async () => {
  const sw = worker();
  const notification = { data: { conversation_id: 'c-1', message_id: 'm-9', url: 'https://site.example/?conversation=c-1' } };
  await sw.click(notification);
  assert.deepEqual(sw.opened, ['https://site.example/?conversation=c-1']);
});

test('click: a window of the site is focused, told, and navigated to the conversation', async () => {
  const page = windowClient('https://site.example/blog');
  const sw = worker({ windows: [page] });
  await sw.click({ data: { conversation_id: 'c-1', message_id: 'm-9', url: 'https://site.example/?conversation=c-1' } });
  assert.equal(page.focusedCalls, 1);
  assert.deepEqual(page.navigations, ['https://site.example/?conversation=c-1']);
  assert.deepEqual(page.messages, [{ type: 'msgrelay:open', conversationId: 'c-1', messageId: 'm-9', url: 'https://site.example/?conversation=c-1' }]);
  assert.deepEqual(sw.opened, []);
});

test('click: a window already at the conversation is only focused; an uncontrolled one is focused and told', async () => {
  const at = windowClient('https://site.example/?conversation=c-1');
  const sw = worker({ windows: [windowClient('https://site.example/x'), at] });
  await sw.click({ data: { conversation_id: 'c-1', url: 'https://site.example/?conversation=c-1' } });
  assert.equal(at.focusedCalls, 1);
  assert.deepEqual(at.navigations, []);

  const loose = windowClient('https://site.example/demo/#token=abc', { controlled: false });
  const sw2 = worker({ windows: [loose] });
  await sw2.click({ data: { conversation_id: 'c-2', url: 'https://site.example/demo/#conversation=c-2' } });
  assert.equal(loose.focusedCalls, 1);
  assert.equal(loose.messages[0].conversationId, 'c-2');
  assert.deepEqual(sw2.opened, []);
});

test('click: windows outside the scope are left alone; a new window opens', async () => {
  const other = windowClient('https://site.example/elsewhere');
  const sw = worker({ scope: 'https://site.example/client/demo/', windows: [other] });
  await sw.click({ data: { conversation_id: 'c-1' } });
  assert.deepEqual(sw.opened, ['https://site.example/client/demo/?conversation=c-1']);
  assert.equal(other.focusedCalls, 0);
});
