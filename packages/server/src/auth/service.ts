// Users, API tokens and web sessions: who a request is. Passwords are argon2id (memory-hard); tokens and session
// ids are 32 random bytes, kept only as their SHA-256 (a leaked database gives no usable secret, and a random
// 256-bit secret needs no slow hash). Open mode — loopback and no user — signs every request as the admin `local`.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Me, Role, TokenCreated, TokenInfo, UserInfo } from '@lablink/protocol/rest';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { DomainError, notFound } from '../errors.js';
import type { Db } from '../storage/database.js';
import { allows } from './roles.js';

/** Who acts: a signed-in user, an API token, or everyone on an open server. */
export interface Principal extends Me {
  userId?: number;
  tokenId?: string;
  /** The SHA-256 of the session cookie that signed the request in. */
  sessionHash?: string;
}

/** Open mode's implicit admin. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({ username: 'local', role: 'admin', kind: 'open' });

/** A principal as one string (`user:alice`, `token:ci`), e.g. the holder of a lock session. */
export const principalKey = (principal: Pick<Principal, 'kind' | 'username'>) =>
  `${principal.kind}:${principal.username}`;

/** A principal that must lose its open WebSocket connections now. */
export type Revocation = { userId: number } | { tokenId: string } | { sessionHash: string };

export const TOKEN_PREFIX = 'll_';
/** A web session lives this long after its last request. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** last_used_at and a session's expiry are written at most this often (not on every request). */
const TOUCH_EVERY_MS = 60 * 1000;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const now = () => new Date().toISOString();

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  created_at: string;
  updated_at: string;
}
interface TokenRow {
  id: string;
  name: string;
  role: Role;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
}

export class AuthService {
  private readonly revocations = new EventEmitter();

  constructor(
    private readonly db: Db,
    /** Whether the server listens on loopback only (config `host`): open mode is possible only then. */
    private readonly loopbackOnly: boolean,
  ) {}

  /** Open mode: loopback only and no user. Read from the database each time: the CLI may add a user meanwhile. */
  get open(): boolean {
    return this.loopbackOnly && !this.db.prepare('SELECT 1 FROM users LIMIT 1').get();
  }

  /** Whether an admin can sign in (a user or a token): required to listen beyond loopback. */
  hasAdmin(): boolean {
    const user = this.db.prepare("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").get();
    return Boolean(user ?? this.db.prepare("SELECT 1 FROM api_tokens WHERE role = 'admin' LIMIT 1").get());
  }

  onRevoke(listener: (revocation: Revocation) => void): () => void {
    this.revocations.on('revoke', listener);
    return () => this.revocations.off('revoke', listener);
  }

  // ------------------------------------------------------------------------------------------------------ users

  listUsers(): UserInfo[] {
    const rows = this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[];
    return rows.map(userInfo);
  }

  async addUser(username: string, password: string, role: Role): Promise<UserInfo> {
    const passwordHash = await argonHash(password);
    const at = now();
    try {
      this.db
        .prepare(
          'INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(username, passwordHash, role, at, at);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new DomainError('conflict', `a user named "${username}" exists`, 'username');
      }
      throw err;
    }
    return userInfo(this.userRow(username));
  }

  async updateUser(username: string, change: { role?: Role; password?: string }): Promise<UserInfo> {
    const user = this.userRow(username);
    const passwordHash =
      change.password === undefined ? user.password_hash : await argonHash(change.password);
    const role = change.role ?? user.role;
    if (user.role === 'admin' && role !== 'admin') this.keepAnAdmin(user, 'take the admin role from');
    this.db
      .prepare('UPDATE users SET role = ?, password_hash = ?, updated_at = ? WHERE id = ?')
      .run(role, passwordHash, now(), user.id);
    // A new password or a lower role ends its sessions: they were opened under the old terms.
    if (change.password !== undefined || role !== user.role) this.endSessionsOf(user.id);
    return userInfo(this.userRow(username));
  }

  deleteUser(username: string): void {
    const user = this.userRow(username);
    if (user.role === 'admin') this.keepAnAdmin(user, 'delete');
    // Sessions go with the user (ON DELETE CASCADE).
    this.db.prepare('DELETE FROM users WHERE id = ?').run(user.id);
    this.revocations.emit('revoke', { userId: user.id } satisfies Revocation);
  }

  /**
   * Refuses to leave users without any admin (user or token) who could manage them; deleting the last user of all
   * is allowed (on loopback that is open mode again).
   */
  private keepAnAdmin(user: UserRow, what: string): void {
    const others = this.db.prepare('SELECT COUNT(*) AS n FROM users WHERE id != ?').get(user.id) as {
      n: number;
    };
    const otherAdmin =
      this.db.prepare("SELECT 1 FROM users WHERE role = 'admin' AND id != ? LIMIT 1").get(user.id) ??
      this.db.prepare("SELECT 1 FROM api_tokens WHERE role = 'admin' LIMIT 1").get();
    if (what === 'delete' && others.n === 0) return;
    if (!otherAdmin) {
      throw new DomainError(
        'conflict',
        `cannot ${what} ${user.username}: the last admin (create another admin user or token first)`,
        'username',
      );
    }
  }

  /** The user when the password is right; null otherwise (unknown user or wrong password alike). */
  async checkPassword(username: string, password: string): Promise<UserRow | null> {
    const user = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      | UserRow
      | undefined;
    if (!user) return null;
    return (await argonVerify(user.password_hash, password)) ? user : null;
  }

  private userRow(username: string): UserRow {
    const user = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as
      | UserRow
      | undefined;
    if (!user) throw notFound(`user "${username}"`);
    return user;
  }

  // ----------------------------------------------------------------------------------------------------- tokens

  listTokens(): TokenInfo[] {
    return this.db
      .prepare(
        'SELECT id, name, role, created_by, created_at, last_used_at FROM api_tokens ORDER BY created_at',
      )
      .all() as TokenRow[];
  }

  /** A new token, its secret in this answer only. Its role is at most its creator's. */
  createToken(name: string, role: Role, creator: Pick<Principal, 'username' | 'role'>): TokenCreated {
    if (!allows(creator.role, role)) {
      throw new DomainError(
        'forbidden',
        `a ${creator.role} cannot create a token with the role ${role}`,
        'role',
        { required_role: role, role: creator.role },
      );
    }
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const row: TokenRow = {
      id: randomUUID(),
      name,
      role,
      created_by: creator.username,
      created_at: now(),
      last_used_at: null,
    };
    this.db
      .prepare(
        'INSERT INTO api_tokens (id, name, role, token_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(row.id, row.name, row.role, sha256(token), row.created_by, row.created_at);
    return { ...row, token };
  }

  revokeToken(id: string): TokenInfo {
    const row = this.db
      .prepare('SELECT id, name, role, created_by, created_at, last_used_at FROM api_tokens WHERE id = ?')
      .get(id) as TokenRow | undefined;
    if (!row) throw notFound(`token "${id}"`);
    if (row.role === 'admin') this.keepAnAdminToken(row);
    this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id);
    this.revocations.emit('revoke', { tokenId: id } satisfies Revocation);
    return row;
  }

  /**
   * Refuses to revoke the last admin credential while users remain that nobody could then manage (as keepAnAdmin
   * does for users). Without users a loopback server is open, and its `local` admin manages the tokens.
   */
  private keepAnAdminToken(token: TokenRow): void {
    const otherAdmin =
      this.db.prepare("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").get() ??
      this.db.prepare("SELECT 1 FROM api_tokens WHERE role = 'admin' AND id != ? LIMIT 1").get(token.id);
    if (otherAdmin || !this.db.prepare('SELECT 1 FROM users LIMIT 1').get()) return;
    throw new DomainError(
      'conflict',
      `cannot revoke ${token.name}: the last admin token, and no user is an admin (create another admin user or token first)`,
      'id',
    );
  }

  /** The token's principal, or null for a token that does not exist (or was revoked). */
  verifyToken(token: string): Principal | null {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const row = this.db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?').get(sha256(token)) as
      | TokenRow
      | undefined;
    if (!row) return null;
    const at = Date.now();
    if (!row.last_used_at || at - Date.parse(row.last_used_at) > TOUCH_EVERY_MS) {
      this.db
        .prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?')
        .run(new Date(at).toISOString(), row.id);
    }
    return { username: row.name, role: row.role, kind: 'token', tokenId: row.id };
  }

  // --------------------------------------------------------------------------------------------- web sessions

  /** Opens a web session; returns the cookie value (shown to the browser only). */
  createSession(userId: number, address: string | null): string {
    const id = randomBytes(32).toString('base64url');
    const at = Date.now();
    this.db.prepare('DELETE FROM auth_sessions WHERE expires_at < ?').run(new Date(at).toISOString());
    this.db
      .prepare(
        'INSERT INTO auth_sessions (id_hash, user_id, created_at, expires_at, address) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        sha256(id),
        userId,
        new Date(at).toISOString(),
        new Date(at + SESSION_TTL_MS).toISOString(),
        address,
      );
    return id;
  }

  /** The session's user, its expiry pushed 12 h on; null when unknown or expired. */
  verifySession(cookie: string): Principal | null {
    const idHash = sha256(cookie);
    const row = this.db
      .prepare(
        `SELECT s.expires_at, u.id, u.username, u.role FROM auth_sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ?`,
      )
      .get(idHash) as { expires_at: string; id: number; username: string; role: Role } | undefined;
    const at = Date.now();
    if (!row || Date.parse(row.expires_at) <= at) return null;
    if (Date.parse(row.expires_at) - at < SESSION_TTL_MS - TOUCH_EVERY_MS) {
      this.db
        .prepare('UPDATE auth_sessions SET expires_at = ? WHERE id_hash = ?')
        .run(new Date(at + SESSION_TTL_MS).toISOString(), idHash);
    }
    return { username: row.username, role: row.role, kind: 'user', userId: row.id, sessionHash: idHash };
  }

  endSession(sessionHash: string): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE id_hash = ?').run(sessionHash);
    this.revocations.emit('revoke', { sessionHash } satisfies Revocation);
  }

  private endSessionsOf(userId: number): void {
    this.db.prepare('DELETE FROM auth_sessions WHERE user_id = ?').run(userId);
    this.revocations.emit('revoke', { userId } satisfies Revocation);
  }
}

function userInfo(row: UserRow): UserInfo {
  return { username: row.username, role: row.role, created_at: row.created_at, updated_at: row.updated_at };
}

/** Whether a revocation concerns this principal. */
export function revokes(revocation: Revocation, principal: Principal): boolean {
  if ('userId' in revocation) return principal.userId === revocation.userId;
  if ('tokenId' in revocation) return principal.tokenId === revocation.tokenId;
  return principal.sessionHash === revocation.sessionHash;
}

/** Listening beyond loopback without any admin who could sign in: LabLink refuses to start. */
export class NoAdminError extends Error {
  constructor(host: string) {
    super(
      `refusing to listen on ${host}: beyond loopback sign-in is required, and no admin user or admin token exists.\n` +
        'Create one first (with the same --data-dir), then start again:\n' +
        '  lablink user add <name> --role admin        (asks for a password)\n' +
        '  lablink token create <name> --role admin    (prints a token for scripts)\n' +
        'Or listen on loopback only: --host 127.0.0.1 (docs/security.md).',
    );
    this.name = 'NoAdminError';
  }
}
