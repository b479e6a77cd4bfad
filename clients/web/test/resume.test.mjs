// Cursor handling across reconnects, truncated replays, de-duplication by message id.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, settle, message, useFakeTimers, cleanup } from './helpers.mjs';

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
