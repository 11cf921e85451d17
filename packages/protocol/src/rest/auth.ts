// Users, roles, API tokens, login and the audit log (/api/auth/…, /api/audit; docs/security.md). No response
// carries a secret: a password never, a token only once, in the body of its creation.

import { type Static, Type } from 'typebox';
import { Nullable } from './helpers.js';

/** Roles, least to most: each may do everything the roles before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const RoleSchema = Type.Union(
  [Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')],
  {
    description:
      'viewer (read, stream) < operator (control, acquisitions, jobs, alarm ack) < admin (configuration, users)',
  },
);

/** What signs a request: a user's session cookie, an API token, or nothing on an open (loopback, no users) server. */
export const PRINCIPAL_KINDS = ['user', 'token', 'open'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

/** The name of the session cookie set by POST /api/auth/login. */
export const SESSION_COOKIE = 'lablink_session';

/** Usernames: letters, digits and . _ @ -, up to 64 characters. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]*$';
export const MIN_PASSWORD_LENGTH = 8;

const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: USERNAME_PATTERN,
  description: 'Letters, digits and . _ @ - (starting with a letter or digit)',
});
const Password = Type.String({
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: 256,
  description: `At least ${MIN_PASSWORD_LENGTH} characters`,
});
const TokenName = Type.String({ minLength: 1, maxLength: 100 });

export const Me = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  kind: Type.Union([Type.Literal('user'), Type.Literal('token'), Type.Literal('open')]),
});
export type Me = Static<typeof Me>;

export const AuthStatus = Type.Object({
  /** `open`: loopback and no user, everyone acts as the admin `local`; `required`: sign in or send a token. */
  mode: Type.Union([Type.Literal('open'), Type.Literal('required')]),
  /** Who this request is signed as; null when it is not. */
  me: Nullable(Me),
});
export type AuthStatus = Static<typeof AuthStatus>;

export const LoginRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const UserInfo = Type.Object({
  username: Type.String(),
  role: RoleSchema,
  created_at: Type.String(),
  updated_at: Type.String(),
});
export type UserInfo = Static<typeof UserInfo>;
export const UserList = Type.Object({ users: Type.Array(UserInfo) });
export type UserList = Static<typeof UserList>;

export const UserCreate = Type.Object(
  { username: Username, password: Password, role: RoleSchema },
  { additionalProperties: false },
);
export type UserCreate = Static<typeof UserCreate>;

export const UserUpdate = Type.Object(
  { role: Type.Optional(RoleSchema), password: Type.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);
export type UserUpdate = Static<typeof UserUpdate>;

export const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });

export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  created_by: Type.String(),
  created_at: Type.String(),
  last_used_at: Nullable(Type.String()),
});
export type TokenInfo = Static<typeof TokenInfo>;
export const TokenList = Type.Object({ tokens: Type.Array(TokenInfo) });
export type TokenList = Static<typeof TokenList>;

export const TokenCreate = Type.Object(
  { name: TokenName, role: RoleSchema },
  { additionalProperties: false },
);
export type TokenCreate = Static<typeof TokenCreate>;

/** The one response that carries the token: it is stored hashed and never shown again. */
export const TokenCreated = Type.Object({
  ...TokenInfo.properties,
  token: Type.String({
    description: 'll_… : send as "Authorization: Bearer <token>" or in the WebSocket hello',
  }),
});
export type TokenCreated = Static<typeof TokenCreated>;

export const TokenIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String(),
  /** Who: a username, a token's name, or `local` in open mode; `anonymous` for a failed login's unknown caller. */
  principal: Type.String(),
  kind: Type.String(),
  /** What: `POST /api/safety/limits/{equipment_id}`, `login`, `login_failed` … */
  action: Type.String(),
  target: Nullable(Type.String()),
  detail: Type.Unknown(),
  /** From where: the client's address. */
  address: Nullable(Type.String()),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  /** Entries with an id below this (the previous page's `next_before`). */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
});
export type AuditQuery = Static<typeof AuditQuery>;

export const AuditPage = Type.Object({
  entries: Type.Array(AuditEntry),
  /** Pass as `before` for the next (older) page; null at the end. */
  next_before: Nullable(Type.Integer()),
});
export type AuditPage = Static<typeof AuditPage>;
