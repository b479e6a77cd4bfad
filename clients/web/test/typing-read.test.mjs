// Typing debounce, incoming typing, mark_read batching, autoRead with page visibility, unread counts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, message, useFakeTimers, fakeWindow, cleanup, settle, USER, ADMIN, CONV } from './helpers.mjs';

afterEach(cleanup);

const typingFrames = (ws) => ws.frames('typing').map((f) => f.data.is_typing);

test('typing: true at most once every 2 s while typing, false after 3 s without input', async () => {
  const clock = useFakeTimers();
  const { client, ws } = await openClient({ conversationId: CONV });
  for (let t = 0; t < 5_000; t += 250) { // a keystroke every 250 ms for 5 s
    client.typing();
    clock.tick(250);
  }
  assert.deepEqual(typingFrames(ws()), [true, true, true]); // at 0, 2 and 4 s
  assert.deepEqual(ws().frames('typing')[0].data, { conversation_id: CONV, is_typing: true });
  clock.tick(2_999 - 250);
  assert.deepEqual(typingFrames(ws()), [true, true, true]);
  clock.tick(1);
  assert.deepEqual(typingFrames(ws()), [true, true, true, false]);
  clock.tick(10_000);
  assert.equal(ws().frames('typing').length, 4);
  client.close();
});

test('typing: sending the message ends it at once; switching conversation ends the other', async () => {
  const clock = useFakeTimers();
  const [A, B] = ['0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c'];
  const { client, ws } = await openClient();
  client.typing(A);
  client.typing(B);
  assert.deepEqual(ws().frames('typing').map((f) => [f.data.conversation_id, f.data.is_typing]),
    [[A, true], [A, false], [B, true]]);
  client.send('done', { conversationId: B });
  const types = ws().frames().map((f) => f.type + (f.type === 'typing' ? `:${f.data.is_typing}` : ''));
  assert.deepEqual(types.slice(-2), ['typing:false', 'send_message']);
  clock.tick(5_000);
  assert.equal(ws().frames('typing').length, 4);
  client.close();
});

test('typing: nothing is sent without a conversation or while not open', async () => {
  const clock = useFakeTimers();
  const { client, ws } = await openClient({}, { open: false });
  client.typing();
  client.typing(CONV);
  clock.tick(5_000);
  ws().accept();
  assert.deepEqual(ws().frames('typing'), []);
  client.close();
});

test('a user learns their conversation from messages and types there', async () => {
  const { client, ws } = await openClient();
  assert.equal(client.conversationId, null);
  ws().receive({ type: 'message', data: message({ from: ADMIN, admin: true }) });
  assert.equal(client.isAdmin, null); // an admin reading another admin's reply would see the same
  ws().receive({ type: 'message', data: message({ from: USER, admin: false }) });
  assert.equal(client.isAdmin, false);
  assert.equal(client.conversationId, CONV);
  client.typing();
  assert.deepEqual(ws().frames('typing')[0].data, { conversation_id: CONV, is_typing: true });
  client.close();
});

test('incoming typing: events, and a local end when the false never comes or the socket drops', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  ws().receive({ type: 'typing', data: { conversation_id: CONV, user_id: ADMIN, is_typing: true } });
  assert.deepEqual(log.of('typing'), [{ conversationId: CONV, userId: ADMIN, isTyping: true }]);
  clock.tick(6_000);
  ws().receive({ type: 'typing', data: { conversation_id: CONV, user_id: ADMIN, is_typing: true } }); // renewed
  clock.tick(11_999);
  assert.equal(log.of('typing').length, 2);
  clock.tick(1);
  assert.deepEqual(log.of('typing').at(-1), { conversationId: CONV, userId: ADMIN, isTyping: false });
  ws().receive({ type: 'typing', data: { conversation_id: CONV, user_id: ADMIN, is_typing: true } });
  ws().serverClose(1006);
  assert.deepEqual(log.of('typing').at(-1), { conversationId: CONV, userId: ADMIN, isTyping: false });
  clock.tick(60_000);
  assert.equal(log.of('typing').filter((d) => !d.isTyping).length, 2);
  client.close();
});

test('markRead: ids gathered into one frame, chunked by 1000, kept until open, not repeated', async () => {
  const clock = useFakeTimers();
  const { client, ws } = await openClient({}, { open: false });
  client.markRead(['a', 'b']);
  ws().accept();
  assert.deepEqual(ws().frames('mark_read').map((f) => f.data.message_ids), [['a', 'b']]);
  client.markRead('c');
  client.markRead(['c', 'd', 'a']);
  clock.tick(50);
  assert.deepEqual(ws().frames('mark_read').map((f) => f.data.message_ids), [['a', 'b'], ['c', 'd']]);
  client.markRead(Array.from({ length: 2500 }, (_, i) => `id${i}`));
  clock.tick(50);
  assert.deepEqual(ws().frames('mark_read').slice(2).map((f) => f.data.message_ids.length), [1000, 1000, 500]);
  client.close();
});

test('unread count: incoming unread messages, lowered by read receipts; read events', async () => {
  const { client, log, ws } = await openClient();
  const m1 = message({ from: ADMIN });
  const m2 = message({ from: ADMIN, conversationId: CONV });
  ws().receive({ type: 'message', data: m1 });
  ws().receive({ type: 'message', data: m2 });
  ws().receive({ type: 'message', data: message({ from: USER, admin: false }) }); // mine
  ws().receive({ type: 'message', data: message({ from: ADMIN, readAt: '2026-01-01T00:00:00Z' }) });
  assert.equal(client.unreadCount, 2);
  assert.deepEqual(log.of('unread').at(-1), { count: 2, byConversation: { [CONV]: 2 } });
  ws().receive({ type: 'message_read', data: { message_id: m1.id, read_at: '2026-01-01T00:00:01Z', read_by: USER } });
  assert.deepEqual(log.of('read')[0], { messageId: m1.id, readAt: '2026-01-01T00:00:01Z', readBy: USER, conversationId: CONV });
  assert.equal(client.unreadCount, 1);
  assert.equal(client.unreadFor(CONV), 1);
  assert.deepEqual(client.unreadIds(), [m2.id]);
  // A receipt may come twice: the second changes nothing.
  ws().receive({ type: 'message_read', data: { message_id: m1.id, read_at: '2026-01-01T00:00:01Z', read_by: null } });
  assert.equal(log.of('unread').at(-1).count, 1);
  client.close();
});

test('unread for an admin: messages from users count, other admins\' replies do not', async () => {
  const { client, ws } = await openClient({}, { userId: ADMIN });
  const other = '0193a000-0000-7000-8000-0000000000a2';
  // A user's message in the unread list at connect says nothing (roles there are today's); a live one does.
  ws().receive({ type: 'message', data: message({ from: USER, admin: false, conversationId: 'c1' }) });
  assert.equal(client.isAdmin, null);
  ws().receive({ type: 'replayed', data: { count: 1, truncated: false } });
  ws().receive({ type: 'message', data: message({ from: other, admin: true, conversationId: 'c2' }) });
  assert.equal(client.unreadCount, 2); // not known yet to be an admin
  ws().receive({ type: 'message', data: message({ from: USER, admin: false, conversationId: 'c2' }) });
  assert.equal(client.isAdmin, true);
  assert.equal(client.unreadCount, 2);
  assert.equal(client.unreadFor('c2'), 1);
  client.close();
});

test('autoRead marks incoming messages read only while the page is visible, and the waiting ones when it shows', async () => {
  const clock = useFakeTimers();
  const win = fakeWindow({ visible: true });
  const { client, ws } = await openClient({ autoRead: true, window: win });
  const m1 = message({ from: ADMIN });
  ws().receive({ type: 'message', data: m1 });
  ws().receive({ type: 'message', data: message({ from: USER, admin: false }) }); // mine: never
  clock.tick(50);
  assert.deepEqual(ws().frames('mark_read').map((f) => f.data.message_ids), [[m1.id]]);
  win.setVisible(false);
  const m2 = message({ from: ADMIN });
  const m3 = message({ from: ADMIN });
  ws().receive({ type: 'message', data: m2 });
  ws().receive({ type: 'message', data: m3 });
  clock.tick(1_000);
  assert.equal(ws().frames('mark_read').length, 1);
  win.setVisible(true);
  clock.tick(50);
  assert.deepEqual(ws().frames('mark_read').at(-1).data.message_ids, [m1.id, m2.id, m3.id].filter((id) => id !== m1.id));
  client.close();
});

test('autoRead with a rule: only the messages it accepts', async () => {
  const clock = useFakeTimers();
  const { client, ws } = await openClient({ autoRead: (m) => m.conversation_id === 'open-one' });
  const shown = message({ from: ADMIN, conversationId: 'open-one' });
  ws().receive({ type: 'message', data: message({ from: ADMIN, conversationId: 'elsewhere' }) });
  ws().receive({ type: 'message', data: shown });
  clock.tick(50);
  assert.deepEqual(ws().frames('mark_read').map((f) => f.data.message_ids), [[shown.id]]);
  client.close();
});

test('read requests without a receipt are asked again after a reconnect', async () => {
  const clock = useFakeTimers();
  const { client, log, ws } = await openClient();
  const m = message({ from: ADMIN });
  ws().receive({ type: 'message', data: m });
  client.markRead(m.id);
  clock.tick(50);
  ws().serverClose(1006);
  clock.tick(log.of('reconnecting')[0].delay);
  await settle();
  ws().accept();
  assert.deepEqual(ws().frames('mark_read').map((f) => f.data.message_ids), [[m.id]]);
  client.close();
});

test('reaction_changed frames become reaction events with the whole state', async () => {
  const { client, ws } = await openClient();
  const seen = [];
  client.addEventListener('reaction', (e) => seen.push(e.detail));
  const reactions = [{ emoji: '👍', count: 1, reacted_by_me: false }];
  ws().receive({ type: 'reaction_changed', data: { message_id: 'm1', conversation_id: CONV, emoji: '👍', count: 1, user_id: ADMIN, added: true, reactions } });
  ws().receive({ type: 'reaction_changed', data: { message_id: 'm1', conversation_id: CONV, emoji: '👍', count: 0, user_id: ADMIN, added: false, reactions: [] } });
  ws().receive({ type: 'reaction_changed', data: { message_id: 'm1' } }); // malformed: ignored
  assert.deepEqual(seen, [
    { messageId: 'm1', conversationId: CONV, emoji: '👍', userId: ADMIN, added: true, reactions },
    { messageId: 'm1', conversationId: CONV, emoji: '👍', userId: ADMIN, added: false, reactions: [] },
  ]);
  client.close();
});
