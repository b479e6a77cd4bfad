// Browser client of the msgrelay relay: one WebSocket with resume, heartbeat and reconnect, an idempotent send
// queue, typing, read receipts, unread counts, Web Push subscription and a few REST helpers.
// Plain ES module, no dependencies. Protocol: docs/protocol.md; usage: docs/browser.md.

const DEFAULTS = {
  pingInterval: 30_000, // the protocol's heartbeat
  pongTimeout: 10_000, // no frame this long after a ping: the connection is dead
  connectTimeout: 15_000, // no `connected` frame this long after starting: try again
  backoffBase: 1_000,
  backoffCap: 30_000,
  stableAfter: 10_000, // an open this long resets the backoff
  seenLimit: 5_000, // message ids remembered for de-duplication
  typingInterval: 2_000, // at most one is_typing:true per conversation this often
  typingIdle: 3_000, // is_typing:false after this long without input
  typingTimeout: 12_000, // an incoming "typing" without its "false" ends after this long
  maxRetryAfter: 60, // seconds: a rate-limited send waits at most this long before it is retried, else rejected
  framesPerSecond: 15, // pacing below the relay's 20 frames a second, burst 40
  frameBurst: 30,
  readBatchDelay: 50, // mark_read ids gathered this long go in one frame
};

const MAX_CONTENT = 10_000; // characters (code points), as the relay counts them
const MAX_ATTACHMENTS = 10;
const MARK_READ_LIMIT = 1_000; // ids per mark_read frame
const UNAVAILABLE_RETRIES = 5;

/** An error of the relay (error frame, HTTP error, close code) or of the client. */
export class MsgRelayError extends Error {
  constructor(code, message, { retryAfter = null, status = null, clientId = null, closeCode = null, cause } = {}) {
    super(message || code, cause === undefined ? undefined : { cause });
    this.name = 'MsgRelayError';
    this.code = code;
    this.retryAfter = retryAfter;
    this.status = status;
    this.clientId = clientId;
    this.closeCode = closeCode;
  }
}

/** Full-jitter exponential backoff: a delay in [0, min(cap, base * 2^attempt)) milliseconds. */
export function backoffDelay(attempt, { base = DEFAULTS.backoffBase, cap = DEFAULTS.backoffCap, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(random() * ceiling);
}

/** The WebSocket URL for a relay base (http(s)://host[:port][/prefix]). */
export function socketUrl(base, { token, cursor, lastMessageId } = {}) {
  const url = new URL(String(base).replace(/\/+$/, '') + '/ws/messages');
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.search = '';
  url.hash = '';
  if (token) url.searchParams.set('token', token);
  if (cursor) url.searchParams.set('cursor', cursor);
  else if (lastMessageId) url.searchParams.set('last_message_id', lastMessageId);
  return url.href;
}

/** Decodes base64url (the VAPID key's encoding) to bytes. */
export function base64UrlToBytes(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * The `sub` claim of a JWT, unverified (to tell users apart before the relay says who we are), or null. A UUID comes
 * back in lower case, as the relay writes ids (it takes one in capitals as the same user).
 */
export function tokenSubject(token) {
  try {
    const part = String(token).split('.')[1];
    return idText(JSON.parse(new TextDecoder().decode(base64UrlToBytes(part))).sub ?? null);
  } catch {
    return null;
  }
}

/** A store for the send queue kept in memory (for tests, or to share one queue between clients). */
export function memoryStorage() {
  const entries = new Map();
  return {
    async load(userKey) { return [...entries.values()].filter((e) => e.userKey === userKey).map((e) => ({ ...e })); },
    async save(entry) { entries.set(entry.clientId, { ...entry }); },
    async remove(clientId) { entries.delete(clientId); },
  };
}

/** The send queue in IndexedDB, so that a reload keeps unsent messages. */
export function indexedDBStorage(name = 'msgrelay') {
  let db = null;
  const open = () => (db ??= new Promise((resolve, reject) => {
    const req = globalThis.indexedDB.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('outbox', { keyPath: 'clientId' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }));
  const run = async (mode, work) => {
    const tx = (await open()).transaction('outbox', mode);
    const req = work(tx.objectStore('outbox'));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  };
  return {
    async load(userKey) { return (await run('readonly', (s) => s.getAll())).filter((e) => e.userKey === userKey); },
    async save(entry) { await run('readwrite', (s) => s.put(entry)); },
    async remove(clientId) { await run('readwrite', (s) => s.delete(clientId)); },
  };
}

/** Insertion-ordered set that forgets its oldest members beyond a limit. */
class BoundedSet {
  constructor(limit) { this.limit = limit; this.set = new Set(); }
  has(v) { return this.set.has(v); }
  delete(v) { return this.set.delete(v); }
  add(v) {
    this.set.delete(v);
    this.set.add(v);
    while (this.set.size > this.limit) this.set.delete(this.set.values().next().value);
  }
  get size() { return this.set.size; }
}

const codeForStatus = (s) => ({ 400: 'invalid_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'too_large', 415: 'invalid_request', 429: 'rate_limited', 503: 'unavailable' })[s] ?? (s >= 500 ? 'internal' : 'http_error');

const newClientId = () => globalThis.crypto?.randomUUID?.() ??
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (c ^ (Math.random() * 16) >> (c / 4)).toString(16));

const sameBytes = (a, b) => {
  if (!a || !b) return false;
  const x = new Uint8Array(a), y = new Uint8Array(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

const withoutCursor = (data) => {
  const { cursor, client_id, ...message } = data;
  return message;
};

const noop = () => {};
/** Half of a surrogate pair: a high one not followed by a low one, or a low one not after a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** How a `send_message` frame waiting in the pacing queue begins (JSON.stringify writes `type` first). */
const SEND_FRAME_PREFIX = '{"type":"send_message"';
/** Ids as the relay writes them (lower case); anything else as it is, for `_validate` to refuse. */
const idText = (id) => (typeof id === 'string' && UUID_TEXT.test(id) ? id.toLowerCase() : id);

/**
 * A connection to the relay. Events (CustomEvent, data in `detail`): connecting, open, reconnecting, offline,
 * statechange, message, sent, sendfailed, restored, read, typing, reaction, unread, replayed, stale, error. See
 * docs/browser.md.
 */
export class MsgRelayClient extends EventTarget {
  constructor(options = {}) {
    super();
    const env = options.window ?? globalThis;
    const base = options.url ?? env.location?.origin;
    if (!base) throw new TypeError('msgrelay: connect() needs `url` outside a page');
    if (!options.token && !options.getToken) throw new TypeError('msgrelay: connect() needs `token` or `getToken`');
    this.options = { ...DEFAULTS };
    for (const [key, value] of Object.entries(options)) if (value !== undefined) this.options[key] = value;
    this.url = String(base).replace(/\/+$/, '');
    this.state = 'connecting';
    this.userId = options.token ? tokenSubject(options.token) : null;
    this.connectionId = null;
    this.isAdmin = typeof options.isAdmin === 'boolean' ? options.isAdmin : null;
    this._conversationId = options.conversationId ?? null;
    this._lastConversationId = null;
    // Each conversation's user, as conversation lists tell it: who a message there is for.
    this._owners = new Map();

    this._env = env;
    this._WebSocket = options.WebSocket ?? env.WebSocket ?? globalThis.WebSocket;
    this._fetch = options.fetch ?? ((...a) => globalThis.fetch(...a));
    this._random = options.random ?? Math.random;
    this._token = options.token ?? null;
    this._tokenPromise = null;

    this._ws = null;
    this._open = false; // `connected` received on this._ws
    this._gen = 0;
    this._attempt = 0;
    this._closed = false;
    this._stopped = false; // refused for good (4403, a static token refused)
    this._timers = {};
    this._pingTimer = null;
    this._refusal = null;
    this._resumed = false;
    this._lastFrameAt = 0;

    this._cursor = options.cursor ?? null;
    this._lastFrameCursor = null;
    this._lastFrameId = null;
    this._newestId = null; // the greatest message id seen (UUIDv7: the newest)
    this._hadSession = false; // a `connected` came once: the unread messages were delivered
    this._catchingUp = false;
    this._catchUpId = null; // catching up by id: the last replayed message's id, where a reconnect resumes from
    this._replayingUnread = false; // this socket's replay is its unread messages (no cursor, no id)
    this._replaying = false; // from `connected` to `replayed` (or a catch-up's): message frames are replayed history
    this._socketToken = null; // the token the current socket was opened with
    this._seen = new BoundedSet(this.options.seenLimit);

    this._queue = []; // sends not yet acknowledged, in order
    this._sendHoldUntil = 0;
    this._frameHoldUntil = 0;
    this._out = []; // frames waiting for the pacing budget
    this._tokens = this.options.frameBurst;
    this._tokensAt = Date.now();

    this._storage = options.persist ? (options.storage ?? (globalThis.indexedDB ? indexedDBStorage() : null)) : null;
    this._userKey = options.token ? (tokenSubject(options.token) ?? 'default') : null;
    this._restoredKey = null;

    this._unread = new Map(); // id -> message, incoming and not read
    this._readQueue = new Set();
    this._readRequested = new BoundedSet(10_000);
    // Ids a receipt said are read: a page or frame that left before the receipt does not count them unread again.
    this._readKnown = new BoundedSet(10_000);
    this._typingOut = new Map();
    this._typingIn = new Map();

    this._listeners = [];
    const listen = (target, type, fn) => {
      if (!target?.addEventListener) return;
      target.addEventListener(type, fn);
      this._listeners.push(() => target.removeEventListener(type, fn));
    };
    listen(env, 'online', () => this._onOnline());
    listen(env, 'offline', () => this._onOffline());
    listen(env.document, 'visibilitychange', () => this._onVisibility());
  }

  // ---- public API ----

  /** Starts connecting (connect() calls this). */
  start() {
    queueMicrotask(() => this._connect(true));
    return this;
  }

  /** The conversation used when none is given: the option, or a user's own once a message shows it. */
  get conversationId() {
    return this._conversationId ?? (this.isAdmin === false ? this._lastConversationId : null);
  }
  set conversationId(id) { this._conversationId = id ?? null; }

  /** Where a reconnect resumes (the cursor of the last message or replayed frame processed). */
  get cursor() { return this._cursor; }

  /** Sends not yet acknowledged by the relay. */
  get pending() {
    return this._queue.map((e) => ({ clientId: e.clientId, conversationId: e.conversationId, content: e.content,
      attachmentIds: e.attachmentIds, createdAt: e.createdAt }));
  }

  /** Messages from the other side not yet read, as far as this client has seen them. */
  get unreadCount() { return this._unread.size; }

  unreadFor(conversationId) {
    let n = 0;
    for (const m of this._unread.values()) if (m.conversation_id === conversationId) n++;
    return n;
  }

  unreadIds(conversationId) {
    return [...this._unread.values()].filter((m) => conversationId == null || m.conversation_id === conversationId).map((m) => m.id);
  }

  /** addEventListener for one event type, calling `fn(detail)`; returns a function that removes it. */
  on(type, fn) {
    const h = (e) => fn(e.detail, e);
    this.addEventListener(type, h);
    return () => this.removeEventListener(type, h);
  }

  /**
   * Sends a message. Resolves with the stored message (the relay's `message_sent`), rejects with a MsgRelayError
   * carrying the relay's code. Queued while not open; retried with the same client_id after a reconnect, so a
   * message is never stored twice. The promise has a `clientId` property.
   */
  send(text, { conversationId, attachmentIds = [], clientId } = {}) {
    const entry = {
      // In the relay's spelling: its answers name the send by the client_id it stored.
      clientId: idText(clientId ?? newClientId()),
      userKey: this._userKey, // the user it is sent as (null until the first token is known)
      conversationId: idText(conversationId ?? this.conversationId ?? null),
      content: String(text ?? ''),
      attachmentIds: [...attachmentIds].map(idText),
      createdAt: Date.now(),
      firstSentAt: null,
      state: 'queued',
      failures: 0,
      claimedId: null,
    };
    const promise = new Promise((resolve, reject) => { entry.resolve = resolve; entry.reject = reject; });
    promise.catch(noop); // the sendfailed event reports it too
    promise.clientId = entry.clientId;
    // Refused here, reported as the relay's refusals are: the promise and a `sendfailed` event.
    const refuse = (error) => {
      entry.reject(error);
      this._emit('sendfailed', { clientId: entry.clientId, error });
      return promise;
    };
    const invalid = this._validate(entry);
    if (invalid) return refuse(new MsgRelayError('invalid_request', invalid, { clientId: entry.clientId }));
    if (this._closed) return refuse(new MsgRelayError('closed', 'The client is closed', { clientId: entry.clientId }));
    this.stopTyping(entry.conversationId ?? undefined);
    this._queue.push(entry);
    this._save(entry);
    if (this._canSend()) this._transmit(entry);
    return promise;
  }

  /** Call on each input event of the composer: announces typing (at most every 2 s) and its end (3 s idle). */
  typing(conversationId) {
    const conv = conversationId ?? this.conversationId;
    if (!conv) return;
    for (const other of [...this._typingOut.keys()]) if (other !== conv) this.stopTyping(other);
    const now = Date.now();
    const t = this._typingOut.get(conv) ?? { lastTrue: -Infinity, on: false, timer: null };
    if (now - t.lastTrue >= this.options.typingInterval && this._open) {
      this._sendFrame({ type: 'typing', data: { conversation_id: conv, is_typing: true } });
      t.lastTrue = now;
      t.on = true;
    }
    clearTimeout(t.timer);
    t.timer = setTimeout(() => this.stopTyping(conv), this.options.typingIdle);
    this._typingOut.set(conv, t);
  }

  /** Ends the typing announcement (of one conversation, or all). */
  stopTyping(conversationId) {
    const convs = conversationId == null ? [...this._typingOut.keys()] : [conversationId];
    for (const conv of convs) {
      const t = this._typingOut.get(conv);
      if (!t) continue;
      clearTimeout(t.timer);
      this._typingOut.delete(conv);
      if (t.on && this._open) this._sendFrame({ type: 'typing', data: { conversation_id: conv, is_typing: false } });
    }
  }

  /** Marks messages read (mark_read frames, batched; kept until open). `read` events follow. */
  markRead(ids) {
    for (const id of [].concat(ids ?? [])) {
      if (!id || this._readRequested.has(id)) continue;
      this._readRequested.add(id);
      this._readQueue.add(id);
    }
    if (this._readQueue.size && this._open) this._timer('read', () => this._flushReads(), this.options.readBatchDelay);
  }

  /**
   * Replaces the token (e.g. after a sign-in); a client stopped by a refused token connects again. A token of another
   * user reconnects at once, as that user.
   */
  setToken(token) {
    this._token = token || null;
    if (token && this._userKey !== null && (tokenSubject(token) ?? 'default') !== this._userKey) {
      this._followUser(token);
      return this.reconnect();
    }
    if (token) this.userId ??= tokenSubject(token);
    if (this._stopped && this.state === 'offline') this.reconnect();
    return undefined;
  }

  /** Reconnects now (backoff reset). */
  reconnect() {
    if (this._closed) return;
    this._stopped = false;
    this._attempt = 0;
    this._dropSocket('reconnect');
    this._connect();
  }

  /** Closes the connection for good. Unacknowledged sends are rejected (code `closed`); persisted ones stay stored. */
  close() {
    if (this._closed) return;
    this._closed = true;
    this._gen++;
    this.stopTyping();
    this._dropSocket('closed', 1000);
    for (const k of Object.keys(this._timers)) this._clearTimer(k);
    for (const off of this._listeners) off();
    this._listeners = [];
    const queue = this._queue;
    this._queue = [];
    for (const e of queue) {
      // Restored sends have no promise of the page's: the event is how it hears of them.
      const error = new MsgRelayError('closed', 'The client was closed', { clientId: e.clientId });
      e.reject(error);
      this._emit('sendfailed', { clientId: e.clientId, error });
    }
    this._setState('offline', { reason: 'closed' });
  }

  // ---- REST ----

  /** A REST call with the bearer token (refreshed once through getToken on 401). Returns the JSON body or null. */
  async api(path, { method = 'GET', query, body, headers = {} } = {}) {
    for (let attempt = 0; ; attempt++) {
      const token = await this._getToken();
      const url = new URL(this.url + path);
      for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
      const res = await this._fetch(url.href, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status === 401 && attempt === 0 && this.options.getToken) {
        if (this._token === token) this._token = null;
        continue;
      }
      if (!res.ok) {
        let message = null;
        try { message = (await res.json()).error; } catch { /* not JSON */ }
        const retry = Number(res.headers?.get?.('Retry-After'));
        throw new MsgRelayError(codeForStatus(res.status), message || `HTTP ${res.status}`,
          { status: res.status, retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null });
      }
      if (res.status === 204) return null;
      const text = await res.text();
      return text ? JSON.parse(text) : null;
    }
  }

  /** GET /api/conversations (all for an admin, the own one for a user). */
  async listConversations({ page, limit, archived } = {}) {
    const result = await this.api('/api/conversations', { query: { page, limit, archived } });
    const list = result?.conversations ?? [];
    for (const c of list) if (typeof c.id === 'string' && typeof c.user_id === 'string') this._owners.set(c.id, c.user_id);
    if (list.length) {
      // Only admins get `archived`; a user's list holds their own conversation.
      const admin = list.some((c) => 'archived' in c) || (this.userId != null && list.some((c) => c.user_id !== this.userId));
      // The conversations' users are known now: the unread set is checked again either way.
      this.isAdmin = admin;
      this._recheckUnread();
      if (!admin && !this._conversationId) this._lastConversationId = list[0].id;
    }
    return result;
  }

  /** GET /api/conversations/:id/messages (oldest first in a page). Unread ones join the unread count. */
  async listMessages(conversationId, { page, limit, before, after } = {}) {
    const result = await this.api(`/api/conversations/${encodeURIComponent(conversationId)}/messages`,
      { query: { page, limit, before, after } });
    let changed = false;
    for (const m of result?.messages ?? []) {
      // A page of one conversation is a position in a user's stream (they have one), not in an admin's: resuming an
      // admin's socket from it would skip the other conversations' messages below it.
      if (this.isAdmin !== true) this._noteId(m.id);
      this._learn(m);
      changed = this._track(m) || changed;
    }
    if (changed) { this._emitUnread(); this._autoRead(); }
    return result;
  }

  // ---- Web Push ----

  /**
   * Subscribes this browser to Web Push and registers the subscription with the relay. `registration` (a
   * ServiceWorkerRegistration) or `serviceWorker` (a script URL to register, with `scope`); else the page's
   * ready registration. Call it from a click: it asks for notification permission.
   */
  async subscribePush({ registration, serviceWorker, scope, vapidPublicKey } = {}) {
    const N = this._env.Notification;
    const permission = N?.permission === 'default' && N.requestPermission ? N.requestPermission() : N?.permission;
    const container = this._env.navigator?.serviceWorker;
    let reg = registration;
    if (!reg) {
      if (!container) throw new MsgRelayError('unsupported', 'Service workers are not available (a secure context is needed)');
      reg = serviceWorker ? await container.register(serviceWorker, scope ? { scope } : undefined) : await container.ready;
    }
    if (!reg?.pushManager) throw new MsgRelayError('unsupported', 'Push is not available in this browser');
    if (N && (await permission) !== 'granted') throw new MsgRelayError('permission_denied', 'Notifications are not allowed for this site');
    await activeWorker(reg);
    const key = base64UrlToBytes(vapidPublicKey ?? (await this.api('/api/push/vapid-public-key')).public_key);
    let sub = await reg.pushManager.getSubscription();
    if (sub && sub.options?.applicationServerKey && !sameBytes(sub.options.applicationServerKey, key)) {
      await sub.unsubscribe();
      sub = null;
    }
    for (let attempt = 0; ; attempt++) {
      sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      const { endpoint, keys } = sub.toJSON();
      try {
        await this.api('/api/push/subscribe', { method: 'POST', body: { subscription: { endpoint, keys } } });
        return sub;
      } catch (error) {
        // 409: the endpoint is registered to another user of this browser; a new subscription gets a new one.
        if (error.code !== 'conflict' || attempt > 0) throw error;
        await sub.unsubscribe();
        sub = null;
      }
    }
  }

  /** Removes this browser's push subscription from the relay and the browser. Resolves true when there was one. */
  async unsubscribePush({ registration, scope } = {}) {
    const reg = registration ?? (await this._env.navigator?.serviceWorker?.getRegistration(scope));
    const sub = await reg?.pushManager?.getSubscription();
    if (!sub) return false;
    await this.api('/api/push/subscribe', { method: 'DELETE', body: { endpoint: sub.endpoint } });
    await sub.unsubscribe();
    return true;
  }

  // ---- connection ----

  async _connect(first = false) {
    const gen = ++this._gen;
    this._clearTimer('reconnect');
    if (this._closed || this._stopped) return;
    if (this._env.navigator?.onLine === false) {
      this._setState('offline', { reason: 'network' }, first);
      return;
    }
    this._setState('connecting', { attempt: this._attempt }, first);
    // The attempt's deadline runs from here: a getToken or a storage that never answers fails the attempt too.
    this._timer('connect', () => this._attemptTimedOut(gen), this.options.connectTimeout);
    let token;
    try {
      token = await this._getToken();
    } catch (error) {
      if (gen !== this._gen) return;
      const err = error instanceof MsgRelayError ? error : new MsgRelayError('token_failed', 'getToken failed', { cause: error });
      if (!this.options.getToken) return this._stop(err, 'unauthorized');
      this._emit('error', { error: err, fatal: false });
      return this._scheduleReconnect({ reason: 'token' });
    }
    if (gen !== this._gen || this._closed) return;
    this._followUser(token);
    await this._restore(this._userKey);
    if (gen !== this._gen || this._closed) return;
    let ws;
    try {
      // Without a cursor (no live message came yet) a reconnect asks for what follows the newest message seen: the
      // protocol's older resume by id, which a message committed out of id order can escape (see docs/protocol.md).
      // While catching up by id, from the last position the catch-up reached: live messages seen meanwhile are past a gap.
      // (Until a replay completes: a socket lost again before its replay ended has not caught up either.)
      const lastMessageId = this._hadSession ? this._catchUpId || this._newestId : null;
      ws = new this._WebSocket(socketUrl(this.url, { token, cursor: this._cursor, lastMessageId }));
      this._resumed = Boolean(this._cursor || lastMessageId);
      this._socketToken = token;
    } catch (error) {
      this._emit('error', { error: new MsgRelayError('socket_failed', String(error?.message ?? error), { cause: error }), fatal: false });
      return this._scheduleReconnect({ reason: 'socket' });
    }
    this._ws = ws;
    this._open = false;
    this._refusal = null;
    ws.onmessage = (ev) => this._onFrame(ws, ev.data);
    ws.onclose = (ev) => this._onClose(ws, ev.code, ev.reason);
    ws.onerror = noop; // a close event follows
    this._timer('connect', () => this._lost(ws, 'connect timeout'), this.options.connectTimeout);
  }

  async _getToken() {
    if (this._token) return this._token;
    const { getToken } = this.options;
    if (!getToken) throw new MsgRelayError('unauthorized', 'The token was refused and there is no getToken to renew it');
    this._tokenPromise ??= (async () => {
      try {
        const token = await getToken();
        if (typeof token !== 'string' || !token) throw new MsgRelayError('token_failed', 'getToken returned no token');
        this._token = token;
        this.userId ??= tokenSubject(token);
        return token;
      } finally {
        this._tokenPromise = null;
      }
    })();
    return this._tokenPromise;
  }

  _onFrame(ws, raw) {
    if (ws !== this._ws) return;
    let frame;
    try { frame = JSON.parse(raw); } catch { return; }
    this._lastFrameAt = Date.now();
    this._clearTimer('pong');
    const data = frame?.data ?? {};
    switch (frame?.type) {
      case 'connected': return this._onConnected(data);
      case 'message': return this._onMessage(data);
      case 'message_sent': return this._onSent(data);
      case 'message_read': return this._onRead(data);
      case 'typing': return this._onTyping(data);
      case 'replayed': return this._onReplayed(data);
      case 'error': return this._onError(data);
      case 'reaction_changed': return this._onReaction(data);
      default: return undefined; // pong and future frames
    }
  }

  _onConnected(data) {
    this._clearTimer('connect');
    this._open = true;
    this._hadSession = true;
    this._catchingUp = false; // this socket's replay starts again from the stored position
    this._lastFrameCursor = this._lastFrameId = null; // frames of an earlier socket say nothing of this one's replay
    // Without a cursor or an id the socket replays the unread messages: a list, not a range to resume through.
    this._replayingUnread = !this._resumed;
    this._replaying = true; // until `replayed`: the relay holds live frames back until then
    this.userId = data.user_id ?? this.userId;
    this.connectionId = data.connection_id ?? null;
    this._tokens = this.options.frameBurst;
    this._tokensAt = Date.now();
    this._timer('stable', () => { this._attempt = 0; }, this.options.stableAfter);
    clearInterval(this._pingTimer);
    this._pingTimer = setInterval(() => this._ping(), this.options.pingInterval);
    this._setState('open', { userId: this.userId, connectionId: this.connectionId, timestamp: data.timestamp, resumed: this._resumed });
    if (this._ws === null) return; // a listener closed it
    this._flushSends();
    this._resendReads();
  }

  _onMessage(data) {
    // Where the last message frame leaves the client: what a truncated replay resumes from.
    this._lastFrameId = data.id ?? null;
    this._lastFrameCursor = data.cursor ?? null;
    if (data.cursor && !this._catchingUp) this._cursor = data.cursor;
    this._deliver(withoutCursor(data), null);
  }

  _onSent(data) {
    const clientId = data.client_id;
    const message = withoutCursor(data);
    this._deliver(message, clientId);
    const i = this._queue.findIndex((e) => e.clientId === clientId);
    if (i < 0) return;
    const [entry] = this._queue.splice(i, 1);
    this._unsave(entry);
    entry.resolve(message);
    this._emit('sent', { clientId, message });
  }

  /** One `message` event per message id, whichever frame brings it first. */
  _deliver(message, clientId) {
    if (!message.id) return;
    this._noteId(message.id);
    this._learn(message, !this._replaying);
    const tracked = this._track(message);
    if (this._seen.has(message.id)) {
      if (tracked) this._emitUnread();
      return;
    }
    this._seen.add(message.id);
    const mine = message.sender_id === this.userId;
    if (mine && !clientId) clientId = this._claim(message);
    this._emit('message', { message, mine, clientId: clientId ?? null });
    if (tracked) { this._emitUnread(); this._autoRead(); }
  }

  /** Ties a `message` frame that overtook its `message_sent` to the send it most likely answers. */
  _claim(message) {
    const ids = (message.attachments ?? []).map((a) => a.id).join();
    const entry = this._queue.find((e) => e.firstSentAt !== null && !e.claimedId && e.content === message.content &&
      (e.conversationId == null || e.conversationId === message.conversation_id) && e.attachmentIds.join() === ids);
    if (!entry) return null;
    entry.claimedId = message.id;
    return entry.clientId;
  }

  _onRead(data) {
    const message = this._unread.get(data.message_id);
    this._readRequested.delete(data.message_id);
    this._readQueue.delete(data.message_id);
    if (typeof data.message_id === 'string') this._readKnown.add(data.message_id);
    const removed = this._unread.delete(data.message_id);
    this._emit('read', { messageId: data.message_id, readAt: data.read_at ?? null, readBy: data.read_by ?? null,
      conversationId: message?.conversation_id ?? null });
    if (removed) this._emitUnread();
  }

  _onReaction(data) {
    if (typeof data.message_id !== 'string' || !Array.isArray(data.reactions)) return;
    // The whole state of the message's reactions: shown as it is, whether or not the frame came before.
    this._emit('reaction', { messageId: data.message_id, conversationId: data.conversation_id ?? null, emoji: data.emoji ?? null,
      userId: data.user_id ?? null, added: data.added !== false, reactions: data.reactions });
  }

  _onTyping(data) {
    const key = `${data.conversation_id} ${data.user_id}`;
    clearTimeout(this._typingIn.get(key));
    this._typingIn.delete(key);
    const detail = { conversationId: data.conversation_id, userId: data.user_id, isTyping: Boolean(data.is_typing) };
    if (detail.isTyping) {
      this._typingIn.set(key, setTimeout(() => {
        this._typingIn.delete(key);
        this._emit('typing', { ...detail, isTyping: false });
      }, this.options.typingTimeout));
    }
    this._emit('typing', detail);
  }

  _onReplayed(data) {
    // The relay holds live frames back until `replayed`: with a count, the last message frame since the last
    // connect or resume is a replayed one; with none, any such frame was live, past the gap.
    // Resuming by cursor, a last message without one (the relay withholds it when it left reaction changes out that
    // the cursor would claim) cannot be resumed from: no progress either.
    // A cut-short list of unread messages is not resumed by id (that would replay everything after its last one,
    // read or not, in every conversation an admin sees): the rest is for REST, as the protocol says.
    const unreadList = this._replayingUnread;
    this._replayingUnread = false;
    const progressed = !unreadList && data.count > 0 && Boolean(this._lastFrameCursor || (this._lastFrameId && !this._cursor));
    if (data.truncated && progressed) {
      // More than the relay replays at once: ask for the rest from the last replayed message. Live frames that
      // come meanwhile are delivered but do not move the cursor, which must not pass the gap.
      this._catchingUp = true;
      if (this._lastFrameCursor) this._cursor = this._lastFrameCursor;
      // Frames without cursors (unread messages, a replay by id) are resumed by id.
      const from = this._lastFrameCursor ? { cursor: this._lastFrameCursor } : { last_message_id: this._lastFrameId };
      this._catchUpId = from.last_message_id ?? null;
      this._lastFrameCursor = this._lastFrameId = null; // the next resume needs a message of this one's replay
      this._sendFrame({ type: 'resume', data: from });
    } else {
      // Complete; or cut short with nothing replayed (the byte budget went to reaction changes), which the same
      // resume would only repeat: the cursor stays the last one processed, and the page reloads through REST.
      this._catchingUp = false;
      this._catchUpId = null;
      if (data.cursor) this._cursor = data.cursor;
    }
    this._replaying = this._catchingUp; // a catch-up's replay runs until its own `replayed`
    this._emit('replayed', { count: data.count ?? 0, truncated: Boolean(data.truncated) });
    if (data.truncated && !progressed) this._emit('stale', { reason: 'truncated' });
  }

  _onError(data) {
    const error = new MsgRelayError(data.code ?? 'error', data.message ?? '',
      { retryAfter: data.retry_after ?? null, clientId: data.client_id ?? null });
    if (data.client_id) {
      const entry = this._queue.find((e) => e.clientId === data.client_id);
      if (entry) return this._sendFailed(entry, error);
      return undefined;
    }
    if (!this._open && ['unauthorized', 'forbidden', 'too_many_sockets'].includes(error.code)) {
      this._refusal = error; // the close that follows says what to do
      return undefined;
    }
    if (error.code === 'too_many_frames') {
      // The frame was dropped, whichever it was: pause, then send again what is unacknowledged (same client_ids), in
      // the queue's order. The sends still waiting to go out are dropped with it (each would go twice, and ahead of
      // the one dropped), and new ones wait in the queue until then.
      const until = Date.now() + Math.max(1, error.retryAfter ?? 1) * 1000;
      this._frameHoldUntil = Math.max(this._frameHoldUntil, until);
      for (const e of this._queue) if (e.state === 'sent') e.state = 'queued';
      this._out = this._out.filter((text) => !text.startsWith(SEND_FRAME_PREFIX));
      this._timer('frameHold', () => { this._flushSends(); this._drain(); this._resendReads(); }, until - Date.now());
    }
    this._emit('error', { error, fatal: false });
    return undefined;
  }

  _sendFailed(entry, error) {
    entry.failures++;
    const retryable = (error.code === 'rate_limited' && (error.retryAfter ?? 0) <= this.options.maxRetryAfter) ||
      (error.code === 'unavailable' && entry.failures <= UNAVAILABLE_RETRIES);
    if (retryable) {
      // Kept in place; it and everything after it go again once the wait is over.
      const wait = error.code === 'rate_limited' ? Math.max(1, error.retryAfter ?? 1) * 1000
        : Math.max((error.retryAfter ?? 0) * 1000, 1000 * 2 ** (entry.failures - 1));
      entry.state = 'queued';
      this._sendHoldUntil = Math.max(this._sendHoldUntil, Date.now() + wait);
      this._timer('sendHold', () => this._flushSends(), this._sendHoldUntil - Date.now());
      return;
    }
    this._reject(entry, error);
  }

  _reject(entry, error) {
    const i = this._queue.indexOf(entry);
    if (i >= 0) this._queue.splice(i, 1);
    this._unsave(entry);
    entry.reject(error);
    this._emit('sendfailed', { clientId: entry.clientId, error });
  }

  _onClose(ws, code, reason) {
    if (ws !== this._ws) return;
    this._socketGone();
    const refusal = this._refusal;
    this._refusal = null;
    if (code === 4403) {
      return this._stop(refusal ?? new MsgRelayError('forbidden', 'This page\'s origin is not allowed by the relay', { closeCode: code }), 'refused');
    }
    if (code === 4401 && /reconnect/i.test(reason ?? '')) {
      // The user became or stopped being an admin: the same token opens a socket with the new rights.
      this.isAdmin = typeof this.options.isAdmin === 'boolean' ? this.options.isAdmin : null;
      return this._scheduleReconnect({ code, reason });
    }
    if (code === 4401) {
      // The token this socket was opened with is refused; one set since (setToken ahead of expiry) is still to try.
      if (this._token === this._socketToken) this._token = null;
      const error = refusal ?? new MsgRelayError('unauthorized', reason || 'The token was refused', { closeCode: code });
      error.closeCode = code;
      if (!this.options.getToken && !this._token) return this._stop(error, 'unauthorized');
      this._emit('error', { error, fatal: false });
      return this._scheduleReconnect({ code, reason });
    }
    if (code === 4429) {
      const error = refusal ?? new MsgRelayError('too_many_sockets', reason || 'Too many sockets', { closeCode: code });
      error.closeCode = code;
      this._emit('error', { error, fatal: false });
      return this._scheduleReconnect({ code, reason, minDelay: 5_000 });
    }
    // The relay could not replay, or is too far behind: every socket it closed comes back, spread over a second or more.
    if (code === 1013) return this._scheduleReconnect({ code, reason, minDelay: 1_000 });
    return this._scheduleReconnect({ code, reason });
  }

  /** An attempt still waiting for its token or stored sends at its deadline: given up (its awaits end in nothing). */
  _attemptTimedOut(gen) {
    if (gen !== this._gen || this._ws) return;
    this._gen++;
    this._tokenPromise = null; // the next attempt asks getToken again
    this._emit('error', { error: new MsgRelayError('token_failed', 'getToken or the stored sends did not answer in time'), fatal: false });
    this._scheduleReconnect({ reason: 'timeout' });
  }

  /** A socket that stopped answering: forget it without waiting for its close handshake, and reconnect. */
  _lost(ws, reason) {
    if (ws !== this._ws) return;
    this._dropSocket(reason);
    this._scheduleReconnect({ code: null, reason });
  }

  _dropSocket(reason, code = 4000) {
    const ws = this._ws;
    if (!ws) return;
    ws.onmessage = ws.onclose = null;
    try { ws.close(code, reason); } catch { /* already closed */ }
    this._socketGone();
  }

  _socketGone() {
    this._ws = null;
    this._open = false;
    this._out = [];
    clearInterval(this._pingTimer);
    this._pingTimer = null;
    for (const k of ['connect', 'pong', 'stable', 'read', 'drain']) this._clearTimer(k);
    for (const e of this._queue) if (e.state === 'sent') e.state = 'queued';
    for (const t of this._typingOut.values()) Object.assign(t, { on: false, lastTrue: -Infinity }); // announce again once open
    for (const [key, timer] of this._typingIn) {
      clearTimeout(timer);
      const [conversationId, userId] = key.split(' ');
      this._emit('typing', { conversationId, userId, isTyping: false });
    }
    this._typingIn.clear();
  }

  _scheduleReconnect({ code = null, reason = '', minDelay = 0 } = {}) {
    if (this._closed || this._stopped) return;
    if (this._env.navigator?.onLine === false) {
      this._setState('offline', { reason: 'network' });
      return;
    }
    // A floor is added to the random delay, not put in its place: clients refused together still spread out.
    const delay = minDelay + backoffDelay(this._attempt, { base: this.options.backoffBase, cap: this.options.backoffCap, random: this._random });
    this._attempt++;
    this._setState('reconnecting', { attempt: this._attempt, delay, code, reason });
    this._timer('reconnect', () => this._connect(), delay);
  }

  _stop(error, reason) {
    this._stopped = true;
    this._clearTimer('reconnect');
    this._setState('offline', { reason });
    this._emit('error', { error, fatal: true });
  }

  _ping() {
    if (!this._open || !this._ws) return;
    this._ws.send('{"type":"ping"}');
    if (!this._timers.pong) {
      const ws = this._ws;
      this._timer('pong', () => this._lost(ws, 'no answer to ping'), this.options.pongTimeout);
    }
  }

  _onOnline() {
    if (this._closed || this._stopped) return;
    if (this.state === 'open') return this._ping(); // the network changed: check the socket still works
    if (this.state === 'offline' || this.state === 'reconnecting') {
      this._attempt = 0;
      this._connect();
    }
    return undefined;
  }

  _onOffline() {
    if (this._closed || this._stopped) return;
    this._gen++;
    this._clearTimer('reconnect');
    this._dropSocket('offline');
    this._setState('offline', { reason: 'network' });
  }

  _onVisibility() {
    if (!this._visible()) return;
    this._autoRead();
    // Timers sleep in background tabs: check a quiet socket at once.
    if (this._open && Date.now() - this._lastFrameAt > this.options.pingInterval) this._ping();
  }

  // ---- sending ----

  _validate(entry) {
    // An id the relay cannot read fails the whole frame, and its error could not name the send: it would stay unsettled.
    if (!UUID_TEXT.test(entry.clientId)) return 'clientId must be a UUID';
    if (entry.conversationId !== null && !UUID_TEXT.test(entry.conversationId)) return 'conversationId must be a UUID';
    if (!entry.attachmentIds.every((id) => UUID_TEXT.test(id))) return 'Attachment ids must be UUIDs';
    if (entry.attachmentIds.length > MAX_ATTACHMENTS) return `A message may carry at most ${MAX_ATTACHMENTS} attachments`;
    if (!entry.content && entry.attachmentIds.length === 0) return `Content must be between 1 and ${MAX_CONTENT} characters`;
    // Half of a surrogate pair is no character: the relay cannot read the frame, and its error could not name the send.
    if (LONE_SURROGATE.test(entry.content)) return 'Content must be valid Unicode text (it holds half of a character)';
    let n = 0;
    for (const _ of entry.content) if (++n > MAX_CONTENT) return `Content must be between 1 and ${MAX_CONTENT} characters`;
    return null;
  }

  _canSend() { return this._open && Date.now() >= Math.max(this._sendHoldUntil, this._frameHoldUntil); }

  _flushSends() {
    if (!this._canSend()) return;
    // The relay keeps a client_id with its message: a retry, however late, never makes a second one.
    for (const e of this._queue) if (e.state === 'queued') this._transmit(e);
  }

  _transmit(entry) {
    const data = { content: entry.content, client_id: entry.clientId };
    if (entry.conversationId) data.conversation_id = entry.conversationId;
    if (entry.attachmentIds.length) data.attachment_ids = entry.attachmentIds;
    entry.state = 'sent';
    if (entry.firstSentAt === null) {
      entry.firstSentAt = Date.now();
      this._save(entry);
    }
    this._sendFrame({ type: 'send_message', data });
  }

  /** Sends a frame within the pacing budget (frames beyond it wait). Pings bypass this. */
  _sendFrame(frame) {
    if (!this._open) return false;
    this._out.push(JSON.stringify(frame));
    this._drain();
    return true;
  }

  _drain() {
    if (!this._open || !this._ws) return;
    const now = Date.now();
    const { framesPerSecond: rate, frameBurst: burst } = this.options;
    this._tokens = Math.min(burst, this._tokens + ((now - this._tokensAt) * rate) / 1000);
    this._tokensAt = now;
    while (this._out.length && this._tokens >= 1 && now >= this._frameHoldUntil) {
      this._ws.send(this._out.shift());
      this._tokens--;
    }
    if (this._out.length && !this._timers.drain) {
      const wait = Math.max(this._frameHoldUntil - now, Math.ceil(((1 - this._tokens) * 1000) / rate), 1);
      this._timer('drain', () => this._drain(), wait);
    }
  }

  /** Asks again for receipts that never came (the frame may have been lost with its socket or dropped). */
  _resendReads() {
    for (const m of this._unread.values()) if (this._readRequested.has(m.id)) this._readQueue.add(m.id);
    this._flushReads();
  }

  _flushReads() {
    this._clearTimer('read');
    if (!this._open || !this._readQueue.size) return;
    const ids = [...this._readQueue];
    this._readQueue.clear();
    for (let i = 0; i < ids.length; i += MARK_READ_LIMIT) {
      this._sendFrame({ type: 'mark_read', data: { message_ids: ids.slice(i, i + MARK_READ_LIMIT) } });
    }
  }

  // ---- persistence ----

  /**
   * Takes the token's user as the one signed in. Another user than before gets nothing of the previous one's: their
   * unsent messages leave the queue (rejected with `user_changed`; persisted ones stay stored under their user, for
   * when they sign in again), and the cursor, unread messages and ids seen start afresh.
   */
  _followUser(token) {
    const key = tokenSubject(token) ?? 'default';
    const previous = this._userKey;
    this._userKey = key;
    for (const e of this._queue) {
      if (e.userKey !== null) continue;
      e.userKey = key; // made before the first token came
      this._save(e);
    }
    if (previous === null || previous === key) return;
    const theirs = this._queue.filter((e) => e.userKey !== key);
    this._queue = this._queue.filter((e) => e.userKey === key);
    for (const e of theirs) {
      const error = new MsgRelayError('user_changed', 'Another user signed in before the message was sent', { clientId: e.clientId });
      e.reject(error);
      this._emit('sendfailed', { clientId: e.clientId, error });
    }
    this.userId = tokenSubject(token);
    this.connectionId = null;
    this.isAdmin = typeof this.options.isAdmin === 'boolean' ? this.options.isAdmin : null;
    this._lastConversationId = null;
    this._cursor = null;
    this._lastFrameCursor = this._lastFrameId = null;
    this._newestId = null;
    this._hadSession = false; // the first socket gets this user's unread messages
    this._catchingUp = false;
    this._catchUpId = null;
    this._seen = new BoundedSet(this.options.seenLimit);
    this._readQueue.clear();
    this._readRequested = new BoundedSet(10_000);
    this._readKnown = new BoundedSet(10_000);
    this._sendHoldUntil = 0; // rate limits are per user
    this._clearTimer('sendHold');
    this.stopTyping();
    if (this._unread.size) {
      this._unread.clear();
      this._emitUnread();
    }
  }

  async _restore(key) {
    if (!this._storage || this._restoredKey === key) return;
    this._restoredKey = key;
    let stored = [];
    try { stored = await this._storage.load(key); } catch { /* storage unavailable: memory only */ }
    if (this._userKey !== key) return; // another user signed in meanwhile
    const known = new Set(this._queue.map((e) => e.clientId));
    const restored = [];
    for (const s of stored) {
      // In the relay's spelling, as new sends are (saved by an earlier version, they may not be).
      const entry = { ...s, clientId: idText(s.clientId), conversationId: idText(s.conversationId ?? null), userKey: key,
        attachmentIds: (s.attachmentIds ?? []).map(idText), state: 'queued', failures: 0, claimedId: null, resolve: noop, reject: noop };
      if (known.has(entry.clientId)) continue;
      const invalid = this._validate(entry);
      if (invalid) {
        // Never to be settled by the relay: dropped, and reported.
        this._storage.remove(s.clientId).catch(noop);
        this._emit('sendfailed', { clientId: entry.clientId, error: new MsgRelayError('invalid_request', invalid, { clientId: entry.clientId }) });
        continue;
      }
      if (entry.clientId !== s.clientId) { this._storage.remove(s.clientId).catch(noop); this._save(entry); }
      restored.push(entry);
    }
    if (!restored.length) return;
    this._queue.push(...restored);
    this._queue.sort((a, b) => a.createdAt - b.createdAt);
    this._emit('restored', { sends: this.pending.filter((p) => restored.some((r) => r.clientId === p.clientId)) });
    // A socket opened meanwhile (another attempt did not wait for this load) has flushed the queue without them.
    this._flushSends();
  }

  _save(entry) {
    if (!this._storage || !entry.userKey) return;
    const { clientId, userKey, conversationId, content, attachmentIds, createdAt, firstSentAt } = entry;
    this._storage.save({ clientId, userKey, conversationId, content, attachmentIds, createdAt, firstSentAt }).catch(noop);
  }

  _unsave(entry) {
    this._storage?.remove(entry.clientId).catch(noop);
  }

  // ---- unread and read ----

  _noteId(id) {
    if (typeof id === 'string' && (this._newestId === null || id > this._newestId)) this._newestId = id;
  }

  _learn(message, live = false) {
    if (message.conversation_id) this._lastConversationId = message.conversation_id;
    const senderAdmin = message.sender?.is_admin;
    if (typeof senderAdmin !== 'boolean') return;
    if (message.sender_id === this.userId) this._setAdmin(senderAdmin);
    // Only admins get other users' messages live. Not learned from history (REST pages, replays, the unread list at
    // connect): there `is_admin` is each sender's role now, and an admin since demoted replied in a user's conversation.
    else if (senderAdmin === false && live) this._setAdmin(true);
  }

  _setAdmin(admin) {
    if (this.isAdmin === admin) return;
    this.isAdmin = admin;
    this._recheckUnread();
  }

  /** Drops from the unread set what is not incoming (any more: who the user is, or a conversation's user, became known). */
  _recheckUnread() {
    let changed = false;
    for (const m of [...this._unread.values()]) if (!this._incoming(m)) changed = this._unread.delete(m.id) || changed;
    if (changed) this._emitUnread();
  }

  /**
   * Whether a message is for the signed-in user to read. The conversation tells, as the relay decides: its user's
   * messages are for the admins, everyone else's for its user, whatever roles changed since. A user sees only their
   * own conversation; an admin who does not know a conversation's user yet goes by the sender's role now.
   */
  _incoming(m) {
    if (m.sender_id === this.userId) return false;
    const owner = this._owners.get(m.conversation_id);
    if (owner !== undefined && this.userId != null) return (m.sender_id === owner) !== (this.userId === owner);
    if (this.isAdmin === false) return true;
    if (this.isAdmin === null || typeof m.sender?.is_admin !== 'boolean') return true;
    return m.sender.is_admin === false;
  }

  /** Updates the unread set with a message; true when it changed. */
  _track(m) {
    if (m.read_at == null && !m.deleted_at && !this._readKnown.has(m.id) && this._incoming(m)) {
      if (this._unread.has(m.id)) return false;
      this._unread.set(m.id, m);
      return true;
    }
    return this._unread.delete(m.id);
  }

  _emitUnread() {
    const byConversation = {};
    for (const m of this._unread.values()) byConversation[m.conversation_id] = (byConversation[m.conversation_id] ?? 0) + 1;
    this._emit('unread', { count: this._unread.size, byConversation });
  }

  _visible() {
    const doc = this._env.document;
    return !doc || doc.visibilityState === undefined || doc.visibilityState === 'visible';
  }

  _autoRead() {
    const rule = this.options.autoRead;
    if (!rule || !this._visible()) return;
    const ids = [];
    for (const m of this._unread.values()) if (rule === true || rule(m)) ids.push(m.id);
    if (ids.length) this.markRead(ids);
  }

  // ---- plumbing ----

  _setState(state, detail = {}, force = false) {
    const previous = this.state;
    if (state === previous && !force) return;
    this.state = state;
    this._emit(state, detail);
    this._emit('statechange', { state, previous, ...detail });
  }

  _emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  _timer(name, fn, ms) {
    this._clearTimer(name);
    this._timers[name] = setTimeout(() => { delete this._timers[name]; fn(); }, Math.max(0, ms));
  }

  _clearTimer(name) {
    if (this._timers[name] === undefined) return;
    clearTimeout(this._timers[name]);
    delete this._timers[name];
  }
}

async function activeWorker(reg) {
  if (reg.active) return;
  const worker = reg.installing ?? reg.waiting;
  if (!worker) throw new MsgRelayError('unsupported', 'The service worker registration has no worker');
  await new Promise((resolve, reject) => {
    const check = () => {
      if (worker.state === 'activated') resolve();
      else if (worker.state === 'redundant') reject(new MsgRelayError('unsupported', 'The service worker failed to install'));
    };
    worker.addEventListener('statechange', check);
    check();
  });
}

/** Creates a client and starts connecting. See docs/browser.md for the options and events. */
export function connect(options) {
  return new MsgRelayClient(options).start();
}
