// The send queue: client_id, acknowledgement by message_sent, retry with the same client_id, errors, pacing.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { connect, memoryStorage } from '../msgrelay.js';
import { FakeWebSocket, openClient, settle, message, token, useFakeTimers, fakeWindow, record, USER, ADMIN, CONV, cleanup, track } from './helpers.mjs';

let clock;
afterEach(cleanup);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sentFrame = (ws, i = -1) => ws.frames('send_message').at(i).data;
const ack = (ws, data, extra = {}) => {
  const m = message({ from: USER, admin: false, content: data.content, ...extra });
  ws.receive({ type: 'message_sent', data: { ...m, client_id: data.client_id } });
  return m;
};

test('send: one frame with a fresh client_id; message_sent resolves it; one message event for both frames', async () => {
  const { client, log, ws } = await openClient();
  const p = client.send('hello', { conversationId: CONV });
  const data = sentFrame(ws());
  assert.match(data.client_id, UUID);
  assert.equal(p.clientId, data.client_id);
  assert.deepEqual(data, { content: 'hello', client_id: p.clientId, conversation_id: CONV });
  const m = ack(ws(), data);
  assert.deepEqual(await p, m);
  ws().receive({ type: 'message', data: { ...m, cursor: 'c1' } }); // the fan-out reaches this socket too
  assert.equal(log.of('message').length, 1);
  assert.deepEqual(log.of('message')[0], { message: m, mine: true, clientId: p.clientId });
  assert.deepEqual(log.of('sent'), [{ clientId: p.clientId, message: m }]);
  assert.equal(client.cursor, 'c1');
  assert.deepEqual(client.pending, []);
  client.close();
});

test('a message frame that overtakes message_sent carries the clientId of the send it answers', async () => {
  const { client, log, ws } = await openClient();
  const p1 = client.send('same');
  const p2 = client.send('same');
  const [d1, d2] = ws().frames('send_message').map((f) => f.data);
  assert.notEqual(d1.client_id, d2.client_id);
  assert.equal(d1.conversation_id, undefined); // a user may leave it out
  const m1 = message({ from: USER, admin: false, content: 'same' });
  ws().receive({ type: 'message', data: m1 });
  assert.equal(log.of('message')[0].clientId, p1.clientId);
  ws().receive({ type: 'message_sent', data: { ...m1, client_id: d1.client_id } });
  assert.equal((await p1).id, m1.id);
  assert.equal(log.of('message').length, 1);
  const m2 = ack(ws(), d2);
  assert.equal((await p2).id, m2.id);
  assert.equal(log.of('message')[1].clientId, p2.clientId);
  client.close();
});

test('sends made before open are queued and sent in order once connected', async () => {
  const { client, ws } = await openClient({}, { open: false });
  const p1 = client.send('one');
  const p2 = client.send('two');
  assert.deepEqual(ws().sent, []);
  ws().accept();
  const frames = ws().frames('send_message').map((f) => f.data);
  assert.deepEqual(frames.map((d) => [d.content, d.client_id]), [['one', p1.clientId], ['two', p2.clientId]]);
  client.close();
});

test('a send in flight when the socket drops is sent again with the same client_id; never two messages', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  const p = client.send('important');
  const first = sentFrame(ws());
  ws().serverClose(1006);
  const late = client.send('written while away');
  clock.tick(log.of('reconnecting')[0].delay);
  await settle();
  ws().accept();
  const again = ws().frames('send_message').map((f) => f.data);
  assert.deepEqual(again.map((d) => d.client_id), [first.client_id, late.clientId]);
  // The relay stored the first attempt already: it answers with that message.
  const m = ack(ws(), again[0]);
  ws().receive({ type: 'message', data: m });
  assert.equal((await p).id, m.id);
  assert.equal(log.of('message').length, 1);
  assert.deepEqual(client.pending.map((e) => e.content), ['written while away']);
  client.close();
});

test('an error frame with a client_id rejects that send only, with code and message', async () => {
  const { client, log, ws } = await openClient();
  const p1 = client.send('a', { conversationId: CONV });
  const p2 = client.send('b', { conversationId: CONV });
  const d1 = sentFrame(ws(), 0);
  ws().receive({ type: 'error', data: { code: 'forbidden', message: 'Not authorized to send message in this conversation', client_id: d1.client_id } });
  await assert.rejects(p1, (e) => e.code === 'forbidden' && e.clientId === p1.clientId && /Not authorized/.test(e.message));
  assert.deepEqual(log.of('sendfailed').map((d) => d.clientId), [p1.clientId]);
  assert.equal(log.of('error').length, 0);
  assert.deepEqual(client.pending.map((e) => e.clientId), [p2.clientId]);
  client.close();
});

test('conflict (a client_id reused with other content) rejects', async () => {
  const { client, ws } = await openClient();
  const p = client.send('x', { clientId: '11111111-1111-4111-8111-111111111111' });
  assert.equal(sentFrame(ws()).client_id, '11111111-1111-4111-8111-111111111111');
  ws().receive({ type: 'error', data: { code: 'conflict', message: 'client_id was used for another message', client_id: p.clientId } });
  await assert.rejects(p, { code: 'conflict' });
  client.close();
});

test('rate_limited: the send waits retry_after, then goes again with the same client_id, in order', async () => {
  clock = useFakeTimers();
  const { client, ws } = await openClient();
  const p1 = client.send('1');
  const p2 = client.send('2');
  const [d1, d2] = ws().frames('send_message').map((f) => f.data);
  ws().receive({ type: 'error', data: { code: 'rate_limited', message: 'Rate limit exceeded: at most 10 messages per minute', retry_after: 6, client_id: d1.client_id } });
  ws().receive({ type: 'error', data: { code: 'rate_limited', message: 'Rate limit exceeded: at most 10 messages per minute', retry_after: 6, client_id: d2.client_id } });
  const p3 = client.send('3'); // waits behind them
  assert.equal(ws().frames('send_message').length, 2);
  clock.tick(5_999);
  assert.equal(ws().frames('send_message').length, 2);
  clock.tick(1);
  const retried = ws().frames('send_message').slice(2).map((f) => f.data.client_id);
  assert.deepEqual(retried, [p1.clientId, p2.clientId, p3.clientId]);
  ack(ws(), d1);
  assert.equal((await p1).content, '1');
  client.close();
});

test('rate_limited beyond maxRetryAfter rejects with retryAfter', async () => {
  const { client, ws } = await openClient({ maxRetryAfter: 60 });
  const p = client.send('x');
  ws().receive({ type: 'error', data: { code: 'rate_limited', message: 'Rate limit exceeded: at most 500 messages per day', retry_after: 3600, client_id: p.clientId } });
  await assert.rejects(p, (e) => e.code === 'rate_limited' && e.retryAfter === 3600);
  client.close();
});

test('unavailable: retried with backoff, then rejected after five failures', async () => {
  clock = useFakeTimers();
  const { client, ws } = await openClient();
  const p = client.send('x');
  for (let i = 0; i < 6; i++) {
    ws().receive({ type: 'error', data: { code: 'unavailable', message: 'Database unavailable', client_id: p.clientId } });
    clock.tick(60_000);
  }
  await assert.rejects(p, { code: 'unavailable' });
  assert.equal(ws().frames('send_message').length, 6);
  assert.ok(ws().frames('send_message').every((f) => f.data.client_id === p.clientId));
  client.close();
});

test('invalid content is refused locally without a frame', async () => {
  const { client, ws } = await openClient();
  await assert.rejects(client.send(''), { code: 'invalid_request' });
  await assert.rejects(client.send('x'.repeat(10_001)), { code: 'invalid_request' });
  await assert.rejects(client.send('x', { attachmentIds: Array(11).fill('a') }), { code: 'invalid_request' });
  const ok = client.send('😀'.repeat(10_000)); // 10 000 characters, 20 000 UTF-16 units
  const withFile = client.send('', { attachmentIds: ['0193c000-0000-7000-8000-000000000001'] });
  assert.deepEqual(ws().frames('send_message').map((f) => f.data.client_id), [ok.clientId, withFile.clientId]);
  assert.deepEqual(sentFrame(ws()).attachment_ids, ['0193c000-0000-7000-8000-000000000001']);
  client.close();
});

test('a send refused locally is a sendfailed event too; ids the relay could not read are refused', { timeout: 5000 }, async () => {
  const { client, log, ws } = await openClient();
  // Half of a surrogate pair (a string cut inside an emoji) is no text the relay can read.
  const refused = [client.send('x'.repeat(10_001)), client.send('x', { clientId: 'not-a-uuid' }),
    client.send('x', { conversationId: 'foo' }), client.send('x', { attachmentIds: ['bar'] }), client.send('😀'.slice(0, 1)),
    client.send('a\uDE00b')];
  assert.equal(client.send('ok 😀').clientId !== undefined, true);
  for (const p of refused) await assert.rejects(p, { code: 'invalid_request' });
  assert.deepEqual(log.of('sendfailed').map((d) => d.clientId), refused.map((p) => p.clientId));
  assert.deepEqual(ws().frames('send_message').map((f) => f.data.content), ['ok 😀']);
  client.close();
});

test('a clientId in capitals is settled by the relay\'s lower-case answer', { timeout: 5000 }, async () => {
  const { client, log, ws } = await openClient();
  const p = client.send('hi', { clientId: 'A1B2C3D4-0000-4000-8000-00000000ABCD' });
  const data = sentFrame(ws());
  assert.equal(data.client_id, 'a1b2c3d4-0000-4000-8000-00000000abcd');
  ack(ws(), data);
  await settle();
  assert.equal(client.pending.length, 0);
  await p;
  assert.equal(log.of('sent').length, 1);
  client.close();
});

test('close() rejects what is unacknowledged with code closed', async () => {
  const { client } = await openClient({}, { open: false });
  const p = client.send('x');
  client.close();
  await assert.rejects(p, { code: 'closed' });
  await assert.rejects(client.send('y'), { code: 'closed' });
});

test('frames are paced under the relay limit; too_many_frames pauses and resends unacknowledged sends', async () => {
  clock = useFakeTimers();
  const { client, ws } = await openClient({ framesPerSecond: 10, frameBurst: 5 });
  const sends = Array.from({ length: 8 }, (_, i) => client.send(`m${i}`));
  assert.equal(ws().sent.length, 5);
  clock.tick(100);
  assert.equal(ws().sent.length, 6);
  clock.tick(200);
  assert.equal(ws().sent.length, 8);
  ws().receive({ type: 'error', data: { code: 'too_many_frames', message: 'Too many frames', retry_after: 2 } });
  clock.tick(1_999);
  assert.equal(ws().sent.length, 8);
  clock.tick(1);
  clock.tick(1_000);
  const resent = ws().frames('send_message').slice(8).map((f) => f.data.client_id);
  assert.deepEqual(resent, sends.map((p) => p.clientId));
  client.close();
});

test('too_many_frames: sends waiting to go out and sends made during the pause follow the resent ones, each once', async () => {
  clock = useFakeTimers();
  const { client, ws } = await openClient({ framesPerSecond: 10, frameBurst: 3 });
  const early = Array.from({ length: 5 }, (_, i) => client.send(`m${i}`));
  assert.equal(ws().sent.length, 3); // m3 and m4 wait for the pacing budget
  ws().receive({ type: 'error', data: { code: 'too_many_frames', message: 'Too many frames', retry_after: 2 } });
  const late = client.send('during the pause');
  clock.tick(2_000);
  clock.tick(2_000);
  const after = ws().frames('send_message').slice(3).map((f) => f.data.client_id);
  assert.deepEqual(after, [...early, late].map((p) => p.clientId));
  client.close();
});

test('persist: unsent messages survive a reload and go out with their client_id', async () => {
  clock = useFakeTimers();
  const storage = memoryStorage();
  const { client, ws } = await openClient({ persist: true, storage }, { open: false });
  const p = client.send('survives');
  await settle();
  client.close();
  await assert.rejects(p, { code: 'closed' });
  assert.equal((await storage.load(USER)).length, 1);
  assert.equal((await storage.load(ADMIN)).length, 0); // another user's queue is another key

  FakeWebSocket.instances = [];
  const again = track(connect({ url: 'https://relay.example', token: token(USER), WebSocket: FakeWebSocket, window: fakeWindow(), persist: true, storage }));
  const log = record(again, ['restored', 'sent', 'message']);
  await settle();
  assert.deepEqual(log.of('restored')[0].sends.map((s) => [s.clientId, s.content]), [[p.clientId, 'survives']]);
  assert.deepEqual(again.pending.map((s) => s.clientId), [p.clientId]);
  FakeWebSocket.last.accept();
  const d = FakeWebSocket.last.frames('send_message')[0].data;
  assert.equal(d.client_id, p.clientId);
  ack(FakeWebSocket.last, d);
  assert.equal(log.of('sent')[0].clientId, p.clientId);
  assert.equal(log.of('message')[0].clientId, p.clientId);
  await settle();
  assert.equal((await storage.load(USER)).length, 0);
  again.close();
});

test('persist: a send saved by an earlier version is sent in the relay\'s spelling, or reported when it never can be', { timeout: 5000 }, async () => {
  const storage = memoryStorage();
  const base = { userKey: USER, content: 'old', attachmentIds: [], createdAt: Date.now(), firstSentAt: null };
  await storage.save({ ...base, clientId: 'A1B2C3D4-0000-4000-8000-00000000ABCD', conversationId: null });
  await storage.save({ ...base, clientId: '0193c000-0000-4000-8000-000000000002', conversationId: 'foo', createdAt: Date.now() + 1 });
  FakeWebSocket.instances = [];
  const client = track(connect({ url: 'https://relay.example', token: token(USER), WebSocket: FakeWebSocket, window: fakeWindow(), persist: true, storage }));
  const log = record(client, ['sent', 'sendfailed']);
  await settle();
  assert.deepEqual(log.of('sendfailed').map((d) => [d.clientId, d.error.code]), [['0193c000-0000-4000-8000-000000000002', 'invalid_request']]);
  FakeWebSocket.last.accept();
  const d = FakeWebSocket.last.frames('send_message')[0].data;
  assert.equal(d.client_id, 'a1b2c3d4-0000-4000-8000-00000000abcd');
  ack(FakeWebSocket.last, d);
  await settle();
  assert.equal(client.pending.length, 0);
  assert.equal((await storage.load(USER)).length, 0);
  client.close();
});

test('persist: sends restored while another attempt opened the socket leave at once', { timeout: 5000 }, async () => {
  const stored = memoryStorage();
  await stored.save({ userKey: USER, clientId: '0193c000-0000-4000-8000-000000000003', conversationId: null, content: 'from before',
    attachmentIds: [], createdAt: Date.now(), firstSentAt: null });
  let release;
  const slow = { ...stored, load: (key) => new Promise((resolve) => { release = () => resolve(stored.load(key)); }) };
  const win = fakeWindow();
  FakeWebSocket.instances = [];
  const client = track(connect({ url: 'https://relay.example', token: token(USER), WebSocket: FakeWebSocket, window: win, persist: true, storage: slow }));
  await settle();
  assert.equal(FakeWebSocket.instances.length, 0); // the first attempt waits for the stored sends
  win.setOnline(false);
  win.setOnline(true); // a second attempt, which does not wait for the same load
  await settle();
  FakeWebSocket.last.accept();
  release();
  await settle();
  assert.deepEqual(FakeWebSocket.last.frames('send_message').map((f) => f.data.content), ['from before']);
  client.close();
});

test('close: every send not yet acknowledged, restored ones too, is reported as sendfailed', { timeout: 5000 }, async () => {
  const storage = memoryStorage();
  await storage.save({ userKey: USER, clientId: '0193c000-0000-4000-8000-000000000004', conversationId: null, content: 'stored',
    attachmentIds: [], createdAt: Date.now(), firstSentAt: null });
  const { client, log } = await openClient({ persist: true, storage }, { open: false });
  const fresh = client.send('new');
  client.close();
  await assert.rejects(fresh, { code: 'closed' });
  assert.deepEqual(log.of('sendfailed').map((d) => [d.clientId, d.error.code]).sort(),
    [['0193c000-0000-4000-8000-000000000004', 'closed'], [fresh.clientId, 'closed']].sort());
});

test('persist: a send first made days ago goes out again with its client_id', async () => {
  clock = useFakeTimers();
  const storage = memoryStorage();
  const long = Date.now() - 3 * 86400_000;
  const old = '0193c000-0000-4000-8000-0000000000d0';
  await storage.save({ clientId: old, userKey: USER, conversationId: null, content: 'x', attachmentIds: [], createdAt: long, firstSentAt: long });
  const { client, ws } = await openClient({ persist: true, storage });
  assert.deepEqual(ws().frames('send_message').map((f) => f.data.client_id), [old]);
  client.close();
});

const OTHER = '0193a000-0000-7000-8000-000000000002';

/** How a send's promise settled so far: null while pending, 'sent', or the rejection's code. */
const outcome = (promise) => {
  const o = { value: null };
  promise.then(() => { o.value = 'sent'; }, (e) => { o.value = e.code; });
  return o;
};

test('persist: a send queued for one user is never sent as the next; it goes out when that user signs in again', async () => {
  clock = useFakeTimers();
  const storage = memoryStorage();
  const tokens = [token(USER), token(OTHER), token(USER)];
  let calls = 0;
  const { client, log, ws } = await openClient({ token: undefined, getToken: async () => tokens[calls++], persist: true, storage });
  ws().receive({ type: 'message', data: message({ cursor: 'a1', content: 'for alice' }) });
  assert.equal(client.unreadCount, 1);
  ws().receive({ type: 'error', data: { code: 'unauthorized', message: 'Token expired' } });
  ws().serverClose(4401, 'Token expired');
  const p = client.send('written by alice while away');
  const settled = outcome(p);
  await settle();
  assert.deepEqual((await storage.load(USER)).map((e) => e.clientId), [p.clientId]);
  // The page's backend now signs another user in.
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  assert.equal(calls, 2);
  const other = ws();
  assert.equal(other.query.get('token'), tokens[1]);
  other.accept(OTHER);
  clock.tick(1_000);
  assert.deepEqual(other.frames('send_message'), []);
  assert.equal(settled.value, 'user_changed');
  assert.deepEqual(log.of('sendfailed').map((d) => [d.clientId, d.error.code]), [[p.clientId, 'user_changed']]);
  assert.deepEqual(client.pending, []);
  // Alice's place in her stream, her unread messages and the ids she saw are not bob's.
  assert.equal(other.query.get('cursor'), null);
  assert.equal(other.query.get('last_message_id'), null);
  assert.equal(client.unreadCount, 0);
  assert.equal(log.of('unread').at(-1).count, 0);
  const seen = log.of('message').length;
  other.receive({ type: 'message', data: { ...log.of('message')[0].message, cursor: 'b1' } });
  assert.equal(log.of('message').length, seen + 1);
  // Kept under alice's key only.
  await settle();
  assert.deepEqual((await storage.load(USER)).map((e) => e.clientId), [p.clientId]);
  assert.deepEqual(await storage.load(OTHER), []);
  // Alice signs in again: her send goes out on her socket, with its client_id.
  other.serverClose(4401, 'Token expired');
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
  assert.equal(calls, 3);
  assert.deepEqual(log.of('restored').at(-1).sends.map((s) => s.clientId), [p.clientId]);
  ws().accept(USER);
  assert.deepEqual(ws().frames('send_message').map((f) => [f.data.client_id, f.data.content]), [[p.clientId, 'written by alice while away']]);
  client.close();
});

test('setToken for another user: the previous user\'s unsent messages are dropped, not sent as the new one', async () => {
  clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  ws().receive({ type: 'message', data: message({ cursor: 'a1' }) });
  ws().serverClose(4401, 'Token expired'); // a fixed token: the client stops
  assert.equal(client.state, 'offline');
  const p = client.send('from alice');
  const settled = outcome(p);
  client.setToken(token(OTHER));
  await settle();
  ws().accept(OTHER);
  assert.deepEqual(ws().frames('send_message'), []);
  assert.equal(settled.value, 'user_changed');
  assert.deepEqual(log.of('sendfailed').map((d) => d.error.code), ['user_changed']);
  assert.equal(ws().query.get('cursor'), null);
  assert.equal(client.userId, OTHER);
  // The same user's new token keeps the queue and the place.
  ws().receive({ type: 'message', data: message({ cursor: 'b1' }) });
  ws().serverClose(4401, 'Token expired');
  const q = client.send('from bob');
  client.setToken(token(OTHER, { n: 2 }));
  await settle();
  assert.equal(ws().query.get('cursor'), 'b1');
  ws().accept(OTHER);
  assert.deepEqual(ws().frames('send_message').map((f) => f.data.client_id), [q.clientId]);
  // Another user's token while open: the socket of the previous one goes at once, and nothing more is sent on it.
  const bobs = ws();
  client.setToken(token(USER));
  assert.ok(bobs.closedWith);
  const r = client.send('from alice again');
  await settle();
  assert.notEqual(ws(), bobs);
  ws().accept(USER);
  assert.deepEqual(bobs.frames('send_message').map((f) => f.data.client_id), [q.clientId]);
  assert.deepEqual(ws().frames('send_message').map((f) => f.data.client_id), [r.clientId]);
  client.close();
});
