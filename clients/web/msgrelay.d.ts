// Type declarations for msgrelay.js, the browser client of msgrelay (docs/browser.md).

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'offline';

export interface Sender {
  id: string;
  username: string;
  display_name: string;
  is_admin: boolean;
}

export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
}

/** A message as the relay sends it (WebSocket `message` frames, REST message lists). */
export interface Message {
  id: string;
  conversation_id: string;
  sender_id: string;
  sender: Sender;
  content: string;
  created_at: string;
  read_at: string | null;
  edited_at: string | null;
  attachments: Attachment[];
  /** Its reactions as they stood when it was read; later changes come as `reaction` events (docs/protocol.md). */
  reactions?: Reaction[];
  /** Set on a deleted message (its history, for admins). */
  deleted_at?: string | null;
}

/** One emoji's reactions on a message. */
export interface Reaction {
  emoji: string;
  count: number;
  reacted_by_me: boolean;
  /** Who reacted: for admins only. */
  users?: string[];
}

export interface ConversationUser {
  id: string;
  username: string;
  display_name: string;
  slug: string;
}

export interface Conversation {
  id: string;
  user_id: string;
  user: ConversationUser;
  created_at: string;
  updated_at: string;
  last_message_at: string | null;
  unread_count: number;
  last_message_preview: string | null;
  /** Present for admins only. */
  archived?: boolean;
}

export interface ConversationList {
  conversations: Conversation[];
  pagination: { page: number; limit: number; total: number; total_pages: number };
}

export interface MessageList {
  messages: Message[];
  pagination: { page: number; limit: number; total: number; has_more: boolean };
}

/** A send not yet acknowledged by the relay. */
export interface PendingSend {
  clientId: string;
  conversationId: string | null;
  content: string;
  attachmentIds: string[];
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/** Where the send queue is kept with `persist: true` (default: IndexedDB). */
export interface SendStorage {
  load(userKey: string): Promise<Array<PendingSend & { userKey: string; firstSentAt: number | null }>>;
  save(entry: PendingSend & { userKey: string; firstSentAt: number | null }): Promise<void>;
  remove(clientId: string): Promise<void>;
}

export interface ConnectOptions {
  /** The relay's base URL, http(s)://host[:port][/prefix]; the WebSocket URL is derived. Default: the page's origin. */
  url?: string;
  /** A bearer token (JWT). */
  token?: string;
  /** Called for a token at the start when `token` is not given, and again whenever the relay refuses one (close 4401, HTTP 401). */
  getToken?: () => string | Promise<string>;
  /** Keep unacknowledged sends in IndexedDB (or `storage`), per user, so that a reload sends them. Default false. */
  persist?: boolean;
  storage?: SendStorage;
  /** Mark incoming messages read while the page is visible: all of them, or those the function accepts. Default false. */
  autoRead?: boolean | ((message: Message) => boolean);
  /** The conversation for send() and typing() when none is given. A user's own is learned from messages. */
  conversationId?: string;
  /** Whether the signed-in user is an admin, if the page knows; otherwise learned from messages and conversation lists. */
  isAdmin?: boolean;
  /** A cursor to resume from on the first connect. */
  cursor?: string;
  /** Milliseconds; defaults in brackets. */
  pingInterval?: number; // 30000
  pongTimeout?: number; // 10000
  connectTimeout?: number; // 15000
  backoffBase?: number; // 1000
  backoffCap?: number; // 30000
  stableAfter?: number; // 10000
  typingInterval?: number; // 2000
  typingIdle?: number; // 3000
  typingTimeout?: number; // 12000
  readBatchDelay?: number; // 50
  /** Seconds a rate-limited send may wait before it is retried automatically; beyond, it is rejected. Default 60. */
  maxRetryAfter?: number;
  /** Message ids remembered for de-duplication. Default 5000. */
  seenLimit?: number;
  /** Outgoing frame pacing (the relay allows 20 a second, bursts of 40). Defaults 15 and 30. */
  framesPerSecond?: number;
  frameBurst?: number;
  /** Replacements for tests or other environments. */
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  window?: any;
  random?: () => number;
}

export interface OpenDetail { userId: string; connectionId: string; timestamp: string; resumed: boolean }
export interface ReconnectingDetail { attempt: number; delay: number; code: number | null; reason: string }
export interface OfflineDetail { reason: 'network' | 'closed' | 'refused' | 'unauthorized' }
export interface MessageDetail { message: Message; mine: boolean; clientId: string | null }
export interface SentDetail { clientId: string; message: Message }
export interface SendFailedDetail { clientId: string; error: MsgRelayError }
export interface RestoredDetail { sends: PendingSend[] }
export interface ReadDetail { messageId: string; readAt: string | null; readBy: string | null; conversationId: string | null }
/** A message's reactions changed: `reactions` is their whole state now (show it in place of what you had). */
export interface ReactionDetail { messageId: string; conversationId: string | null; emoji: string | null; userId: string | null; added: boolean; reactions: Reaction[] }
export interface TypingDetail { conversationId: string; userId: string; isTyping: boolean }
export interface UnreadDetail { count: number; byConversation: Record<string, number> }
export interface ReplayedDetail { count: number; truncated: boolean }
/** Messages were missed that the relay will not replay (a replay cut short with none in it): reload them through REST. */
export interface StaleDetail { reason: 'truncated' }
export interface ErrorDetail { error: MsgRelayError; fatal: boolean }

export interface MsgRelayEventMap {
  connecting: { attempt: number };
  open: OpenDetail;
  reconnecting: ReconnectingDetail;
  offline: OfflineDetail;
  statechange: { state: ConnectionState; previous: ConnectionState } & Record<string, unknown>;
  message: MessageDetail;
  sent: SentDetail;
  sendfailed: SendFailedDetail;
  restored: RestoredDetail;
  read: ReadDetail;
  typing: TypingDetail;
  reaction: ReactionDetail;
  unread: UnreadDetail;
  replayed: ReplayedDetail;
  stale: StaleDetail;
  error: ErrorDetail;
}

export type SendPromise = Promise<Message> & { readonly clientId: string };

export class MsgRelayError extends Error {
  constructor(code: string, message?: string, options?: { retryAfter?: number | null; status?: number | null; clientId?: string | null; closeCode?: number | null; cause?: unknown });
  /** The relay's error code (invalid_request, forbidden, not_found, conflict, rate_limited, unavailable, unauthorized, ...) or the client's (closed, unsupported, permission_denied, token_failed, user_changed). */
  readonly code: string;
  /** Seconds, for rate_limited and too_many_frames. */
  readonly retryAfter: number | null;
  /** The HTTP status, for REST errors. */
  readonly status: number | null;
  /** The send it answers. */
  readonly clientId: string | null;
  /** The WebSocket close code (4401, 4403, 4429). */
  closeCode: number | null;
}

export class MsgRelayClient extends EventTarget {
  constructor(options: ConnectOptions);
  readonly url: string;
  readonly state: ConnectionState;
  /** From the `connected` frame (from the token until then). */
  readonly userId: string | null;
  readonly connectionId: string | null;
  /** null until known. */
  readonly isAdmin: boolean | null;
  conversationId: string | null;
  /** Where a reconnect resumes. */
  readonly cursor: string | null;
  readonly pending: PendingSend[];
  readonly unreadCount: number;

  start(): this;
  /** Ids are UUIDs (any case; sent and reported in lower case); anything else is refused at once (`sendfailed`). */
  send(text: string, options?: { conversationId?: string; attachmentIds?: string[]; clientId?: string }): SendPromise;
  typing(conversationId?: string): void;
  stopTyping(conversationId?: string): void;
  markRead(ids: string | string[]): void;
  unreadFor(conversationId: string): number;
  unreadIds(conversationId?: string): string[];
  /** A token of another user reconnects at once as that user; the previous user's unsent messages fail with `user_changed`. */
  /** Replaces the token; null or '' forgets it (the next connect asks getToken). */
  setToken(token: string | null): void;
  reconnect(): void;
  close(): void;

  api<T = any>(path: string, options?: { method?: string; query?: Record<string, string | number | boolean | null | undefined>; body?: unknown; headers?: Record<string, string> }): Promise<T>;
  listConversations(options?: { page?: number; limit?: number; archived?: boolean }): Promise<ConversationList>;
  listMessages(conversationId: string, options?: { page?: number; limit?: number; before?: string; after?: string }): Promise<MessageList>;

  subscribePush(options?: { registration?: ServiceWorkerRegistration; serviceWorker?: string; scope?: string; vapidPublicKey?: string }): Promise<PushSubscription>;
  unsubscribePush(options?: { registration?: ServiceWorkerRegistration; scope?: string }): Promise<boolean>;

  on<K extends keyof MsgRelayEventMap>(type: K, listener: (detail: MsgRelayEventMap[K], event: CustomEvent<MsgRelayEventMap[K]>) => void): () => void;
  addEventListener<K extends keyof MsgRelayEventMap>(type: K, listener: (event: CustomEvent<MsgRelayEventMap[K]>) => void, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof MsgRelayEventMap>(type: K, listener: (event: CustomEvent<MsgRelayEventMap[K]>) => void, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** Creates a client and starts connecting. */
export function connect(options: ConnectOptions): MsgRelayClient;

/** Full-jitter exponential backoff in milliseconds: random in [0, min(cap, base * 2^attempt)). */
export function backoffDelay(attempt: number, options?: { base?: number; cap?: number; random?: () => number }): number;

/** The WebSocket URL for a relay base URL. */
export function socketUrl(base: string, options?: { token?: string; cursor?: string | null; lastMessageId?: string | null }): string;

/** base64url to bytes (VAPID keys). */
export function base64UrlToBytes(text: string): Uint8Array;

/** The unverified `sub` claim of a JWT (a UUID in lower case), or null. */
export function tokenSubject(token: string): string | null;

export function memoryStorage(): SendStorage;
export function indexedDBStorage(name?: string): SendStorage;
