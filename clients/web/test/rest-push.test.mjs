// REST helpers (bearer token, 401 refresh, errors) and Web Push subscription.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { base64UrlToBytes } from '../msgrelay.js';
import { openClient, token, fakeWindow, cleanup, message, USER, ADMIN, CONV } from './helpers.mjs';

afterEach(cleanup);

/** A fetch that answers from a table of `METHOD path` -> (request) => [status, body, headers], and logs calls. */
function fakeFetch(routes) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const u = new URL(url);
    const call = { method: init.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: init.headers ?? {},
      body: init.body === undefined ? undefined : JSON.parse(init.body), origin: u.origin };
    calls.push(call);
    const route = routes[`${call.method} ${call.path}`];
    const [status, body, headers = {}] = route ? route(call, calls) : [404, { error: 'Not found' }];
    return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
  };
  fetch.calls = calls;
  return fetch;
}

const KEY = 'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U';

test('api: bearer token, JSON body, query; errors carry code, status and Retry-After', async () => {
  const fetch = fakeFetch({
    'POST /api/messages': (c) => [201, { id: 'm1', content: c.body.content }],
    'GET /api/conversations': () => [429, { error: 'Slow down' }, { 'Retry-After': '7' }],
  });
  const { client } = await openClient({ fetch, url: 'https://relay.example/' }, { open: false });
  const created = await client.api('/api/messages', { method: 'POST', body: { content: 'hi' }, query: { x: 1, skip: undefined } });
  assert.deepEqual(created, { id: 'm1', content: 'hi' });
  const [call] = fetch.calls;
  assert.equal(call.origin, 'https://relay.example');
  assert.equal(call.headers.Authorization, `Bearer ${token(USER)}`);
  assert.equal(call.headers['Content-Type'], 'application/json');
  assert.deepEqual(call.query, { x: '1' });
  await assert.rejects(client.api('/api/conversations'), (e) => e.code === 'rate_limited' && e.status === 429 && e.retryAfter === 7 && e.message === 'Slow down');
  await assert.rejects(client.api('/api/nothing'), { code: 'not_found', status: 404 });
});

test('api: a 401 fetches a new token through getToken and tries once more', async () => {
  const fresh = token(USER, { n: 2 });
  const fetch = fakeFetch({ 'GET /api/conversations': (c) => (c.headers.Authorization === `Bearer ${fresh}` ? [200, { conversations: [], pagination: {} }] : [401, { error: 'Token expired' }]) });
  let n = 0;
  const { client } = await openClient({ fetch, token: undefined, getToken: async () => (n++ === 0 ? token(USER, { n: 1 }) : fresh) }, { open: false });
  assert.deepEqual((await client.listConversations()).conversations, []);
  assert.equal(fetch.calls.length, 2);
  assert.equal(n, 2);
  const stale = fakeFetch({ 'GET /api/conversations': () => [401, { error: 'Unknown user' }] });
  const other = await openClient({ fetch: stale }, { open: false });
  await assert.rejects(other.client.listConversations(), { code: 'unauthorized', status: 401 });
  assert.equal(stale.calls.length, 1);
});

test("a demoted admin's earlier reply does not make a user's client an admin: the current admins' replies stay unread", async () => {
  const FORMER = '0193a000-0000-7000-8000-0000000000fe';
  const conv = { id: CONV, user_id: USER, user: { id: USER, username: 'alice', display_name: 'Alice', slug: 'alice' }, unread_count: 1 };
  const reply = message({ from: ADMIN });
  const fetch = fakeFetch({
    'GET /api/conversations': () => [200, { conversations: [conv], pagination: {} }],
    // `is_admin` is each sender's role now: the former admin's reply comes with false.
    [`GET /api/conversations/${CONV}/messages`]: () => [200, { messages: [message({ from: USER, admin: false }), message({ from: FORMER, admin: false, readAt: '2026-12-01T00:00:00Z' }), reply], pagination: { has_more: false } }],
  });
  const { client } = await openClient({ fetch }, { open: false });
  await client.listConversations();
  await client.listMessages(CONV);
  assert.equal(client.isAdmin, false);
  assert.equal(client.unreadCount, 1);
  // Even with the list never asked for.
  const fresh = await openClient({ fetch }, { open: false });
  await fresh.client.listMessages(CONV);
  assert.notEqual(fresh.client.isAdmin, true);
});

test("a demoted admin's unread reply is the user's to read; an admin who knows the conversation's user leaves it out", async () => {
  const FORMER = '0193a000-0000-7000-8000-0000000000fe';
  const conv = { id: CONV, user_id: USER, user: { id: USER, username: 'alice', display_name: 'Alice', slug: 'alice' }, unread_count: 2 };
  // The relay counts by the conversation: the former admin's reply is still for its user.
  const page = [message({ from: USER, admin: false }), message({ from: FORMER, admin: false }), message({ from: ADMIN })];
  const routes = (list) => fakeFetch({
    'GET /api/conversations': () => [200, { conversations: list, pagination: {} }],
    [`GET /api/conversations/${CONV}/messages`]: () => [200, { messages: page, pagination: { has_more: false } }],
  });
  const user = await openClient({ fetch: routes([conv]) }, { open: false });
  await user.client.listConversations();
  await user.client.listMessages(CONV);
  assert.equal(user.client.isAdmin, false);
  assert.deepEqual(user.client.unreadIds(), [page[1].id, page[2].id]);

  const admin = await openClient({ fetch: routes([{ ...conv, archived: false }]), token: token(ADMIN) }, { open: false, userId: ADMIN });
  await admin.client.listConversations();
  await admin.client.listMessages(CONV);
  assert.equal(admin.client.isAdmin, true);
  assert.deepEqual(admin.client.unreadIds(), [page[0].id]);
});

test('a page that left before a receipt does not count the message unread again', async () => {
  const unread = message({ from: ADMIN });
  let answer;
  const answered = new Promise((resolve) => { answer = resolve; });
  const fetch = async () => { await answered; return new Response(JSON.stringify({ messages: [unread], pagination: { has_more: false } }), { status: 200, headers: { 'Content-Type': 'application/json' } }); };
  const { client, ws } = await openClient({ fetch });
  ws().receive({ type: 'message', data: unread });
  assert.equal(client.unreadCount, 1);
  const page = client.listMessages(CONV);
  // Read in another tab meanwhile: the receipt comes before the page, which was read from the database before it.
  ws().receive({ type: 'message_read', data: { message_id: unread.id, read_at: '2026-12-01T00:00:00Z', read_by: USER } });
  assert.equal(client.unreadCount, 0);
  answer();
  await page;
  assert.equal(client.unreadCount, 0);
  assert.deepEqual(client.unreadIds(), []);
  client.close();
});

test('listConversations tells an admin from a user; listMessages feeds the unread count', async () => {
  const conv = { id: CONV, user_id: USER, user: { id: USER, username: 'alice', display_name: 'Alice', slug: 'alice' }, unread_count: 1 };
  const unread = message({ from: ADMIN });
  const fetch = fakeFetch({
    'GET /api/conversations': () => [200, { conversations: [conv], pagination: {} }],
    [`GET /api/conversations/${CONV}/messages`]: (c) => [200, { messages: [message({ from: USER, admin: false }), unread], pagination: { has_more: false, limit: Number(c.query.limit) } }],
  });
  const { client, log } = await openClient({ fetch }, { open: false });
  await client.listConversations();
  assert.equal(client.isAdmin, false);
  assert.equal(client.conversationId, CONV);
  const page = await client.listMessages(CONV, { limit: 50 });
  assert.equal(page.pagination.limit, 50);
  assert.equal(client.unreadCount, 1);
  assert.deepEqual(log.of('unread').at(-1), { count: 1, byConversation: { [CONV]: 1 } });

  const adminFetch = fakeFetch({ 'GET /api/conversations': () => [200, { conversations: [{ ...conv, archived: false }], pagination: {} }] });
  const admin = await openClient({ fetch: adminFetch, token: token(ADMIN) }, { open: false, userId: ADMIN });
  await admin.client.listConversations();
  assert.equal(admin.client.isAdmin, true);
  assert.equal(admin.client.conversationId, null);
});

/** A registration whose push manager remembers one subscription. */
function fakeRegistration({ active = true, existingKey } = {}) {
  const reg = { subscribeCalls: [], unsubscribed: 0 };
  const makeSub = (opts, n) => ({
    endpoint: `https://push.example/send/${n}`,
    options: { applicationServerKey: opts.applicationServerKey.buffer },
    toJSON() { return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: 'p256', auth: 'auth' } }; },
    async unsubscribe() { reg.unsubscribed++; if (reg.current === this) reg.current = null; return true; },
  });
  reg.current = existingKey ? makeSub({ applicationServerKey: existingKey }, 0) : null;
  reg.pushManager = {
    async getSubscription() { return reg.current; },
    async subscribe(opts) { reg.subscribeCalls.push(opts); reg.current = makeSub(opts, reg.subscribeCalls.length); return reg.current; },
  };
  if (active) reg.active = { state: 'activated' };
  else {
    const worker = new EventTarget();
    worker.state = 'installing';
    reg.installing = worker;
    setTimeout(() => { worker.state = 'activated'; worker.dispatchEvent(new Event('statechange')); }, 5);
  }
  return reg;
}

function pushWindow(permission = 'default', answer = 'granted') {
  const win = fakeWindow();
  win.Notification = { permission, requests: 0, async requestPermission() { this.requests++; this.permission = answer; return answer; } };
  return win;
}

test('subscribePush: permission, VAPID key from the relay, subscribe with it, POST the subscription', async () => {
  const fetch = fakeFetch({
    'GET /api/push/vapid-public-key': () => [200, { public_key: KEY }],
    'POST /api/push/subscribe': () => [201, { id: 's1', created_at: 'now' }],
  });
  const win = pushWindow();
  const reg = fakeRegistration({ active: false });
  const { client } = await openClient({ fetch, window: win }, { open: false });
  const sub = await client.subscribePush({ registration: reg });
  assert.equal(win.Notification.requests, 1);
  assert.equal(reg.subscribeCalls.length, 1);
  assert.equal(reg.subscribeCalls[0].userVisibleOnly, true);
  assert.deepEqual([...reg.subscribeCalls[0].applicationServerKey], [...base64UrlToBytes(KEY)]);
  assert.equal(reg.subscribeCalls[0].applicationServerKey.length, 65);
  const post = fetch.calls.find((c) => c.method === 'POST');
  assert.deepEqual(post.body, { subscription: { endpoint: sub.endpoint, keys: { p256dh: 'p256', auth: 'auth' } } });
  assert.equal(post.headers.Authorization, `Bearer ${token(USER)}`);
  // Again: the same subscription is kept and registered again (the relay upserts by endpoint).
  await client.subscribePush({ registration: reg });
  assert.equal(reg.subscribeCalls.length, 1);
  assert.equal(fetch.calls.filter((c) => c.method === 'POST').length, 2);
});

test('subscribePush: a subscription made with another key is replaced; 409 gets a new endpoint', async () => {
  let posts = 0;
  const fetch = fakeFetch({
    'GET /api/push/vapid-public-key': () => [200, { public_key: KEY }],
    'POST /api/push/subscribe': () => (posts++ === 0 ? [409, { error: 'This push endpoint belongs to another user' }] : [201, { id: 's1' }]),
  });
  const reg = fakeRegistration({ existingKey: new Uint8Array(65).fill(4) });
  const { client } = await openClient({ fetch, window: pushWindow('granted') }, { open: false });
  const sub = await client.subscribePush({ registration: reg });
  assert.equal(reg.unsubscribed, 2); // the old key's, then the one the relay refused
  assert.equal(reg.subscribeCalls.length, 2);
  assert.equal(sub.endpoint, 'https://push.example/send/2');
});

test('subscribePush: refused permission and missing support are errors with codes', async () => {
  const fetch = fakeFetch({});
  const { client } = await openClient({ fetch, window: pushWindow('default', 'denied') }, { open: false });
  await assert.rejects(client.subscribePush({ registration: fakeRegistration() }), { code: 'permission_denied' });
  assert.equal(fetch.calls.length, 0);
  await assert.rejects(client.subscribePush(), { code: 'unsupported' }); // no navigator.serviceWorker
});

test('unsubscribePush: DELETE with the endpoint, then unsubscribe in the browser', async () => {
  const fetch = fakeFetch({ 'DELETE /api/push/subscribe': () => [204, null] });
  const reg = fakeRegistration({ existingKey: base64UrlToBytes(KEY) });
  const { client } = await openClient({ fetch, window: pushWindow('granted') }, { open: false });
  assert.equal(await client.unsubscribePush({ registration: reg }), true);
  assert.deepEqual(fetch.calls.map((c) => [c.method, c.path, c.body]), [['DELETE', '/api/push/subscribe', { endpoint: 'https://push.example/send/0' }]]);
  assert.equal(reg.unsubscribed, 1);
  assert.equal(await client.unsubscribePush({ registration: reg }), false);
});
