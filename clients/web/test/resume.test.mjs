// Cursor handling across reconnects, truncated replays, de-duplication by message id.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, settle, message, useFakeTimers, cleanup, token, USER, ADMIN } from './helpers.mjs';

afterEach(cleanup);

async function reconnect(clock, log, ws) {
  ws().serverClose(1006);
  clock.tick(log.of('reconnecting').at(-1).delay);
  await settle();
}

test('reconnect resumes from the cursor of the last message processed', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  // Unread messages sent on a connect without cursor carry none.
  ws().receive({ type: 'message', data: message({ content: 'unread, no cursor' }) });
  assert.equal(client.cursor, null);
  ws().receive({ type: 'message', data: message({ cursor: '100.1-2.1~a' }) });
  ws().receive({ type: 'message', data: message({ cursor: '100.1-2.2~b' }) });
  assert.equal(client.cursor, '100.1-2.2~b');
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), '100.1-2.2~b');
  ws().accept();
  assert.equal(log.of('open').at(-1).resumed, true);
  ws().receive({ type: 'message', data: message({ cursor: '101.3-3.1~c' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: false, cursor: '105.5-5.0~d' } });
  assert.equal(client.cursor, '105.5-5.0~d');
  assert.deepEqual(log.of('replayed'), [{ count: 1, truncated: false }]);
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), '105.5-5.0~d');
  client.close();
});

test('the cursor in message event data is left out; message_sent never moves the cursor', async () => {
  const { client, log, ws } = await openClient();
  ws().receive({ type: 'message', data: message({ cursor: 'k1' }) });
  assert.equal('cursor' in log.of('message')[0].message, false);
  const p = client.send('x');
  const d = ws().frames('send_message')[0].data;
  ws().receive({ type: 'message_sent', data: { ...message({ from: client.userId, admin: false }), cursor: 'sent-cursor', client_id: d.client_id } });
  await p;
  assert.equal(client.cursor, 'k1');
  client.close();
});

test('a truncated replay is resumed from its last message; live frames meanwhile do not move the cursor', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient({}, { open: true });
  ws().receive({ type: 'message', data: message({ cursor: 'start' }) });
  await reconnect(clock, log, ws);
  ws().accept();
  const replay = Array.from({ length: 3 }, (_, i) => message({ cursor: `r${i}` }));
  for (const m of replay) ws().receive({ type: 'message', data: m });
  ws().receive({ type: 'replayed', data: { count: 3, truncated: true } });
  assert.deepEqual(ws().frames('resume'), [{ type: 'resume', data: { cursor: 'r2' } }]);
  assert.equal(client.cursor, 'r2');
  // A live message arrives before the relay starts the second replay: shown, but its cursor would skip the gap.
  const live = message({ cursor: 'live1' });
  ws().receive({ type: 'message', data: live });
  assert.equal(client.cursor, 'r2');
  // The socket drops now: resume from where the gap starts.
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), 'r2');
  ws().accept();
  ws().receive({ type: 'message', data: message({ cursor: 'r3' }) });
  ws().receive({ type: 'message', data: { ...live, cursor: 'r4' } }); // replayed again: not a second event
  ws().receive({ type: 'replayed', data: { count: 2, truncated: false, cursor: 'end' } });
  assert.equal(client.cursor, 'end');
  ws().receive({ type: 'message', data: message({ cursor: 'live2' }) });
  assert.equal(client.cursor, 'live2');
  const ids = log.of('message').map((d) => d.message.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(ids.filter((id) => id === live.id).length, 1);
  client.close();
});

test('a second truncated replay asks again from its own last message', async () => {
  const { client, ws } = await openClient({ cursor: 'old' });
  assert.equal(ws().query.get('cursor'), 'old');
  ws().receive({ type: 'message', data: message({ cursor: 'a' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  ws().receive({ type: 'message', data: message({ cursor: 'b' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  ws().receive({ type: 'message', data: message({ cursor: 'c' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: false, cursor: 'done' } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data.cursor), ['a', 'b']);
  assert.equal(client.cursor, 'done');
  client.close();
});

test('dedupe: a message seen twice (replay overlap, two frames) makes one event; the memory is bounded', async () => {
  const { client, log, ws } = await openClient({ seenLimit: 3 });
  const ms = Array.from({ length: 4 }, () => message());
  for (const m of ms) ws().receive({ type: 'message', data: m });
  ws().receive({ type: 'message', data: ms[3] });
  ws().receive({ type: 'message', data: ms[1] });
  assert.equal(log.of('message').length, 4);
  ws().receive({ type: 'message', data: ms[0] }); // forgotten beyond the limit
  assert.equal(log.of('message').length, 5);
  client.close();
});

test('frames that are not JSON, or of unknown types, are ignored', async () => {
  const { client, log, ws } = await openClient();
  ws().onmessage({ data: 'not json' });
  ws().receive({ type: 'something_new', data: {} });
  ws().receive({ type: 'message', data: message() });
  assert.equal(log.of('message').length, 1);
  assert.equal(client.state, 'open');
  client.close();
});

test('error frames not tied to a send are error events; the socket stays', async () => {
  const { client, log, ws } = await openClient();
  ws().receive({ type: 'error', data: { code: 'invalid_request', message: 'data.message_ids must hold 1 to 1000 message ids' } });
  assert.equal(log.of('error')[0].error.code, 'invalid_request');
  assert.equal(log.of('error')[0].fatal, false);
  assert.equal(client.state, 'open');
  client.close();
});

test('without a cursor yet, a reconnect asks for what follows the newest message seen (by id)', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  assert.equal(ws().query.get('last_message_id'), null); // the first connect gets the unread messages
  const unread = message({ id: '0193b000-0000-7000-8000-00000000000a' });
  ws().receive({ type: 'message', data: unread }); // no cursor: unread messages at connect carry none
  const p = client.send('mine');
  const d = ws().frames('send_message')[0].data;
  ws().receive({ type: 'message_sent', data: { ...message({ id: '0193b000-0000-7000-8000-00000000000c', from: USER, admin: false, content: 'mine' }), client_id: d.client_id } });
  await p;
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), null);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-00000000000c');
  ws().accept();
  assert.equal(log.of('open').at(-1).resumed, true);
  // A replay by id carries no cursors and may be truncated: the rest is asked for by id too.
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-00000000000d' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  assert.deepEqual(ws().frames('resume'), [{ type: 'resume', data: { last_message_id: '0193b000-0000-7000-8000-00000000000d' } }]);
  ws().receive({ type: 'message', data: message({ cursor: 'live' }) }); // live, during the gap
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-00000000000e' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  assert.deepEqual(ws().frames('resume').at(-1).data, { last_message_id: '0193b000-0000-7000-8000-00000000000e' });
  assert.equal(client.cursor, null);
  ws().receive({ type: 'replayed', data: { count: 0, truncated: false } });
  ws().receive({ type: 'message', data: message({ cursor: 'next' }) });
  assert.equal(client.cursor, 'next');
  client.close();
});

test('history loaded through REST counts as seen for a resume by id', async () => {
  const clock = useFakeTimers();
  const newest = message({ id: '0193b000-0000-7000-8000-0000000000ff' });
  const fetch = async () => new Response(JSON.stringify({ messages: [message({ id: '0193b000-0000-7000-8000-000000000001' }), newest], pagination: {} }), { status: 200 });
  const { client, log, ws } = await openClient({ fetch });
  await client.listMessages('conv');
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), newest.id);
  client.close();
});

test('a truncated replay that brought no message is not asked for again: stale, and the cursor stays', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient({ cursor: 'start' });
  assert.equal(ws().query.get('cursor'), 'start');
  // The replay's byte budget went to reaction_changed frames: the same resume would get the same answer for ever.
  ws().receive({ type: 'replayed', data: { count: 0, truncated: true } });
  assert.deepEqual(ws().frames('resume'), []);
  assert.deepEqual(log.of('stale'), [{ reason: 'truncated' }]);
  assert.equal(client.cursor, 'start');
  // Caught up no longer: live messages move the cursor again (the page reloads the rest through REST).
  ws().receive({ type: 'message', data: message({ cursor: 'live1' }) });
  assert.equal(client.cursor, 'live1');
  // The same after a resume that did progress once and then stalls.
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), 'live1');
  ws().accept();
  ws().receive({ type: 'message', data: message({ cursor: 'r1' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data), [{ cursor: 'r1' }]);
  ws().receive({ type: 'replayed', data: { count: 0, truncated: true } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data), [{ cursor: 'r1' }]);
  assert.equal(log.of('stale').length, 2);
  assert.equal(client.cursor, 'r1');
  client.close();
});

test('a truncated replay by cursor whose last message has no cursor is not resumed by id: stale', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient({ cursor: 'start' });
  // Reaction changes were left out: the messages past the cursor's batch come without a cursor that would claim them.
  ws().receive({ type: 'message', data: message({ cursor: 'r0' }) });
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-0000000000b1' }) });
  ws().receive({ type: 'replayed', data: { count: 2, truncated: true } });
  assert.deepEqual(ws().frames('resume'), []);
  assert.deepEqual(log.of('stale'), [{ reason: 'truncated' }]);
  assert.equal(client.cursor, 'r0');
  client.close();
});

test('a live frame that came during a catch-up is never resumed from: the gap before it was not received', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient({ cursor: 'start' });
  ws().receive({ type: 'message', data: message({ cursor: 'r0' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data), [{ cursor: 'r0' }]);
  // Held back during the replay, sent before the relay reads the resume: its cursor is past the gap.
  ws().receive({ type: 'message', data: message({ cursor: 'live1' }) });
  assert.equal(client.cursor, 'r0');
  // The socket drops; the next one's replay brings no message: the frame of the earlier socket does not count.
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), 'r0');
  ws().accept();
  ws().receive({ type: 'replayed', data: { count: 0, truncated: true } });
  assert.deepEqual(ws().frames('resume'), []);
  assert.equal(client.cursor, 'r0');
  assert.equal(log.of('stale').length, 1);
  // Between two replays of one socket: a live frame before a second replay that brings nothing does not count either.
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), 'r0');
  ws().accept();
  ws().receive({ type: 'message', data: message({ cursor: 'r1' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  ws().receive({ type: 'message', data: message({ cursor: 'live2' }) });
  ws().receive({ type: 'replayed', data: { count: 0, truncated: true } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data), [{ cursor: 'r1' }]);
  assert.equal(client.cursor, 'r1');
  assert.equal(log.of('stale').length, 2);
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('cursor'), 'r1');
  client.close();
});

test('a cut-short list of unread messages on a fresh socket is not resumed by id: stale, the rest is for REST', async () => {
  const { client, log, ws } = await openClient();
  assert.equal(ws().query.get('last_message_id'), null);
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000101' }) });
  ws().receive({ type: 'replayed', data: { count: 1000, truncated: true } });
  // A resume by id would replay every message after the last unread one, read or not.
  assert.deepEqual(ws().frames('resume'), []);
  assert.deepEqual(log.of('stale'), [{ reason: 'truncated' }]);
  client.close();
});

test('a socket lost while catching up by id resumes from the catch-up, not from a live message seen meanwhile', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000100' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: false } });
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-000000000100');
  ws().accept();
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000101' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: true } });
  assert.deepEqual(ws().frames('resume').map((f) => f.data), [{ last_message_id: '0193b000-0000-7000-8000-000000000101' }]);
  // A live message far ahead arrives, then the socket drops before the rest came.
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000f00', cursor: 'live' }) });
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-000000000101');
  assert.equal(ws().query.get('cursor'), null);
  // Lost again before that socket's replay ended: still from the catch-up.
  ws().accept();
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-000000000101');
  // A replay that completes ends the catch-up.
  ws().accept();
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000102' }) });
  ws().receive({ type: 'replayed', data: { count: 1, truncated: false } });
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-000000000f00');
  client.close();
});

test("an admin's page of one conversation is not a position to resume from: the other conversations' unread come", async () => {
  const clock = useFakeTimers();
  const pages = { conversations: [{ id: 'x', user_id: USER, archived: false }], pagination: {} };
  const newestOfX = message({ id: '0193b000-0000-7000-8000-0000000000ff', conversationId: 'x', from: USER, admin: false });
  const fetch = async (url) => new Response(
    JSON.stringify(String(url).includes('/messages') ? { messages: [newestOfX], pagination: {} } : pages), { status: 200 });
  const { client, log, ws } = await openClient({ fetch, token: token(ADMIN) }, { userId: ADMIN });
  await client.listConversations();
  assert.equal(client.isAdmin, true);
  // The fresh socket's unread list (no cursors) is under way: one from conversation y so far.
  ws().receive({ type: 'message', data: message({ id: '0193b000-0000-7000-8000-000000000010', conversationId: 'y', from: USER, admin: false }) });
  await client.listMessages('x');
  await reconnect(clock, log, ws);
  assert.equal(ws().query.get('last_message_id'), '0193b000-0000-7000-8000-000000000010');
  client.close();
});
