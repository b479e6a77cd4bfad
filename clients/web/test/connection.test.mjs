// Connecting, states, heartbeat, reconnect with backoff, close codes, token refresh, online/offline.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, socketUrl, tokenSubject, connect } from '../msgrelay.js';
import { FakeWebSocket, openClient, settle, token, useFakeTimers, fakeWindow, record, USER, cleanup, track } from './helpers.mjs';

let clock;
afterEach(cleanup);

test('backoff: full jitter below min(cap, base * 2^attempt)', () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(30_000, 1000 * 2 ** attempt);
    assert.equal(backoffDelay(attempt, { random: () => 0 }), 0);
    assert.equal(backoffDelay(attempt, { random: () => 0.999999 }), ceiling - 1);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(attempt);
      assert.ok(d >= 0 && d < ceiling, `attempt ${attempt}: ${d}`);
    }
  }
  assert.equal(backoffDelay(100, { random: () => 0.5, cap: 30_000 }), 15_000);
  assert.equal(backoffDelay(3, { random: () => 0.5, base: 500, cap: 2000 }), 1000);
});

test('socket URL: ws(s) from http(s), prefix kept, token and cursor in the query', () => {
  assert.equal(socketUrl('https://relay.example'), 'wss://relay.example/ws/messages');
  assert.equal(socketUrl('http://127.0.0.1:8080/'), 'ws://127.0.0.1:8080/ws/messages');
  assert.equal(socketUrl('https://example.com/chat/', { token: 'a.b.c', cursor: '1.2-3~x' }),
    'wss://example.com/chat/ws/messages?token=a.b.c&cursor=1.2-3%7Ex');
  assert.equal(socketUrl('http://h', { cursor: 'c', lastMessageId: 'm' }), 'ws://h/ws/messages?cursor=c');
  assert.equal(socketUrl('http://h', { lastMessageId: 'm' }), 'ws://h/ws/messages?last_message_id=m');
  assert.equal(tokenSubject(token('abc')), 'abc');
  assert.equal(tokenSubject('garbage'), null);
  // The relay takes a UUID in capitals for the same user, and writes it in lower case.
  assert.equal(tokenSubject(token(USER.toUpperCase())), USER);
});

test('a token whose sub is in capitals names the user the relay writes in lower case, before it says so', async () => {
  const { client } = await openClient({ token: token(USER.toUpperCase()) }, { open: false });
  assert.equal(client.userId, USER);
  client.close();
});

test('states: connecting, then open on the connected frame (not on the socket open)', async () => {
  const { client, log, ws } = await openClient({}, { open: false });
  assert.deepEqual(log.map((e) => e.type), ['connecting']);
  assert.equal(client.state, 'connecting');
  ws().readyState = 1;
  ws().onopen?.({});
  assert.equal(client.state, 'connecting');
  ws().accept();
  assert.equal(client.state, 'open');
  assert.equal(log.of('open')[0].userId, USER);
  assert.equal(ws().query.get('token'), token(USER));
  assert.equal(ws().query.get('cursor'), null);
  client.close();
  assert.equal(client.state, 'offline');
  assert.equal(ws().closedWith.code, 1000);
});

test('heartbeat: a ping every 30 s; no answer within the deadline closes and reconnects', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  const first = ws();
  clock.tick(30_000);
  assert.deepEqual(first.sent, ['{"type":"ping"}']);
  first.receive({ type: 'pong', data: { timestamp: 'x' } });
  clock.tick(30_000);
  assert.equal(first.sent.length, 2);
  clock.tick(9_999);
  assert.equal(client.state, 'open');
  clock.tick(1);
  assert.equal(client.state, 'reconnecting');
  assert.equal(first.closedWith.code, 4000);
  clock.tick(log.of('reconnecting')[0].delay);
  await settle();
  assert.notEqual(ws(), first);
  assert.equal(client.state, 'connecting');
  client.close();
});

test('reconnect: backoff grows with failures and resets after a stable open', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient({ random: () => 0.999 });
  ws().serverClose(1006);
  const delays = [];
  for (let i = 0; i < 7; i++) {
    const { delay } = log.of('reconnecting').at(-1);
    delays.push(delay);
    clock.tick(delay);
    await settle();
    ws().serverClose(1006); // refused again before `connected`
  }
  assert.deepEqual(delays, [999, 1998, 3996, 7992, 15984, 29970, 29970]);
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  ws().accept();
  clock.tick(10_000); // stable
  ws().serverClose(1001, 'going away');
  assert.equal(log.of('reconnecting').at(-1).delay, 999);
  client.close();
});

test('an open that does not last does not reset the backoff', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient({ random: () => 0.999 });
  for (let i = 0; i < 3; i++) {
    ws().serverClose(1001);
    clock.tick(log.of('reconnecting').at(-1).delay);
    await settle();
    ws().accept();
    clock.tick(1000);
  }
  ws().serverClose(1001);
  assert.equal(log.of('reconnecting').at(-1).delay, 7992);
  client.close();
});

test('clients refused together spread out: 4429 and 1013 add a floor to the random delay', async () => {
  clock = useFakeTimers();
  const delays = [];
  for (const random of [() => 0.1, () => 0.6]) {
    for (const code of [4429, 1013]) {
      const { client, log, ws } = await openClient({ random });
      ws().serverClose(code);
      delays.push(log.of('reconnecting').at(-1).delay);
      client.close();
    }
  }
  // random 0.1 and 0.6 of the first attempt's second: 5 s or 1 s plus 100 ms or 600 ms.
  assert.deepEqual(delays, [5100, 1100, 5600, 1600]);
});

test('a getToken that never answers fails the attempt at the connect timeout, and the next attempt asks again', async () => {
  clock = useFakeTimers();
  let calls = 0;
  const { client, log } = await openClient({ token: undefined, getToken: () => { calls++; return new Promise(() => {}); } }, { open: false });
  assert.equal(calls, 1);
  assert.equal(FakeWebSocket.instances.length, 0);
  clock.tick(15_000);
  await settle();
  assert.equal(client.state, 'reconnecting');
  assert.equal(log.of('error').at(-1).fatal, false);
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  assert.equal(calls, 2);
  assert.equal(client.state, 'connecting');
  client.close();
});

test('no connected frame within the connect timeout: try again', async () => {
  clock = useFakeTimers();
  const { client, ws } = await openClient({}, { open: false });
  const first = ws();
  clock.tick(15_000);
  assert.equal(client.state, 'reconnecting');
  assert.ok(first.closedWith);
  client.close();
});

test('4401 with getToken: the token is fetched again and the socket reopened with it', async () => {
  clock = useFakeTimers();
  const tokens = [token(USER, { n: 1 }), token(USER, { n: 2 })];
  let calls = 0;
  const { client, log, ws } = await openClient({ token: undefined, getToken: async () => tokens[calls++] });
  assert.equal(calls, 1);
  assert.equal(ws().query.get('token'), tokens[0]);
  ws().receive({ type: 'error', data: { code: 'unauthorized', message: 'Token expired' } });
  ws().serverClose(4401, 'Token expired');
  assert.equal(client.state, 'reconnecting');
  assert.equal(log.of('error')[0].fatal, false);
  assert.equal(log.of('error')[0].error.message, 'Token expired');
  clock.tick(log.of('reconnecting')[0].delay);
  await settle();
  assert.equal(calls, 2);
  assert.equal(ws().query.get('token'), tokens[1]);
  ws().accept();
  // A plain close does not fetch a new token.
  ws().serverClose(1006);
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  assert.equal(calls, 2);
  assert.equal(ws().query.get('token'), tokens[1]);
  client.close();
});

test('4401 with a fixed token: stop, offline, fatal error', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient({}, { open: false });
  ws().receive({ type: 'error', data: { code: 'unauthorized', message: 'Invalid token signature' } });
  ws().serverClose(4401);
  assert.equal(client.state, 'offline');
  const [{ error, fatal }] = log.of('error');
  assert.equal(fatal, true);
  assert.equal(error.code, 'unauthorized');
  assert.equal(error.closeCode, 4401);
  clock.tick(120_000);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  // A new token brings it back.
  client.setToken(token(USER, { n: 2 }));
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2);
  client.close();
});

test('4401 after setToken: the token set ahead of expiry is kept and tried, not thrown away with the old one', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  const renewed = token(USER, { exp: 2e9 + 3600 });
  client.setToken(renewed);
  ws().serverClose(4401, 'Token expired');
  assert.equal(client.state, 'reconnecting');
  assert.equal(log.of('error').every((e) => !e.fatal), true);
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2);
  assert.equal(ws().query.get('token'), renewed);
  client.close();
});

test('4401 "Account changed; reconnect": the same token is used again, admin status learned anew', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient({}, { userId: USER });
  client.isAdmin = false;
  ws().serverClose(4401, 'Account changed; reconnect');
  assert.equal(client.state, 'reconnecting');
  assert.equal(client.isAdmin, null);
  assert.equal(log.of('error').length, 0);
  clock.tick(log.of('reconnecting')[0].delay);
  await settle();
  assert.equal(ws().query.get('token'), token(USER));
  client.close();
});

test('4403 (origin refused): stop, offline, error event; online does not restart it', async () => {
  clock = useFakeTimers();
  const { client, log, ws, win } = await openClient({}, { open: false });
  ws().receive({ type: 'error', data: { code: 'forbidden', message: 'Origin not allowed' } });
  ws().serverClose(4403);
  assert.equal(client.state, 'offline');
  assert.equal(log.of('error').length, 1);
  assert.deepEqual([log.of('error')[0].error.code, log.of('error')[0].fatal], ['forbidden', true]);
  win.setOnline(true);
  clock.tick(60_000);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  client.close();
});

test('4429 (too many sockets): an error event and a reconnect no sooner than 5 s', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient({ random: () => 0 }, { open: false });
  ws().receive({ type: 'error', data: { code: 'too_many_sockets', message: 'Too many sockets' } });
  ws().serverClose(4429);
  assert.equal(client.state, 'reconnecting');
  assert.equal(log.of('error')[0].error.code, 'too_many_sockets');
  assert.equal(log.of('reconnecting')[0].delay, 5000);
  clock.tick(4999);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  clock.tick(1);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2);
  client.close();
});

test('offline event: offline state, socket dropped; online: reconnect at once', async () => {
  clock = useFakeTimers();
  const { client, log, ws, win } = await openClient({ random: () => 0.999 });
  const first = ws();
  win.setOnline(false);
  assert.equal(client.state, 'offline');
  assert.ok(first.closedWith);
  clock.tick(120_000);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  win.setOnline(true);
  await settle();
  assert.equal(client.state, 'connecting');
  assert.equal(FakeWebSocket.instances.length, 2);
  ws().accept();
  assert.equal(client.state, 'open');
  assert.deepEqual(log.filter((e) => ['connecting', 'open', 'reconnecting', 'offline'].includes(e.type)).map((e) => e.type),
    ['connecting', 'open', 'offline', 'connecting', 'open']);
  client.close();
});

test('online event during a backoff wait reconnects at once; while open it checks the socket', async () => {
  clock = useFakeTimers();
  const { client, ws, win } = await openClient({ random: () => 0.999 });
  ws().serverClose(1006);
  assert.equal(client.state, 'reconnecting');
  win.dispatchEvent(new Event('online'));
  await settle();
  assert.equal(FakeWebSocket.instances.length, 2);
  ws().accept();
  win.dispatchEvent(new Event('online'));
  assert.deepEqual(ws().sent, ['{"type":"ping"}']);
  clock.tick(10_000);
  assert.equal(client.state, 'reconnecting');
  client.close();
});

test('starting while the browser is offline waits for online', async () => {
  FakeWebSocket.instances = [];
  const win = fakeWindow({ online: false });
  const client = track(connect({ url: 'http://relay', token: token(), WebSocket: FakeWebSocket, window: win }));
  const log = record(client, ['offline', 'connecting']);
  await settle();
  assert.equal(client.state, 'offline');
  assert.deepEqual(log.map((e) => e.type), ['offline']);
  assert.equal(FakeWebSocket.instances.length, 0);
  win.setOnline(true);
  await settle();
  assert.equal(FakeWebSocket.instances.length, 1);
  client.close();
});

test('a page becoming visible pings a socket that has been quiet longer than the ping interval', async () => {
  clock = useFakeTimers();
  const { client, ws, win } = await openClient();
  win.setVisible(false);
  clock.tick(20_000);
  win.setVisible(true);
  assert.deepEqual(ws().sent, []);
  win.setVisible(false);
  clock.setTime(Date.now() + 40_000); // a background tab's timers did not run
  win.setVisible(true);
  assert.deepEqual(ws().sent, ['{"type":"ping"}']);
  client.close();
});

test('connect() needs a token or getToken, and a url outside a page', () => {
  assert.throws(() => connect({ url: 'http://relay' }), /token/);
  assert.throws(() => connect({ token: 'x', window: {} }), /url/);
});
