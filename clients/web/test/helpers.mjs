// Test doubles for the client: a scriptable WebSocket, tokens, message objects, a page-like environment.
import { mock } from 'node:test';
import { connect } from '../msgrelay.js';

export class FakeWebSocket {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    this.closedWith = null;
    FakeWebSocket.instances.push(this);
  }

  static get last() { return FakeWebSocket.instances.at(-1); }

  send(text) {
    if (this.readyState !== 1) throw new Error('InvalidStateError');
    this.sent.push(text);
  }

  close(code, reason) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  // The relay's side.
  accept(userId = USER) {
    this.readyState = 1;
    this.onopen?.({});
    this.receive({ type: 'connected', data: { user_id: userId, connection_id: `conn-${FakeWebSocket.instances.length}`, timestamp: '2026-01-01T00:00:00.000000Z' } });
  }

  receive(frame) { this.onmessage?.({ data: JSON.stringify(frame) }); }

  serverClose(code, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  frames(type) { return this.sent.map((t) => JSON.parse(t)).filter((f) => !type || f.type === type); }

  get query() { return new URL(this.url).searchParams; }
}

export const USER = '0193a000-0000-7000-8000-000000000001';
export const ADMIN = '0193a000-0000-7000-8000-0000000000ad';
export const CONV = '0193a000-0000-7000-8000-00000000c001';

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const token = (sub = USER, extra = {}) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: 2e9, ...extra })}.sig`;

let seq = 0;
export function message({ id, conversationId = CONV, from = ADMIN, admin = from !== USER, content = 'hi', cursor, readAt = null } = {}) {
  seq++;
  const data = {
    id: id ?? `0193b000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    conversation_id: conversationId,
    sender_id: from,
    sender: { id: from, username: admin ? 'admin' : 'alice', display_name: admin ? 'Site Admin' : 'Alice', is_admin: admin },
    content,
    created_at: new Date(Date.now()).toISOString(),
    read_at: readAt,
    edited_at: null,
    attachments: [],
  };
  if (cursor) data.cursor = cursor;
  return data;
}

/** A window-like EventTarget with navigator.onLine and document.visibilityState. */
export function fakeWindow({ online = true, visible = true } = {}) {
  const win = new EventTarget();
  win.navigator = { onLine: online };
  win.document = new EventTarget();
  win.document.visibilityState = visible ? 'visible' : 'hidden';
  win.setOnline = (v) => { win.navigator.onLine = v; win.dispatchEvent(new Event(v ? 'online' : 'offline')); };
  win.setVisible = (v) => { win.document.visibilityState = v ? 'visible' : 'hidden'; win.document.dispatchEvent(new Event('visibilitychange')); };
  return win;
}

/** Lets promise chains (token, storage) run. */
export async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export function useFakeTimers(now = 1_700_000_000_000) {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now });
  return clock = { tick: (ms) => mock.timers.tick(ms), setTime: (ms) => mock.timers.setTime(ms), reset: () => mock.timers.reset() };
}

/** Records every event a client dispatches, in order. */
export function record(client, types) {
  const log = [];
  for (const type of types) client.addEventListener(type, (e) => log.push({ type, detail: e.detail }));
  log.of = (type) => log.filter((e) => e.type === type).map((e) => e.detail);
  return log;
}

const EVENTS = ['connecting', 'open', 'reconnecting', 'offline', 'message', 'sent', 'sendfailed', 'restored', 'read',
  'typing', 'unread', 'replayed', 'stale', 'error'];

const live = [];
let clock = null;

/** Closes every client made here and puts the real timers back (after each test, so a failure cannot hang). */
export function cleanup() {
  while (live.length) live.pop().close();
  clock?.reset();
  clock = null;
}

/** A client on the fake socket, tracked for cleanup(). */
export function track(client) {
  live.push(client);
  return client;
}

/** A client on a fake socket and a fake window, connected (relay accepted) unless `open: false`. */
export async function openClient(options = {}, { open = true, userId = USER } = {}) {
  FakeWebSocket.instances = [];
  const win = options.window ?? fakeWindow();
  const client = track(connect({ url: 'https://relay.example', token: token(userId), WebSocket: FakeWebSocket, window: win, random: () => 0.5, ...options }));
  const log = record(client, EVENTS);
  await settle();
  if (open) FakeWebSocket.last.accept(userId);
  return { client, log, win, ws: () => FakeWebSocket.last };
}
